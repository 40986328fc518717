"""One device capture across the streams opened for it: hands blocks to the queue, keeps the timeline
(gaps included) for `--duration`, and notices a device that stopped delivering audio.

A stream is watched two ways: PortAudio's finished callback (the stream ended on its own: the device
went away), and a watchdog on arrivals (no block for `watchdog_s` once audio flowed, or none at all within
`first_audio_s` of opening: some servers take seconds to start a stream).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any, Protocol

import numpy as np

from echotui import SAMPLE_RATE
from echotui.audio.devices import InputDevice
from echotui.pipeline.queue import AudioQueue

log = logging.getLogger(__name__)


class WatchedSource(Protocol):
    """What a capture needs of the source it watches (`echotui.audio.device_source.DeviceSource`)."""

    device: InputDevice
    description: str
    samplerate: float
    watchdog_s: float
    first_audio_s: float
    overflows: int

    def open_stream(self, callback: Any, finished: Any) -> Any: ...


class Capture:
    """Attributes:
    captured: samples on the timeline so far, gaps after a loss included.
    last_arrival: monotonic time of the newest block (None before the first).
    done: set once `limit` samples are on the timeline.
    """

    def __init__(self, source: WatchedSource, queue: AudioQueue, limit: int | None) -> None:
        self.source = source
        self.queue = queue
        self.limit = limit
        self.captured = 0
        self.last_arrival: float | None = None
        self.opened = time.monotonic()
        self.done = asyncio.Event()

    def _take(self, samples: int) -> int:
        """How many of `samples` fit before the limit (sets `done` when it is reached)."""
        if self.limit is not None and self.captured + samples >= self.limit:
            samples = max(0, self.limit - self.captured)
            self.done.set()
        self.captured += samples
        return samples

    def account_gap_until_limit(self, lost_since: float) -> bool:
        """While the device is lost, the timeline goes on: True (and the gap counted) if it has reached
        the limit, so a `--duration` capture ends on time."""
        if self.limit is None:
            return False
        gap = round((time.monotonic() - lost_since) * SAMPLE_RATE)
        if self.captured + gap < self.limit:
            return False
        self.queue.mark_gap(self._take(gap), self.source.description)
        return True

    async def run(self, stop: asyncio.Event, lost_since: float | None) -> str | None:
        """Open a stream and capture until stopped or done (None), or until the device is lost (why).
        After a loss (`lost_since`), the first block back counts the time in between as a gap."""
        source = self.source
        loop = asyncio.get_running_loop()
        lost: list[str] = []
        woke = asyncio.Event()
        resampler: Any = None
        arrived = False

        def deliver(block: np.ndarray, overflowed: bool) -> None:  # on the loop thread
            nonlocal arrived
            if self.done.is_set() or lost:
                return
            now = time.monotonic()
            if overflowed:
                source.overflows += 1
            mono = block.mean(axis=1) if block.ndim == 2 else block
            if resampler is not None:
                mono = resampler.resample_chunk(mono)
            if not arrived and lost_since is not None:
                gap = round((now - lost_since) * SAMPLE_RATE) - len(mono)
                self.queue.mark_gap(self._take(max(0, gap)), source.description)
                log.info("input device %s back after %.1f s", source.device.name, now - lost_since)
            arrived, self.last_arrival = True, now
            mono = mono[: self._take(len(mono))]
            self.queue.offer(mono.astype(np.float32, copy=False))
            if self.done.is_set():
                woke.set()

        def callback(indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:  # PortAudio
            loop.call_soon_threadsafe(deliver, indata.copy(), bool(status.input_overflow))

        def ended() -> None:  # on the loop thread
            if not closing:
                lost.append("the stream ended (device unplugged or its sound server stopped)")
                woke.set()

        def finished() -> None:  # PortAudio thread; must return None
            loop.call_soon_threadsafe(ended)

        closing = False
        stream = await asyncio.to_thread(source.open_stream, callback, finished)  # PortAudio: off the loop
        if source.samplerate != SAMPLE_RATE:
            import soxr

            resampler = soxr.ResampleStream(source.samplerate, SAMPLE_RATE, 1, dtype="float32")
            log.info("capturing %s at %g Hz, resampled to 16 kHz", source.device.name, source.samplerate)
        self.opened = time.monotonic()
        await asyncio.to_thread(stream.start)
        try:
            while not (stop.is_set() or self.done.is_set() or lost):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(_either(stop, woke), source.watchdog_s / 4)
                now = time.monotonic()
                if arrived and self.last_arrival is not None and now - self.last_arrival > source.watchdog_s:
                    lost.append(f"no audio for {now - self.last_arrival:.1f} s")
                elif not arrived and now - self.opened > source.first_audio_s:
                    lost.append(f"no audio within {source.first_audio_s:.0f} s of opening it")
        finally:
            closing = True
            await asyncio.to_thread(_close, stream)
        await asyncio.sleep(0)  # deliver blocks the callback handed over before the stream closed
        if resampler is not None and not lost and not self.done.is_set():
            tail = resampler.resample_chunk(np.zeros(0, np.float32), last=True)
            self.queue.offer(tail[: self._take(len(tail))])
        return lost[0] if lost else None


async def _either(a: asyncio.Event, b: asyncio.Event) -> None:
    tasks = [asyncio.ensure_future(a.wait()), asyncio.ensure_future(b.wait())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


def _close(stream: Any) -> None:
    """Stop and close a stream; a dead device may fail to: that is logged, not raised."""
    try:
        stream.close()
    except Exception:
        log.warning("closing the input stream failed", exc_info=True)
