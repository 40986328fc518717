"""Streaming vs offline cost of the whisper.cpp provider, on built random-weight models.

    python -m benchmarks.streaming_cost [--file speech.wav] [--models tiny.en,base.en]
        [--providers whispercpp,faster-whisper]

For each model: runs `echotui transcribe` at --speed 1 and --speed 0 with --stats-json, then the same
engine on the whole file in one call (offline), and prints the stats and the ratio
streaming compute ÷ offline compute. Without --file it speaks about a minute of text with espeak-ng.
Random weights transcribe garbage, so this measures cost, not accuracy.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from echotui import SAMPLE_RATE
from echotui.audio.file_source import DecodedFile
from tests.support.ct2_model import build_ct2_model
from tests.support.ggml_model import build_ggml_model
from tests.support.speech import synthesize_text

TEXT = (
    "Good morning everyone, and thank you for joining the weekly planning meeting. "
    "First, the release of the new audio pipeline is on track for the end of the month. "
    "The team finished the queue rewrite, and the dropped frame counter now matches what we measure. "
    "Second, we still see the transcription fall behind on older laptops when the model is too large. "
    "We will measure the real time factor on each machine and pick a smaller model where needed. "
    "Third, please review the open pull requests before Thursday, so that we can merge them in time. "
    "Finally, remember that the office will be closed on Friday for the holiday. "
    "Before we close, a short update from the support team. Last week we answered more than two hundred "
    "tickets, and most of them were about microphones that were not detected after a system update. "
    "The new device list should make that much easier to diagnose, because it shows every input and its "
    "sample rate. If there are no other questions, let us get back to work. "
    "Thank you all, and have a good week."
)

SHOWN = (
    "audio_s", "transcribed_s", "vad_skipped_s", "dropped_s", "pending_s", "calls", "compute_s",
    "rtf_mean", "rtf_p95", "latency_p50_s", "latency_p95_s", "queue_max_fill_s", "wall_s", "peak_rss_mb",
    "segments",
)  # fmt: skip


def decoded(path: Path) -> np.ndarray:
    return np.concatenate(list(DecodedFile(path).blocks()))


def offline_whispercpp(model: Path, audio: np.ndarray, threads: int) -> float:
    from pywhispercpp.model import Model

    m = Model(
        str(model), n_threads=threads, print_progress=False, print_realtime=False, no_context=True,
        temperature_inc=0.0, redirect_whispercpp_logs_to=None,
    )  # fmt: skip
    began = time.perf_counter()
    m.transcribe(audio)
    return time.perf_counter() - began


def offline_fasterwhisper(model: Path, audio: np.ndarray, threads: int) -> float:
    from faster_whisper import WhisperModel

    m = WhisperModel(str(model), device="cpu", compute_type="int8", cpu_threads=threads)
    began = time.perf_counter()
    segments, _ = m.transcribe(audio, beam_size=1, temperature=0.0, condition_on_previous_text=False)
    list(segments)
    return time.perf_counter() - began


def build(provider: str, arch: str, work: Path) -> Path:
    if provider == "whispercpp":
        return build_ggml_model(work / f"ggml-{arch}.bin", arch, seed=1)
    return build_ct2_model(work / f"ct2-{arch}", arch, seed=1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", type=Path)
    parser.add_argument("--models", default="tiny.en,base.en")
    parser.add_argument("--providers", default="whispercpp")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="echotui-bench-"))
    speech = args.file
    if speech is None:
        speech = work / "speech.wav"
        synthesize_text(TEXT, speech, wpm=150)
    audio = decoded(speech)
    print(f"file: {speech} ({len(audio) / SAMPLE_RATE:.1f} s), threads {args.threads}")
    offline = {"whispercpp": offline_whispercpp, "faster-whisper": offline_fasterwhisper}
    for provider in args.providers.split(","):
        for arch in args.models.split(","):
            model = build(provider, arch, work)
            results = {}
            for speed in ("1", "0"):
                stats_path = work / f"{provider}-{arch}-{speed}.json"
                subprocess.run(
                    [
                        sys.executable, "-m", "echotui", "transcribe", str(speech), "--provider", provider,
                        "--model-path", str(model), "--speed", speed, "--threads", str(args.threads),
                        "--stats-json", str(stats_path), "--output", str(work / f"{arch}-{speed}.txt"),
                    ],
                    check=True,
                )  # fmt: skip
                results[speed] = json.loads(stats_path.read_text())
            whole = offline[provider](model, audio, args.threads)
            print(f"\n## {provider}, {arch}-sized model (random weights)\n")
            print("| figure | --speed 1 | --speed 0 |\n|---|---|---|")
            for key in SHOWN:
                print(f"| {key} | {results['1'][key]} | {results['0'][key]} |")
            print(f"| offline compute_s (one call, whole file) | {whole:.3f} | {whole:.3f} |")
            ratio = [results[s]["compute_s"] / whole for s in ("1", "0")]
            print(f"| streaming ÷ offline compute | {ratio[0]:.2f} | {ratio[1]:.2f} |")


if __name__ == "__main__":
    main()
