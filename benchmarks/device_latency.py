"""How long after a word is spoken into a real capture device does its final text come out (outside clock)?

    python -m benchmarks.device_latency [--sets heldout,unseen] [--providers whispercpp,faster-whisper]
        [--threads 2] [--no-revise]

A real capture device: PulseAudio's null sink (started here if none runs, stopped after), its monitor the
default source, captured through PortAudio as a microphone is. For each engine and file, `echotui
transcribe --device pulse --format jsonl` runs with real tiny.en; once its model is loaded, this process
plays the file into the sink (`Player`: PortAudio says when its first sample reaches the sink), and each
jsonl line is stamped by this process's clock as it arrives on the pipe. A word's wait is its line's
arrival minus (the moment the file's first sample reached the sink + where the word ends in the file),
the word's end taken from the same engine's offline pass over the whole file (matched by text, as
`echotui bench` does). So the wait holds everything a user waits for: PulseAudio's and PortAudio's buffers,
the queue, the engine, the commit rule, the pipe. Beside it, the pipeline's own figure (`--stats-json`
`word_latency_p95_s`, computed on the stream's clock from the engine's word times), which the panel shows.

Issue 20's goal for the live layer: per-word latency p50 <= 2.0 s and p95 <= 3.5 s on a real capture device,
with the revision layer on (the default).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from benchmarks.accuracy import fmt, offline_segments, real_models
from benchmarks.heldout import build_heldout
from benchmarks.unseen import build_unseen
from echotui.audio.file_source import DecodedFile
from echotui.bench import word_latencies
from echotui.pipeline.metrics import percentile
from echotui.providers.base import Word
from tests.support import pulse
from tests.support.corpus import Speech, build_corpus

SETTLE_S = 1.0
"""After the model is loaded, the stream is opened: the time given to it before speech starts."""
AFTER_S = 6.0
"""Capture after the file's end: the last words are committed, and the revision's last stretch revised."""


@dataclass(frozen=True)
class Row:
    provider: str
    speech: str
    words: int
    p50_s: float | None
    p95_s: float | None
    pipeline_p50_s: float | None
    pipeline_p95_s: float | None
    dropped_s: float


def offline_words(provider: str, model: Path, speech: Speech, threads: int) -> list[Word]:
    """Where each word ends in the file: the same engine on the whole file, with word times."""
    return [w for s in offline_segments(provider, model, speech.path, threads, timed=True) for w in s.words]


class Player:
    """Plays a file into the null sink through PortAudio from this process, and notes by this process's
    clock when its first sample reaches the sink (PortAudio's output time for that buffer): when the speech
    was "spoken", without paplay's start-up (a process, a connection, a sink woken from idle: up to a
    second, measured) counted as the user's wait."""

    def __init__(self, audio: np.ndarray) -> None:
        self.audio = audio.astype(np.float32)
        self.at = 0
        self.go = threading.Event()
        self.done = threading.Event()
        self.spoken: float | None = None

    def __call__(self, out: np.ndarray, frames: int, times: Any, status: Any) -> None:
        out.fill(0)
        if not self.go.is_set() or self.done.is_set():
            return
        if self.spoken is None:  # the output time of this buffer's first sample, on this process's clock
            self.spoken = time.monotonic() + (times.outputBufferDacTime - times.currentTime)
        chunk = self.audio[self.at : self.at + frames]
        out[: len(chunk), 0] = chunk
        self.at += frames
        if self.at >= len(self.audio):
            self.done.set()

    def play(self, limit_s: float) -> float:
        """Speak the file now; returns when its first sample reached the sink."""
        import sounddevice as sd

        with sd.OutputStream(samplerate=16000, channels=1, dtype="float32", callback=self, latency="low"):
            time.sleep(0.5)  # the stream runs (silence) before the speech starts
            self.go.set()
            if not self.done.wait(timeout=limit_s):
                raise SystemExit("the file did not finish playing into the device")
            time.sleep(0.3)  # its last buffer reaches the sink
        assert self.spoken is not None
        return self.spoken


def _wait_for(path: Path, text: str, process: subprocess.Popen[str], limit_s: float = 120.0) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        if process.poll() is not None:
            raise SystemExit(f"echotui transcribe ended before its model loaded: see {path}")
        time.sleep(0.05)
    raise SystemExit(f"the model did not load in {limit_s:.0f} s: see {path}")


def device_run(
    provider: str, model: Path, speech: Speech, threads: int, revise: bool, tmp: Path, offline: list[Word]
) -> Row:
    """One file spoken into the device while `echotui transcribe` listens; the waits by the outside clock."""
    with wave.open(str(speech.path)) as audio:
        duration = audio.getnframes() / audio.getframerate()
    log, stats = tmp / f"{provider}-{speech.name}.log", tmp / f"{provider}-{speech.name}.json"
    command = [
        sys.executable, "-m", "echotui", "transcribe", "--device", "pulse", "--provider", provider,
        "--model-path", str(model), "--threads", str(threads), "--format", "jsonl",
        "--duration", f"{duration + SETTLE_S + AFTER_S:.1f}", "--log-file", str(log),
        "--stats-json", str(stats), "--revise" if revise else "--no-revise",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    arrivals: list[tuple[float, dict[str, object]]] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            arrivals.append((time.monotonic(), json.loads(line)))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        _wait_for(log, "loaded ", process)
        time.sleep(SETTLE_S)
        spoken = Player(np.concatenate(list(DecodedFile(speech.path).blocks()))).play(duration + 30)
        _, stderr = process.communicate(timeout=duration + 120)
    finally:
        if process.poll() is None:
            process.kill()
    reader.join(timeout=5)
    if process.returncode:
        raise SystemExit(f"echotui transcribe failed ({process.returncode}): {stderr.strip()[-500:]}")
    committed = [
        (Word(float(w[0]), float(w[1]), str(w[2])), at - spoken)
        for at, line in arrivals
        if line.get("final") and not line.get("revision")
        for w in cast(list[list[Any]], line.get("words", []))
    ]
    waits = word_latencies(committed, offline)
    figures = json.loads(stats.read_text())
    return Row(
        provider, speech.name, len(waits), percentile(waits, 50), percentile(waits, 95),
        figures.get("word_latency_p50_s"), figures.get("word_latency_p95_s"), figures.get("dropped_s", 0.0),
    )  # fmt: skip


def table(rows: list[Row]) -> str:
    lines = [
        "| provider | speech | words timed | word latency p50 / p95 s, outside clock | the pipeline's own "
        "p50 / p95 s | dropped s |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.provider} | {r.speech} | {r.words} | {fmt(r.p50_s)} / {fmt(r.p95_s)} | "
            f"{fmt(r.pipeline_p50_s)} / {fmt(r.pipeline_p95_s)} | {r.dropped_s:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="heldout,unseen", help="corpus, heldout, unseen, comma-separated")
    parser.add_argument("--providers", default="whispercpp,faster-whisper")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-revise", dest="revise", action="store_false", help="the live layer alone")
    args = parser.parse_args()
    sets = [name for name in args.sets.split(",") if name]
    builders = {"corpus": build_corpus, "heldout": build_heldout, "unseen": build_unseen}
    unknown = sorted(set(sets) - set(builders))
    if unknown or not sets:
        parser.error(f"--sets {','.join(unknown)}: choose from corpus, heldout, unseen")
    try:
        started = pulse.start_null_sink()
    except RuntimeError as error:
        parser.exit(1, f"device_latency: {error}\n")
    rows: list[Row] = []
    try:
        with tempfile.TemporaryDirectory(prefix="echotui-device-") as tmp_name:
            tmp = Path(tmp_name)
            speeches = [s for name in sets for s in builders[name](tmp / name)]
            models = real_models(tmp / "models")
            for provider in args.providers.split(","):
                for speech in speeches:
                    offline = offline_words(provider, models[provider], speech, args.threads)
                    row = device_run(
                        provider, models[provider], speech, args.threads, args.revise, tmp, offline
                    )
                    rows.append(row)
                    print(table(rows[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
    finally:
        if started:
            pulse.stop()
    print(table(rows))
    for provider in args.providers.split(","):
        mine = [r for r in rows if r.provider == provider]
        p50 = [r.p50_s for r in mine if r.p50_s is not None]
        p95 = [r.p95_s for r in mine if r.p95_s is not None]
        print(
            f"\n{provider}: {sum(r.words for r in mine)} words timed; word latency, outside clock, p50 ≤ "
            f"{max(p50, default=float('nan')):.2f} s, p95 ≤ {max(p95, default=float('nan')):.2f} s by file; "
            f"dropped {sum(r.dropped_s for r in mine):.1f} s"
        )


if __name__ == "__main__":
    main()
