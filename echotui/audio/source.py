"""What every audio source offers the pipeline (files, devices, and the wrappers that switch or loop them)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from echotui.pipeline.queue import AudioQueue


class AudioSource(Protocol):
    """Something that feeds the queue: `offer()` for live audio, `await put()` for files.

    Attributes:
        live: a device (never waits; drops when the queue is full) rather than a file (waits).
        description: what it is, for the screen and the statistics.
        duration_s: the whole length when known (a file), else None.
    """

    @property
    def live(self) -> bool: ...

    @property
    def description(self) -> str: ...

    @property
    def duration_s(self) -> float | None: ...

    async def run(self, queue: AudioQueue, stop: asyncio.Event) -> None: ...
