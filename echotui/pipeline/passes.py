"""When a streaming policy passes the open utterance to the engine: a strategy the pipeline is given.

Live (`LivePasses`), the policy's own rule decides: a pass when the engine keeps up (the queue is empty)
and the utterance grew by a step, and a full window at once. A replay (`RecordedPasses`, `echotui
replay`) passes exactly where the recorded session's passes ended (its journal keeps those places) and
nowhere else, whatever the timing of either run: the same engine then gives the same words.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Protocol


class PassSchedule(Protocol):
    """Asked by the policy after each block and whenever the queue is empty."""

    live: bool
    """The policy's own rule decides (False: the passes follow a recording)."""

    def after_block(self, open_end: int, due: bool) -> bool:
        """A block was pushed and the open utterance now ends at timeline index `open_end`: pass now?
        `due`: the policy's rule says so (a full window)."""
        ...

    def when_idle(self, due: bool) -> bool:
        """The queue is empty: pass now? `due`: the policy's rule says so (it grew by a step)."""
        ...


class LivePasses:
    """The policy's rule alone."""

    live = True

    def after_block(self, open_end: int, due: bool) -> bool:
        return due

    def when_idle(self, due: bool) -> bool:
        return due


class RecordedPasses:
    """Exactly at the timeline indices where a recorded session's passes ended."""

    live = False

    def __init__(self, ends: Iterable[int]) -> None:
        self.ends = deque(ends)

    def after_block(self, open_end: int, due: bool) -> bool:
        ends = self.ends
        while ends and ends[0] < open_end:
            ends.popleft()  # not reachable here (the recording differs from the session)
        if open_end and ends and ends[0] == open_end:
            ends.popleft()
            return True
        return False

    def when_idle(self, due: bool) -> bool:
        return False
