"""A bounded audio queue measured in samples.

Live sources `offer()` audio and never wait: when the queue is full the oldest audio is dropped and
counted. File sources `await put()` and wait for room: they never drop. Every sample gets a position on
the stream timeline (its index among all samples captured), so dropped audio leaves a visible gap.

All methods run on the event loop thread; nothing here is thread-safe and nothing needs to be.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AudioBlock:
    """A run of contiguous samples.

    Attributes:
        start: index of the first sample on the stream timeline.
        samples: mono float32 at 16 kHz.
        arrived: monotonic time at which the block entered the pipeline.
    """

    start: int
    samples: np.ndarray
    arrived: float

    @property
    def end(self) -> int:
        return self.start + len(self.samples)


@dataclass(frozen=True)
class DroppedRun:
    """Audio the queue threw away: `length` samples from timeline index `start`."""

    start: int
    length: int


class AudioQueue:
    """Bounded FIFO of audio with drop-oldest (`offer`) and back-pressure (`put`)."""

    def __init__(self, capacity_samples: int, clock: Callable[[], float] = time.monotonic) -> None:
        if capacity_samples <= 0:
            raise ValueError("capacity must be positive")
        self.capacity = capacity_samples
        self._clock = clock
        self._blocks: deque[AudioBlock] = deque()
        self._fill = 0
        self.captured = 0
        """Samples that ever entered the queue (the timeline's length)."""
        self.dropped = 0
        """Samples evicted by `offer` because the queue was full."""
        self.dropped_runs: list[DroppedRun] = []
        self.max_fill = 0
        self.level_db = SILENCE_DB
        """Loudness of the newest audio (RMS, dBFS): the input level meter."""
        self.tap: Callable[[np.ndarray], None] | None = None
        """Sees every block that enters, and silence for device gaps (`--record`)."""
        self.lost: str | None = None
        """Why the device stopped delivering audio, while it is lost (see `mark_loss`)."""
        self.losses: deque[tuple[int, str | None]] = deque()
        """(timeline index, reason) of device losses, or (index, None) of device changes, the consumer
        has not dealt with yet: the open utterance ends there."""
        self.device_gaps: dict[int, str] = {}
        """Timeline index → device of gaps left by a lost device (counted as dropped)."""
        self.passes = 0
        """Passes over the open utterance begun so far (`pass_began`): the queue's low points."""
        self.pass_fill = 0
        """Samples queued when the latest pass began."""
        self._paused = False
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._closed = False
        self._data = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._waiting = asyncio.Event()  # the consumer waits for data and nothing is queued

    @property
    def fill(self) -> int:
        """Samples waiting in the queue."""
        return self._fill

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        """Stop taking audio: live audio offered meanwhile is not captured, files wait."""
        self._paused = True
        self._resumed.clear()

    def resume(self) -> None:
        self._paused = False
        self._resumed.set()

    def _append(self, samples: np.ndarray) -> None:
        self.level_db = level_db(samples)
        if self.tap is not None:
            self.tap(samples)
        block = AudioBlock(self.captured, samples, self._clock())
        self._blocks.append(block)
        self.captured += len(samples)
        self._fill += len(samples)
        self.max_fill = max(self.max_fill, self._fill)
        self._data.set()
        self._waiting.clear()
        if self._fill >= self.capacity:
            self._room.clear()

    def offer(self, samples: np.ndarray) -> int:
        """Add live audio without waiting; evict the oldest samples to fit. Returns samples dropped."""
        if self._closed or self._paused or len(samples) == 0:
            return 0
        dropped_before = self.dropped
        if len(samples) > self.capacity:  # only the newest `capacity` samples can fit at all
            self._evict(self._fill)
            head = len(samples) - self.capacity
            self._note_drop(self.captured, head)
            self.captured += head
            samples = samples[head:]
        excess = self._fill + len(samples) - self.capacity
        if excess > 0:
            self._evict(excess)
        self._append(samples)
        return self.dropped - dropped_before

    async def put(self, samples: np.ndarray) -> None:
        """Add audio, waiting while the queue is full (back-pressure). Never drops."""
        offset = 0
        while self._paused and not self._closed:
            await self._resumed.wait()
        while offset < len(samples) and not self._closed:
            while self._fill >= self.capacity and not self._closed:
                self._room.clear()
                await self._room.wait()
            take = min(len(samples) - offset, self.capacity - self._fill)
            self._append(samples[offset : offset + take])
            offset += take

    def mark_loss(self, reason: str) -> None:
        """The live device stopped delivering audio here: the consumer ends the open utterance."""
        self.lost = reason
        self.level_db = SILENCE_DB
        self.losses.append((self.captured, reason))
        self._data.set()

    def mark_boundary(self) -> None:
        """Another device takes over here: speech before and after must not join into one utterance."""
        self.losses.append((self.captured, None))
        self._data.set()

    def mark_gap(self, samples: int, device: str) -> None:
        """Capture resumed after a loss: the `samples` not heard meanwhile take their place on the
        timeline and are counted as dropped."""
        self.lost = None
        if samples > 0 and not self._closed:
            self.device_gaps[self.captured] = device
            if self.tap is not None:
                self.tap(np.zeros(samples, dtype=np.float32))
            self._note_drop(self.captured, samples)
            self.captured += samples

    def _note_drop(self, start: int, length: int) -> None:
        self.dropped += length
        last = self.dropped_runs[-1] if self.dropped_runs else None
        if last is not None and last.start + last.length == start:
            self.dropped_runs[-1] = DroppedRun(last.start, last.length + length)
        else:
            self.dropped_runs.append(DroppedRun(start, length))

    def _evict(self, count: int) -> None:
        """Drop `count` samples from the front."""
        evicted = 0
        while evicted < count and self._blocks:
            block = self._blocks[0]
            need = count - evicted
            if len(block.samples) <= need:
                self._blocks.popleft()
                self._note_drop(block.start, len(block.samples))
                evicted += len(block.samples)
            else:
                self._blocks[0] = AudioBlock(block.start + need, block.samples[need:], block.arrived)
                self._note_drop(block.start, need)
                evicted += need
        self._fill -= evicted

    def take(self, max_samples: int) -> AudioBlock | None:
        """Remove and return up to `max_samples` contiguous samples from the front, or None if empty."""
        if not self._blocks:
            return None
        block = self._blocks[0]
        if len(block.samples) <= max_samples:
            self._blocks.popleft()
            taken = block
        else:
            taken = AudioBlock(block.start, block.samples[:max_samples], block.arrived)
            self._blocks[0] = AudioBlock(
                block.start + max_samples, block.samples[max_samples:], block.arrived
            )
        self._fill -= len(taken.samples)
        if not self._blocks:
            self._data.clear()
        if self._fill < self.capacity:
            self._room.set()
        return taken

    def pass_began(self) -> None:
        """A pass over the open utterance begins: the queue is at a low point. A pass starts once the
        consumer has taken what waited (or, behind, once the window grew a chunk: the rest waits); an
        utterance's final call starts where the utterance ends, however much audio is queued after it."""
        self.passes += 1
        self.pass_fill = self._fill

    async def wait_for_data(self) -> bool:
        """Wait until audio is queued. False once the queue is closed and empty."""
        while not self._blocks:
            if self.losses:
                return True
            if self._closed:
                return False
            self._data.clear()
            self._waiting.set()
            try:
                await self._data.wait()
            finally:
                if not self._closed:
                    self._waiting.clear()
        return True

    async def consumer_waiting(self) -> None:
        """Return once the consumer has taken everything queued and waits for more (in `wait_for_data`):
        the simulated replay clock feeds the next block only then."""
        await self._waiting.wait()

    def close(self) -> None:
        """No more audio will come; wake every waiter."""
        self._closed = True
        self._data.set()
        self._room.set()
        self._waiting.set()  # a consumer gone or finishing waits for nothing more
        self._resumed.set()


SILENCE_DB = -120.0


def level_db(samples: np.ndarray) -> float:
    """RMS level in dBFS (full-scale sine ≈ -3 dB), floored at SILENCE_DB."""
    if not len(samples):
        return SILENCE_DB
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return max(SILENCE_DB, 20.0 * float(np.log10(rms)) if rms > 0 else SILENCE_DB)
