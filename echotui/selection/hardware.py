"""Facts about this machine that decide which engine and model can keep up, and the tier they make.

`detect_hardware()` reads the OS, Apple Silicon, RAM, cores, and asks the providers what only an engine can
tell: the CUDA devices it sees, and the GPU its installed build can use. `seed_tier()` names the tier
auto-selection (`echotui.selection.select`) starts from. Nothing here imports an engine package.
"""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

from echotui.providers.machine import Hardware
from echotui.providers.names import WHISPERCPP
from echotui.providers.registry import PROVIDERS

__all__ = ["LOW_RAM_GB", "ULTRA_RAM_GB", "Hardware", "detect_hardware", "is_ultra", "seed_tier"]


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


def detect_hardware() -> Hardware:
    """Detect this machine's facts (a fraction of a second; the providers import their engines to tell)."""
    system = platform.system().lower()
    arch = platform.machine().lower()
    apple_silicon = system == "darwin" and (arch == "arm64" or _sysctl("hw.optional.arm64") == "1")
    counts = [n for cls in PROVIDERS.values() if (n := cls.cuda_devices()) is not None]
    cuda = max(counts, default=0)
    return Hardware(
        os=system,
        arch=arch,
        apple_silicon=apple_silicon,
        ram_gb=_ram_gb(),
        cores=_cores(),
        cuda_devices=cuda,
        whispercpp_gpu=PROVIDERS[WHISPERCPP].gpu_backend(apple_silicon, cuda),
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
