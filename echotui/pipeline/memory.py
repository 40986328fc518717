"""Freed heap goes back to the system now and then.

whisper.cpp sizes its compute buffers to each call's audio, on the engine's own thread; glibc keeps what
is freed in per-thread arenas, so a process's RSS creeps up (about 20 MB over a 10-minute soak) while the
memory in use stays flat: `python -m benchmarks.soak --trim` shows both. `malloc_trim(0)` once a minute
returns the slack; it takes about a millisecond. Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import time
from typing import Any

RETURN_EVERY_S = 60.0


def _libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


class HeapReturner:
    """`maybe_return()` after engine calls: returns freed heap (`malloc_trim`) at most once every `every_s`
    seconds. (The policies' "trim" is the window's front moving on: another thing.)"""

    def __init__(self, every_s: float = RETURN_EVERY_S) -> None:
        self.every_s = every_s
        self.returns = 0
        self._libc = _libc()
        self._last = time.monotonic()

    def maybe_return(self) -> None:
        if self._libc is None or time.monotonic() - self._last < self.every_s:
            return
        self._libc.malloc_trim(0)
        self._last = time.monotonic()
        self.returns += 1
