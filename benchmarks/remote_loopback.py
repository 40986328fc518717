"""The same engine call over loopback against `echotui serve`, and locally: per-call latency and words.

    python -m benchmarks.remote_loopback --server http://127.0.0.1:8000 --model-path DIR --file speech.wav
        [--api-key KEY (or ECHOTUI_API_KEY)] [--calls 5] [--threads 1] [--reference TEXT]

Start the server first, with the same model (its ready line says how long it took):
`echotui serve --provider faster-whisper --model-path DIR --threads 1`. For windows of 1, 5 and 10 s of
the file, and the whole file up to 30 s, each side is called `--calls` times (after one warm-up call); the
table gives the median and worst latency, the difference, and the words of each side. With --reference
(a text file) it also gives each side's word error rate on the longest window.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np

from echotui import SAMPLE_RATE
from echotui.audio.file_source import DecodedFile
from echotui.models.choice import ModelChoice
from echotui.providers.base import Provider, TranscribeRequest
from echotui.providers.fasterwhisper import FasterWhisperProvider
from echotui.providers.remote import RemoteProvider
from echotui.quality import word_errors

WINDOWS_S = (1.0, 5.0, 10.0, 30.0)


def timed(provider: Provider, audio: np.ndarray, calls: int) -> tuple[list[float], str]:
    request = TranscribeRequest(audio, 0.0, True, word_timestamps=True)
    provider.transcribe(request)  # warm-up
    times, text = [], ""
    for _ in range(calls):
        began = time.perf_counter()
        text = " ".join(s.text for s in provider.transcribe(request))
        times.append(time.perf_counter() - began)
    return times, text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--api-key", default=os.environ.get("ECHOTUI_API_KEY"))
    parser.add_argument("--model-path", type=Path, required=True)
    parser.add_argument("--file", type=Path, required=True)
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reference", type=Path)
    args = parser.parse_args()
    audio = np.concatenate(list(DecodedFile(args.file).blocks()))
    remote = RemoteProvider(args.server, api_key=args.api_key)
    local = FasterWhisperProvider(ModelChoice(path=args.model_path), device="cpu", threads=args.threads)
    print(f"remote: {remote.load()}\nlocal: {local.load()}")
    print("window  remote p50/max   local p50/max   remote-local p50")
    texts: dict[str, str] = {}
    for window in WINDOWS_S:
        clip = audio[: int(window * SAMPLE_RATE)]
        (far, texts["remote"]), (near, texts["local"]) = (
            timed(remote, clip, args.calls),
            timed(local, clip, args.calls),
        )
        p50 = statistics.median(far) - statistics.median(near)
        print(
            f"{len(clip) / SAMPLE_RATE:5.1f} s  {statistics.median(far):6.3f}/{max(far):.3f} s  "
            f"{statistics.median(near):6.3f}/{max(near):.3f} s  {p50:+.3f} s"
        )
    for side, text in texts.items():
        print(f"{side}: {text}")
    if args.reference is not None:
        reference = args.reference.read_text(encoding="utf-8")
        for side, text in texts.items():
            print(f"{side} WER: {word_errors(reference, text).wer:.3f}")
    remote.close()
    local.close()


if __name__ == "__main__":
    main()
