"""When a replayed file's next block is due: on the wall clock, as a listener would hear it, or on a
simulated clock on which computing takes no time.

The simulated clock is whisper_streaming's computation-unaware mode: the next block comes only once the
consumer has taken every block it was given and waits for more, so the stream's time advances with the
audio alone. The pipeline then passes at exactly the points where a real-time run on an infinitely fast
engine would, deterministically and as fast as the engine allows. The product replays on the wall clock;
the test suite picks the simulated one (`ECHOTUI_REPLAY_CLOCK=simulated` for a CLI run in a subprocess).
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from echotui.pipeline.queue import AudioQueue

CLOCK_ENV = "ECHOTUI_REPLAY_CLOCK"
"""`simulated` makes every file replayed at a speed above 0 use `SimulatedClock` (for tests only)."""
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
        if self.speed <= 0:
            return
        now = time.monotonic()
        if self._began is None:
            self._began = now
        late = now - (self._began + self._last_end_s / self.speed)
        if late > CATCH_UP_S:  # after a pause (or waiting for room) go on at real time from here
            self._began += late
        self._last_end_s = end_s
        delay = self._began + end_s / self.speed - now
        if delay > 0:
            await asyncio.sleep(delay)


class SimulatedClock:
    """A block is due once the consumer has taken all it was given and waits for more (computation takes
    no stream time). Only for a queue a pipeline consumes: alone, nothing would ever take the first block."""

    async def due(self, end_s: float, queue: AudioQueue) -> None:
        await queue.consumer_waiting()


def replay_clock(speed: float) -> ReplayClock:
    """The clock a file replay at `speed` uses: the wall clock, unless the test suite asked for the
    simulated one (speed 0 stays unpaced: it is already as fast as the engine allows)."""
    if speed > 0 and os.environ.get(CLOCK_ENV) == "simulated":
        return SimulatedClock()
    return WallClock(speed)
