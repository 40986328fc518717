"""This machine's measured encoder speed: `measure_encoder` times one full 30 s encoder window of a local
model, and `CachedEncoderTimer` keeps the result per machine fingerprint, engine, model, device and thread
count. Only `measure_encoder` loads an engine (through its provider class), and only for a model already on
disk.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path

from echotui.folders import cache_dir
from echotui.providers.machine import Hardware
from echotui.providers.probing import TIMING_RUNS
from echotui.providers.registry import PROVIDERS

log = logging.getLogger(__name__)


def measure_encoder(
    provider: str,
    model: str,
    device: str,
    *,
    models_dir: Path | None = None,
    threads: int = 4,
    runs: int = TIMING_RUNS,
) -> float | None:
    """Seconds for one full 30 s encoder window of a *local* model on `device` ("auto", "cpu", "metal",
    "cuda"), as the provider's class times it (`Provider.time_encoder`, the fastest of `runs` windows); None
    when the model is not on disk, the provider cannot be timed, or anything fails."""
    engine = PROVIDERS.get(provider)
    if engine is None:
        return None
    try:
        return engine.time_encoder(model, device, models_dir, threads, runs)
    except Exception:  # a model that cannot be timed is simply not measured
        log.info("could not time %s %s on %s", provider, model, device, exc_info=True)
        return None


Measure = Callable[[str, str, str], "float | None"]
"""(provider, model, device) -> seconds for one 30 s encoder window here, or None when it cannot be timed."""


def default_cache_path() -> Path:
    """encoder-timings.json in the cache folder (`folders.cache_dir`)."""
    return cache_dir() / "encoder-timings.json"


class OtherLoad:
    """How much of the machine's CPU other processes used since construction, as a share of all cores."""

    def __init__(self) -> None:
        self._start = (time.perf_counter(), time.process_time(), _busy_cpu_seconds())

    def share(self) -> float:
        """0 = nothing else ran, 1 = other processes kept every core busy; 0 for spans too short to judge."""
        wall, own, busy = (time.perf_counter(), time.process_time(), _busy_cpu_seconds())
        wall -= self._start[0]
        if wall < 0.25 or busy is None or self._start[2] is None:
            return 0.0
        others = (busy - self._start[2]) - (own - self._start[1])
        return max(0.0, others) / (wall * (os.cpu_count() or 1))


def _busy_cpu_seconds() -> float | None:
    try:
        import psutil

        times = psutil.cpu_times()
    except Exception:
        return None
    waiting = sum(getattr(times, name, 0.0) for name in ("idle", "iowait", "guest", "guest_nice"))
    return sum(times) - waiting  # guest time is already counted in user time


@dataclass
class CachedEncoderTimer:
    """An `EncoderTimer` (see `echotui.selection.select`) that measures local models once per machine.

    Results are kept as JSON at `cache_path` (default `default_cache_path()`) keyed by the hardware
    fingerprint, provider, model, device and threads; a measurement taken while other processes used more
    than `busy_limit` of the CPU is returned but not kept. Models that are not on disk are not measured
    (None): the selector then scales from a measured smaller model or uses its built-in estimate.
    """

    hw: Hardware
    _: KW_ONLY
    models_dir: Path | None = None
    threads: int = 4
    cache_path: Path = field(default_factory=default_cache_path)
    measure: Measure | None = None
    """How to time a model; default `measure_encoder` on the models in `models_dir`."""
    busy_limit: float = 0.25
    runs: int = TIMING_RUNS
    """Timed windows per measurement (after a warm-up), the fastest kept."""

    def _timed(self, provider: str, model: str, device: str) -> float | None:
        if self.measure is not None:
            return self.measure(provider, model, device)
        return measure_encoder(
            provider, model, device, models_dir=self.models_dir, threads=self.threads, runs=self.runs
        )

    def key(self, provider: str, model: str, device: str) -> str:
        return f"{self.hw.fingerprint()}|{provider}|{model}|{device}|{self.threads} threads"

    def _read(self) -> dict[str, float]:
        try:
            data = json.loads(self.cache_path.read_text())
        except (OSError, ValueError):
            return {}
        valid = isinstance(data, dict)
        return {k: float(v) for k, v in data.items() if isinstance(v, (int, float))} if valid else {}

    def _write(self, data: dict[str, float]) -> None:
        try:
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            pending = self.cache_path.with_suffix(f".{os.getpid()}.tmp")
            pending.write_text(json.dumps(data, indent=1, sort_keys=True))
            os.replace(pending, self.cache_path)
        except OSError:
            log.warning("could not write %s", self.cache_path, exc_info=True)

    def seconds_per_window(self, provider: str, model: str, device: str = "auto") -> float | None:
        """Cached seconds for one 30 s window, measuring once if the model is local; None otherwise."""
        key = self.key(provider, model, device)
        cached = self._read().get(key)
        if cached is not None and math.isfinite(cached) and cached > 0:
            return cached
        others = OtherLoad()
        seconds = self._timed(provider, model, device)
        if seconds is None or not math.isfinite(seconds) or seconds <= 0:
            return None
        if others.share() > self.busy_limit:  # true for now, but not this machine's speed: not kept
            log.info("timed %s %s at %.3f s while the machine was busy: not cached", provider, model, seconds)
            return seconds
        data = self._read()
        data[key] = seconds
        self._write(data)
        log.info("timed %s %s on %s: %.3f s per 30 s window", provider, model, device, seconds)
        return seconds
