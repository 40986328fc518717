"""Facts about this machine that decide which engine and model can keep up, and the tier they make.

`detect_hardware()` reads the OS, Apple Silicon, RAM, cores, CUDA devices (as CTranslate2 sees them) and
whether the installed whisper.cpp build can use a GPU. `seed_tier()` names the tier auto-selection
(`echotui.selection.select`) starts from. Nothing here imports an engine at module import time.
"""

from __future__ import annotations

import logging
import os
import platform
import subprocess
from dataclasses import dataclass
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


LOW_RAM_GB = 12.0
ULTRA_RAM_GB = 32.0


def is_ultra(hw: Hardware) -> bool:
    """Enough memory and a GPU for Voxtral Realtime (≥ 32 GB on Apple Silicon or with CUDA)."""
    return hw.ram_gb >= ULTRA_RAM_GB and (hw.apple_silicon or hw.cuda_devices > 0)


def seed_tier(hw: Hardware) -> str:
    """The tier this machine falls in, as auto-selection decides it: ultra, high (a GPU an engine can use),
    low RAM, Intel Mac, or CPU; with the facts that place it there."""
    gpu = "Metal" if hw.apple_silicon else "CUDA" if hw.cuda_devices else None
    if is_ultra(hw):
        return f"ultra ({hw.ram_gb:g} GB, {gpu}): Voxtral Realtime when opted in"
    if hw.whispercpp_gpu or hw.cuda_devices:
        return f"high ({gpu} GPU, {hw.ram_gb:g} GB): engines on the GPU"
    if hw.ram_gb < LOW_RAM_GB:
        return f"low RAM ({hw.ram_gb:g} GB < {LOW_RAM_GB:g} GB): at most base.en, 2 s chunks"
    if hw.os == "darwin" and not hw.apple_silicon:
        return f"Intel Mac ({hw.cores} cores, no Apple GPU): faster-whisper int8 on the CPU first"
    return f"CPU ({hw.cores} cores, {hw.ram_gb:g} GB, no GPU): whisper.cpp on the CPU first"
