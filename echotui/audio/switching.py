"""Sources that change under a running pipeline: a device switched while capturing, a file on a loop.

The pipeline runs one source; these wrap others so that the queue, the timeline and the ledger go on
unbroken across a change of device or a file's restart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from echotui.audio.source import AudioSource as Source
from echotui.pipeline.queue import AudioQueue


class SwitchableSource:
    """Runs one source at a time; `switch()` stops it and starts another in its place."""

    def __init__(self, first: Source) -> None:
        self.current = first
        self._next: Source | None = None
        self._changed = asyncio.Event()

    @property
    def live(self) -> bool:
        return self.current.live

    @property
    def description(self) -> str:
        return self.current.description

    @property
    def duration_s(self) -> float | None:
        return self.current.duration_s

    def switch(self, source: Source) -> None:
        """Hand over to `source` (call on the event loop)."""
        self._next = source
        self._changed.set()

    async def run(self, queue: AudioQueue, stop: asyncio.Event) -> None:
        while not stop.is_set():
            inner_stop = asyncio.Event()
            running = asyncio.create_task(self.current.run(queue, inner_stop))
            changed = asyncio.create_task(self._changed.wait())
            stopped = asyncio.create_task(stop.wait())
            await asyncio.wait((running, changed, stopped), return_when=asyncio.FIRST_COMPLETED)
            inner_stop.set()
            changed.cancel()
            stopped.cancel()
            await running  # let it close its stream; errors (a device that vanished) surface here
            if self._next is None:
                return  # the source ended (or we were stopped)
            self.current, self._next = self._next, None
            self._changed.clear()
            queue.mark_boundary()  # the old device's last utterance ends here, not glued to the new one


class LoopingSource:
    """Replays a source made by `make()` again each time it ends (an SSH demo that never stops)."""

    def __init__(self, make: Callable[[], Source]) -> None:
        self._make = make
        self.current = make()

    @property
    def live(self) -> bool:
        return self.current.live

    @property
    def description(self) -> str:
        return f"{self.current.description} (loop)"

    @property
    def duration_s(self) -> float | None:
        return self.current.duration_s

    async def run(self, queue: AudioQueue, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.current.run(queue, stop)
            if not stop.is_set():
                self.current = self._make()
