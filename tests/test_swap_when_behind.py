"""A user whose engine has fallen behind live speech picks a faster model. The swap is asked because the
engine is slow, so it does not wait for the next utterance boundary, which the slow engine would take many
calls to reach: the faster model takes over between two engine calls, and no audio is lost."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path

import numpy as np

from echotui import SAMPLE_RATE
from echotui.audio.clock import WallClock
from echotui.audio.file_source import DecodedFile
from echotui.config import Settings
from echotui.pipeline.events import PartialTranscribed, PipelineEvent, ProviderSwapped
from echotui.pipeline.runner import Pipeline
from echotui.pipeline.swapping import BOUNDARY_WAIT_S
from tests.doubles import LiveReplaySource, TimedWordOracle
from tests.support.speech import WordTiming

CALL_S = 1.5  # each call of the slow engine, whatever its window


def run_live(
    pipeline: Pipeline, audio: np.ndarray, speed: float, user: Callable[[], Coroutine[None, None, None]]
) -> None:
    """The audio replayed live at `speed` through the pipeline while `user` acts on it."""

    async def main() -> None:
        acting = asyncio.create_task(user())
        await pipeline.run(LiveReplaySource(audio, clock=WallClock(speed=speed)))
        await acting
        await pipeline.close()

    asyncio.run(main())


def test_a_swap_asked_while_behind_takes_over_between_calls_not_at_the_boundary(
    timed_words: tuple[Path, list[WordTiming]],
) -> None:
    path, words = timed_words
    audio = np.concatenate(list(DecodedFile(path).blocks()))
    slow = TimedWordOracle(words, audio)
    slow.delay_s = CALL_S
    seen: list[PipelineEvent] = []
    asked: list[float] = []  # when the swap was asked, on the loop's clock
    config = Settings(chunk_seconds=0.5, max_utterance_seconds=8.0, queue_seconds=30.0, vad=False)
    pipeline = Pipeline(slow, config, seen.append)

    async def ask_when_behind() -> None:
        while not pipeline.behind:
            await asyncio.sleep(0.05)
        asked.append(asyncio.get_running_loop().time())
        pipeline.swap(TimedWordOracle(words, audio))  # the user's pick: not urgent by itself
        while not any(isinstance(e, ProviderSwapped) for e in seen):
            await asyncio.sleep(0.05)

    # real time: live audio outrunning a slow engine is the point (a simulated clock never falls behind)
    run_live(pipeline, audio, 4.0, ask_when_behind)
    (swapped,) = [e for e in seen if isinstance(e, ProviderSwapped)]
    assert asked, "the engine fell behind"
    assert swapped.swap_s < CALL_S + 0.5, (
        f"took over between calls, not at the boundary: {swapped.swap_s:.1f} s"
    )
    assert pipeline.ledger().balanced, "no audio lost"


def test_a_swap_asked_while_someone_talks_on_without_a_pause_takes_over_within_seconds(
    timed_words: tuple[Path, list[WordTiming]],
) -> None:
    """The engine keeps up, but the speaker leaves no pause (no utterance boundary comes): a loaded swap
    waits `BOUNDARY_WAIT_S` for one, then takes over between two calls, and no audio is lost."""
    path, words = timed_words
    audio = np.concatenate(list(DecodedFile(path).blocks()))
    seen: list[PipelineEvent] = []
    # no VAD and a long utterance limit: the speech is one utterance from start to end
    config = Settings(chunk_seconds=0.5, max_utterance_seconds=30.0, queue_seconds=40.0, vad=False)
    pipeline = Pipeline(TimedWordOracle(words, audio), config, seen.append)

    async def ask_while_talking() -> None:
        # asked once the current engine has shown words of the open utterance (before that it may go at once)
        while not any(isinstance(e, PartialTranscribed) for e in seen):
            await asyncio.sleep(0.05)
        pipeline.swap(TimedWordOracle(words, audio))

    # real time: the wait for a boundary is the point (a simulated clock reaches the end at once)
    run_live(pipeline, audio, 1.0, ask_while_talking)
    assert len(audio) / SAMPLE_RATE > BOUNDARY_WAIT_S + 3, "the speech outlasts the wait"
    (swapped,) = [e for e in seen if isinstance(e, ProviderSwapped)]
    assert BOUNDARY_WAIT_S <= swapped.swap_s < BOUNDARY_WAIT_S + 1.0, f"took {swapped.swap_s:.1f} s"
    assert pipeline.ledger().balanced, "no audio lost"
