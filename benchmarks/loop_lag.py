"""How long the pipeline keeps the event loop busy: a ticker asks to run every 2 ms while the pipeline
runs real frame VAD (webrtcvad + Silero) on espeak speech replayed live, with an engine stand-in that
sleeps on its own thread (so only the pipeline's own work competes for the loop). Lateness of the ticker
is time the loop could not answer a key (other processes on the machine add to it). asyncio's debug mode
also names every step of the loop that took over 1 ms (`slow_callback_duration`).

    python -m benchmarks.loop_lag [--speed 4]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import tempfile
import time
from pathlib import Path

import numpy as np

from echotui.config import Settings
from echotui.pipeline.runner import Pipeline
from tests.doubles import LiveReplaySource, SlowProvider
from tests.support.speech import read_wav, synthesize_words

SENTENCES = ("Good morning everyone.", "The release is on track.", "Please review the pull requests.") * 4
TICK_S = 0.002


class SlowSteps(logging.Handler):
    """Collects asyncio's "Executing <...> took 0.004 seconds" reports."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []

    def emit(self, record: logging.LogRecord) -> None:
        found = re.search(r"took ([0-9.]+) seconds", record.getMessage())
        if found:
            self.seconds.append(float(found.group(1)))


async def measure(pipeline: Pipeline, audio: np.ndarray, speed: float) -> np.ndarray:
    asyncio.get_running_loop().slow_callback_duration = 0.001
    late: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            due = time.perf_counter() + TICK_S
            await asyncio.sleep(TICK_S)
            late.append(time.perf_counter() - due)

    ticks = asyncio.create_task(ticker())
    try:
        await pipeline.run(LiveReplaySource(audio, speed=speed))
    finally:
        done.set()
        await ticks
        await pipeline.close()
    return np.array(late) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--speed", type=float, default=4.0, help="replay speed (frames per second × speed)")
    args = parser.parse_args()
    speech = Path(tempfile.mkdtemp(prefix="echotui-lag-")) / "speech.wav"
    synthesize_words(SENTENCES, speech, gap_s=0.8)
    audio = read_wav(speech)
    slow = SlowSteps()
    logging.getLogger("asyncio").addHandler(slow)
    pipeline = Pipeline(SlowProvider(0.05), Settings(chunk_seconds=1.0, queue_seconds=30))  # loads Silero
    lag = asyncio.run(measure(pipeline, audio, args.speed), debug=True)
    steps = np.array(slow.seconds or [0.0]) * 1000
    print(
        f"loop steps over 1 ms: {len(slow.seconds)}, longest {steps.max():.1f} ms, total {steps.sum():.0f} ms"
    )
    print(
        f"event-loop lateness over {len(audio) / 16000:.0f} s of speech at {args.speed:g}× with VAD, "
        f"{len(lag)} ticks: p50 {np.percentile(lag, 50):.2f} ms, p95 {np.percentile(lag, 95):.2f} ms, "
        f"p99 {np.percentile(lag, 99):.2f} ms, max {lag.max():.2f} ms"
    )


if __name__ == "__main__":
    main()
