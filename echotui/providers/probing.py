"""Small helpers the provider classes share for their machine checks: is a package installed (without
importing it), and the fastest of a few timed calls."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from importlib.util import find_spec

TIMING_RUNS = 2
"""Timed calls of an encoder timing after its warm-up; the fastest is kept."""


def missing(*modules: str) -> str | None:
    """The first module that is not installed, without importing any of them."""
    for module in modules:
        try:
            if find_spec(module) is None:
                return module
        except (ImportError, ValueError):
            return module
    return None


def fastest(call: Callable[[], object], runs: int = TIMING_RUNS) -> float:
    """The fastest of `runs` timed calls: other work on the machine can only slow a run down."""
    best = math.inf
    for _ in range(runs):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best
