"""When a replayed file's next block is due: on the wall clock, as a listener would hear it, or on a
simulated clock that leaves out time a real run would spend otherwise.

The simulated clock is whisper_streaming's computation-unaware mode: the next block comes only once the
consumer has taken every block it was given and waits for more, so the stream's time advances with the
audio alone. The pipeline then passes at exactly the points where a real-time run on an infinitely fast
engine would, deterministically and as fast as the engine allows.

The computation-aware clock is whisper_streaming's computation-aware mode: the stream's time runs with the
wall clock while the consumer computes and jumps ahead while it waits for the next block. A real engine's
passes then thin out exactly as in a real-time run on this machine (what arrives while a pass runs is
there when it ends), but waiting idle for the next block costs nothing.

The product replays on the wall clock; the test suite picks another (`ECHOTUI_REPLAY_CLOCK=simulated` or
`aware`, for a CLI run in a subprocess too).
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from echotui.pipeline.queue import AudioQueue

CLOCK_ENV = "ECHOTUI_REPLAY_CLOCK"
"""`simulated` (`aware`) makes every file replayed at a speed above 0 use `SimulatedClock`
(`ComputationAwareClock`); for tests only."""
CATCH_UP_S = 0.25  # a wall-clock replay this late (a pause, a full queue) goes on from now, with no burst


class ReplayClock(Protocol):
    """Paces a file replay: `due` returns when the block that ends `end_s` seconds into the file is due."""

    async def due(self, end_s: float, queue: AudioQueue) -> None: ...


class WallClock:
    """`speed` × real time on the monotonic clock (0 = no waiting at all)."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self._began: float | None = None
        self._last_end_s = 0.0

    async def due(self, end_s: float, queue: AudioQueue) -> None:
        if self.speed > 0 and (delay := self._until(end_s)) > 0:
            await asyncio.sleep(delay)

    def _until(self, end_s: float) -> float:
        """Seconds until the block ending at `end_s` is due (<= 0: now)."""
        now = time.monotonic()
        if self._began is None:
            self._began = now
        late = now - (self._began + self._last_end_s / self.speed)
        if late > CATCH_UP_S:  # after a pause (or waiting for room) go on at real time from here
            self._began += late
        self._last_end_s = end_s
        return self._began + end_s / self.speed - now


class SimulatedClock:
    """A block is due once the consumer has taken all it was given and waits for more (computation takes
    no stream time). Only for a queue a pipeline consumes: alone, nothing would ever take the first block."""

    async def due(self, end_s: float, queue: AudioQueue) -> None:
        await queue.consumer_waiting()


class ComputationAwareClock(WallClock):
    """`speed` × real time while the consumer computes; while it waits for the next block, that block is
    due at once and the wait is skipped (`skipped_s` adds it up). Only for a queue a pipeline consumes."""

    def __init__(self, speed: float = 1.0) -> None:
        super().__init__(speed)
        self.skipped_s = 0.0
        """Wall seconds the replay did not wait because the consumer was idle."""

    async def due(self, end_s: float, queue: AudioQueue) -> None:
        delay = self._until(end_s)
        if delay <= 0:
            return
        idle = asyncio.ensure_future(queue.consumer_waiting())
        try:
            waited, _ = await asyncio.wait({idle}, timeout=delay)
        finally:
            idle.cancel()
        assert self._began is not None
        skip = self._began + end_s / self.speed - time.monotonic()
        if waited and skip > 0:  # the consumer waits for this block: the stream's time jumps to it
            self._began -= skip  # (the stream began that much earlier)
            self.skipped_s += skip


def replay_clock(speed: float) -> ReplayClock:
    """The clock a file replay at `speed` uses: the wall clock, unless the test suite asked for the
    simulated or the computation-aware one (speed 0 stays unpaced: it is already as fast as the engine
    allows)."""
    chosen = os.environ.get(CLOCK_ENV)
    if speed > 0 and chosen == "simulated":
        return SimulatedClock()
    if speed > 0 and chosen == "aware":
        return ComputationAwareClock(speed)
    return WallClock(speed)
