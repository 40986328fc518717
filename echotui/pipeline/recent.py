"""The most recent audio of the stream, as a ring buffer: the committed-word policy's windows reach back
past the open utterance into what was already said, so the engine hears each sentence with the ones
before it (pauses end utterances to save work, not the engine's context). A copy: the ledger never sees it.
"""

from __future__ import annotations

import numpy as np


class RecentAudio:
    """The last `capacity` samples of a contiguous timeline; a gap (dropped audio) starts it anew."""

    def __init__(self, capacity: int) -> None:
        self._ring = np.zeros(capacity, dtype=np.float32)
        self._end = 0  # timeline index one past the newest sample
        self._length = 0

    @property
    def start(self) -> int:
        """Timeline index of the oldest sample held."""
        return self._end - self._length

    @property
    def end(self) -> int:
        return self._end

    def append(self, start: int, samples: np.ndarray) -> None:
        if start != self._end:
            self._length = 0  # a gap: what came before does not run on into this
        self._end = start + len(samples)
        capacity = len(self._ring)
        samples = samples[-capacity:]
        first = (self._end - len(samples)) % capacity
        head = min(len(samples), capacity - first)
        self._ring[first : first + head] = samples[:head]
        self._ring[: len(samples) - head] = samples[head:]
        self._length = min(capacity, self._length + len(samples))

    def slice(self, start: int, end: int) -> np.ndarray:
        """Samples [start, end) of the timeline (start is raised to the oldest sample held)."""
        start, end = max(start, self.start), min(end, self._end)
        if end <= start:
            return np.zeros(0, dtype=np.float32)
        capacity = len(self._ring)
        first, last = start % capacity, end % capacity or capacity
        if first < last:
            return self._ring[first:last].copy()
        return np.concatenate((self._ring[first:], self._ring[:last]))
