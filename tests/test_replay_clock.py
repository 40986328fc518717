"""A file replayed on the simulated clock: the next block comes only when the pipeline waits for it, so
computing takes no stream time and the passes fall where a real-time run on an infinitely fast engine
makes them. On the computation-aware clock computing takes its wall time and only waiting is skipped. The
wall clock paces the product's replays."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
import pytest

from echotui import SAMPLE_RATE
from echotui.audio.clock import CLOCK_ENV, ComputationAwareClock, SimulatedClock, WallClock, replay_clock
from echotui.audio.file_source import FileSource
from echotui.config import Settings
from echotui.pipeline.events import FinalTranscribed, PartialTranscribed
from echotui.pipeline.queue import AudioQueue
from tests.doubles import WordOracleProvider
from tests.support.pipeline import decode, run_pipeline, spoken_words
from tests.support.speech import WordTiming


def test_the_simulated_clock_feeds_a_block_only_when_the_consumer_waits(
    timed_words: tuple[Path, list[WordTiming]],
) -> None:
    path, _ = timed_words
    source = FileSource(path, speed=1.0, clock=SimulatedClock())
    queue = AudioQueue(SAMPLE_RATE * 60)
    seen: list[int] = []

    async def consumer() -> None:
        while await queue.wait_for_data():
            seen.append(queue.fill)  # what was queued when the consumer woke
            while queue.take(512) is not None:
                await asyncio.sleep(0)  # work between frames: the source must not feed meanwhile
                assert queue.fill < seen[-1] or queue.fill == 0

    async def main() -> None:
        consuming = asyncio.create_task(consumer())
        await source.run(queue, asyncio.Event())
        queue.close()
        await consuming

    asyncio.run(main())
    block = source.file.block_samples
    assert seen[:-1] == [block] * (len(seen) - 1), "one block at a time, each once the last was taken"
    assert sum(seen) == queue.captured == len(decode(path))


def test_compute_takes_no_stream_time_on_the_simulated_clock(
    timed_words: tuple[Path, list[WordTiming]],
) -> None:
    """An engine that takes 30 ms a call makes exactly the passes an instant one makes: same calls on the
    same audio, same words out. On the wall clock a slow engine's passes thin out instead."""
    path, words = timed_words
    audio = decode(path)
    config = Settings(chunk_seconds=0.5, max_utterance_seconds=3.0, queue_seconds=10)
    runs = []
    for delay_s in (0.0, 0.03):
        oracle = WordOracleProvider(words, audio, delay_s=delay_s)
        _, recorder = run_pipeline(oracle, config, FileSource(path, speed=1.0, clock=SimulatedClock()))
        runs.append((oracle.requests, spoken_words(recorder.of(FinalTranscribed))))
        assert recorder.of(PartialTranscribed), "passes happen while the speech goes on"
    (instant, instant_words), (slow, slow_words) = runs
    assert slow == instant
    assert instant_words == slow_words == [w.word for w in words]
    assert len(instant) > 2 * len(recorder.of(FinalTranscribed)), "more passes than finals: it streamed"


def test_the_wall_clock_paces_at_speed_and_goes_on_from_a_pause_without_a_burst() -> None:
    clock, queue = WallClock(speed=10.0), AudioQueue(SAMPLE_RATE)

    async def main() -> tuple[float, float]:
        began = time.monotonic()
        for end_s in (1.0, 2.0, 3.0):  # 0.1 s of wall time each at speed 10
            await clock.due(end_s, queue)
        paced = time.monotonic() - began
        await asyncio.sleep(0.5)  # a pause, far past the catch-up margin
        resumed = time.monotonic()
        await clock.due(4.0, queue)  # due now: it was late
        await clock.due(5.0, queue)  # one block later, not at once
        return paced, time.monotonic() - resumed

    paced, after_pause = asyncio.run(main())
    assert paced >= 0.3 * 0.99
    assert after_pause >= 0.2 * 0.99, "late by the pause: from now on at speed, two blocks take 0.2 s"


def test_the_computation_aware_clock_skips_waiting_but_not_computing() -> None:
    """3 s of audio in 0.1 s blocks to a consumer that twice computes for 0.4 s (an engine pass on its
    thread) and otherwise waits for the next block: when a pass ends, the audio that came meanwhile is
    queued, as at real time (the simulated clock would hold it back); waiting costs no wall time."""
    clock, queue = ComputationAwareClock(speed=1.0), AudioQueue(SAMPLE_RATE * 10)
    block = np.zeros(SAMPLE_RATE // 10, dtype=np.float32)
    woke_to: list[int] = []  # blocks queued each time the consumer woke

    async def consumer() -> None:
        while await queue.wait_for_data():
            woke_to.append(0)
            while queue.take(len(block)) is not None:
                woke_to[-1] += 1
            if len(woke_to) in (5, 12):
                await asyncio.to_thread(time.sleep, 0.4)

    async def main() -> float:
        consuming = asyncio.create_task(consumer())
        began = time.monotonic()
        for k in range(1, 31):
            await clock.due(k * 0.1, queue)
            await queue.put(block)
        queue.close()
        await consuming
        return time.monotonic() - began

    took = asyncio.run(main())
    assert sum(woke_to) == 30
    after_busy = [woke_to[5], woke_to[12]]
    assert all(n >= 3 for n in after_busy), f"a pass's 0.4 s of audio came while it ran: {woke_to}"
    assert woke_to[:5] == [1] * 5 and set(woke_to) - set(after_busy) == {1}, "idle: one block at a time"
    assert took < 2.0 and clock.skipped_s > 1.5, f"3 s of audio in {took:.2f} s: the waiting was skipped"


def test_the_product_replays_on_the_wall_clock_and_the_suite_asks_for_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(CLOCK_ENV, raising=False)
    assert isinstance(replay_clock(1.0), WallClock)
    monkeypatch.setenv(CLOCK_ENV, "simulated")
    assert isinstance(replay_clock(1.0), SimulatedClock)
    assert isinstance(replay_clock(0.0), WallClock), "speed 0 is already unpaced"
    monkeypatch.setenv(CLOCK_ENV, "aware")
    clock = replay_clock(2.0)
    assert isinstance(clock, ComputationAwareClock) and clock.speed == 2.0
    assert isinstance(replay_clock(0.0), WallClock)


def test_a_closed_queue_releases_a_source_waiting_on_the_simulated_clock() -> None:
    """A consumer that died must not leave the file waiting forever."""
    queue = AudioQueue(SAMPLE_RATE)

    async def main() -> None:
        waiting = asyncio.create_task(SimulatedClock().due(0.1, queue))
        await asyncio.sleep(0.01)
        assert not waiting.done()
        queue.close()
        await asyncio.wait_for(waiting, timeout=5)

    asyncio.run(main())
