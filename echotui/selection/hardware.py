"""Facts about this machine that decide which engine and model can keep up, and its measured encoder speed.

`detect_hardware()` reads the OS, Apple Silicon, RAM, cores, CUDA devices (as CTranslate2 sees them) and
whether the installed whisper.cpp build can use a GPU. `CachedEncoderTimer` keeps how long one full 30 s
encoder window of a local model takes here (measured by `availability.measure_encoder`) per machine
fingerprint, engine, model, device and thread count. Nothing here imports an engine at module import time.
"""

from __future__ import annotations

import json
import logging
import math
import os
import platform
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from importlib.util import find_spec
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hardware:
    """What auto-selection needs to know about the machine.

    Attributes:
        os: "darwin", "linux" or "windows".
        arch: machine architecture as the OS reports it ("arm64", "x86_64", ...).
        apple_silicon: an Apple M-series Mac (also when Python runs under Rosetta).
        ram_gb: physical memory in GiB.
        cores: CPU cores this process may use.
        cuda_devices: CUDA devices CTranslate2 sees (0 without CUDA or without CTranslate2).
        whispercpp_gpu: the GPU backend the installed whisper.cpp build can use here ("metal", "cuda"),
            or None when it runs on the CPU only.
        cpu_model: the CPU's name, for the cache fingerprint.
    """

    os: str
    arch: str
    apple_silicon: bool
    ram_gb: float
    cores: int
    cuda_devices: int = 0
    whispercpp_gpu: str | None = None
    cpu_model: str = ""

    def fingerprint(self) -> str:
        """A stable string naming this machine's speed-relevant facts, used as a cache key."""
        gpu = self.whispercpp_gpu or "cpu"
        return (
            f"{self.os}/{self.arch}/{self.cpu_model or 'unknown cpu'}/{self.cores} cores/"
            f"{round(self.ram_gb)} GB/whispercpp {gpu}/{self.cuda_devices} cuda"
        )


def _sysctl(name: str) -> str:
    try:
        done = subprocess.run(["sysctl", "-n", name], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _cpu_model(system: str) -> str:
    if system == "linux":
        try:
            for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
    if system == "darwin":
        return _sysctl("machdep.cpu.brand_string")
    return platform.processor()


def _ram_gb() -> float:
    try:
        import psutil

        return round(psutil.virtual_memory().total / 2**30, 1)
    except Exception:  # unsupported platform: unknown, which counts as low RAM
        return 0.0


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _cuda_devices() -> int:
    if find_spec("ctranslate2") is None:
        return 0
    try:
        import ctranslate2

        return int(ctranslate2.get_cuda_device_count())
    except Exception:  # a broken CUDA install must not stop detection
        log.info("CTranslate2 could not count CUDA devices", exc_info=True)
        return 0


def whispercpp_system_info() -> str | None:
    """whisper.cpp's build description (`Model.system_info()`), or None when pywhispercpp is missing."""
    if find_spec("pywhispercpp") is None:
        return None
    try:
        from pywhispercpp.model import Model

        info: Any = Model.system_info()
    except Exception:
        log.info("pywhispercpp system_info() failed", exc_info=True)
        return None
    return info if isinstance(info, str) else ""


def whispercpp_gpu_backend(apple_silicon: bool, cuda_devices: int, system_info: str | None) -> str | None:
    """The GPU the installed whisper.cpp can use: the macOS arm64 wheel ships Metal; elsewhere the build
    must mention CUDA in its system info and a CUDA device must exist. None = CPU only (or not installed)."""
    if system_info is None:
        return None
    if apple_silicon:
        return "metal"
    if "CUDA" in system_info.upper() and cuda_devices > 0:
        return "cuda"
    return None


def detect_hardware() -> Hardware:
    """Detect this machine's facts (a fraction of a second; imports pywhispercpp and CTranslate2)."""
    system = platform.system().lower()
    arch = platform.machine().lower()
    apple_silicon = system == "darwin" and (arch == "arm64" or _sysctl("hw.optional.arm64") == "1")
    cuda = _cuda_devices()
    return Hardware(
        os=system,
        arch=arch,
        apple_silicon=apple_silicon,
        ram_gb=_ram_gb(),
        cores=_cores(),
        cuda_devices=cuda,
        whispercpp_gpu=whispercpp_gpu_backend(apple_silicon, cuda, whispercpp_system_info()),
        cpu_model=_cpu_model(system),
    )


# ---------------------------------------------------------------------------------------------------------
# Measured encoder speed

Measure = Callable[[str, str, str], "float | None"]
"""(provider, model, device) -> seconds for one 30 s encoder window here, or None when it cannot be timed."""


def default_cache_path() -> Path:
    """$ECHOTUI_CACHE_DIR, else $XDG_CACHE_HOME/echotui, else ~/.cache/echotui; file encoder-timings.json."""
    folder = os.environ.get("ECHOTUI_CACHE_DIR")
    if not folder:
        folder = str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "echotui")
    return Path(folder).expanduser() / "encoder-timings.json"


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


class CachedEncoderTimer:
    """An `EncoderTimer` (see `echotui.selection.select`) that measures local models once per machine.

    Results are kept as JSON at `cache_path` (default `default_cache_path()`) keyed by the hardware
    fingerprint, provider, model, device and threads; a measurement taken while other processes used more
    than `busy_limit` of the CPU is returned but not kept. Models that are not on disk are not measured
    (None): the selector then scales from a measured smaller model or uses its built-in estimate.
    """

    def __init__(
        self,
        hw: Hardware,
        *,
        models_dir: Path | None = None,
        threads: int = 4,
        cache_path: Path | None = None,
        measure: Measure | None = None,
        busy_limit: float = 0.25,
    ) -> None:
        self.hw = hw
        self.threads = threads
        self.busy_limit = busy_limit
        self.cache_path = cache_path or default_cache_path()
        if measure is None:
            from echotui.selection.status import measure_encoder  # it imports this module

            measure = partial(measure_encoder, models_dir=models_dir, threads=threads)
        self._measure: Measure = measure

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
        seconds = self._measure(provider, model, device)
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
