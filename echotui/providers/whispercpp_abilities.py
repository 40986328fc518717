"""What whisper.cpp is and knows about a machine, before any model loads: whether pywhispercpp is installed
and which GPU its build can use, where auto-selection may run it, and how to time one encoder window.
`WhisperCppProvider` (loading and transcribing) inherits these."""

from __future__ import annotations

import logging
import platform
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from echotui import SAMPLE_RATE
from echotui.providers.base import Capabilities, Provider
from echotui.providers.machine import GPU_NAMES, Engine, Hardware, ProviderStatus
from echotui.providers.names import WHISPERCPP
from echotui.providers.probing import TIMING_RUNS, fastest, missing

if TYPE_CHECKING:
    from echotui.config import Settings

log = logging.getLogger(__name__)


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


def whispercpp_on_cpu(use_gpu: bool) -> bool:
    """Whether whisper.cpp runs on the CPU here: told to, or its build has no GPU backend here
    (`whispercpp_gpu_backend`; before a model loads, a build with CUDA is taken to find a device)."""
    apple_silicon = platform.system() == "Darwin" and platform.machine() == "arm64"
    return not use_gpu or whispercpp_gpu_backend(apple_silicon, 1, whispercpp_system_info()) is None


def runs_q8_0(compute: str, on_cpu: bool) -> bool:
    """Whether whisper.cpp runs a q8_0 copy of a float16 model (`models.ggml_quantize`): on the CPU by
    default; "float16" keeps the file as it is, "q8_0" (or "int8") asks for the copy on a GPU too."""
    if compute in ("float16", "f16"):
        return False
    return compute in ("q8_0", "int8") or on_cpu


def file_that_runs(model: Path, compute: str, use_gpu: bool) -> Path:
    """The model file whisper.cpp loads for `model`: its q8_0 copy where `runs_q8_0` says so (made once,
    1.8x faster on a CPU), else `model` itself."""
    from echotui.models.ggml_quantize import cpu_copy

    return cpu_copy(model) if runs_q8_0(compute, whispercpp_on_cpu(use_gpu)) else model


class WhisperCppAbilities(Provider):
    """whisper.cpp's class-level knowledge (see `Provider`)."""

    name: ClassVar[str] = WHISPERCPP
    capabilities: ClassVar[Capabilities] = Capabilities(
        ("metal", "cuda", "cpu"), word_timestamps=True, adaptive_window=True, model_format="ggml"
    )

    @classmethod
    def status(cls, hw: Hardware, settings: Settings) -> ProviderStatus:
        """Its GPU backend when the build has one here, else the CPU."""
        backends = (hw.whispercpp_gpu, "cpu") if hw.whispercpp_gpu else ("cpu",)

        def status(available: bool, reason: str) -> ProviderStatus:
            return ProviderStatus(cls.name, available, reason, backends, cls.default_model)

        if missing("pywhispercpp", "_pywhispercpp"):
            return status(False, "Package missing: pip install pywhispercpp.")
        device = settings.whisper_device
        if device in ("metal", "cuda") and device not in backends:
            return status(False, f"No GPU: this whisper.cpp build cannot use {GPU_NAMES[device]} here.")
        if hw.whispercpp_gpu:
            return status(
                True, f"pywhispercpp is installed and its build uses {GPU_NAMES[hw.whispercpp_gpu]} here."
            )
        quantized = runs_q8_0(settings.whisper_compute, on_cpu=True)
        copies = ", on q8_0 copies of float16 models" if quantized else ""
        return status(True, f"pywhispercpp is installed; its build has no GPU backend here: CPU{copies}.")

    @classmethod
    def engines(cls, hw: Hardware) -> tuple[Engine, ...]:
        gpu = (Engine(cls.name, hw.whispercpp_gpu, "default"),) if hw.whispercpp_gpu else ()
        return (*gpu, Engine(cls.name, "cpu", "default"))

    @classmethod
    def label(cls, compute: str) -> str:
        return "whisper.cpp"

    @classmethod
    def placement_reason(cls, hw: Hardware, device: str, compute: str, low_ram: bool) -> str:
        if device == "metal":
            return f"{'' if low_ram else f'{hw.ram_gb:g} GB '}Apple Silicon: whisper.cpp on the GPU (Metal)"
        if device == "cuda":
            return "CUDA GPU and a whisper.cpp build with CUDA: whisper.cpp on the GPU"
        return super().placement_reason(hw, device, compute, low_ram)

    @classmethod
    def gpu_backend(cls, apple_silicon: bool, cuda_devices: int) -> str | None:
        return whispercpp_gpu_backend(apple_silicon, cuda_devices, whispercpp_system_info())

    @classmethod
    def time_encoder(
        cls, model: str, device: str, models_dir: Path | None, threads: int, runs: int = TIMING_RUNS
    ) -> float | None:
        """One call on 30 s of zeros with `audio_ctx=0` and a one-token decoder limit (mel + encoder), after
        a warm-up, the fastest of `runs`."""
        from echotui.logs import whisper_log
        from echotui.models.ggml_models import check_ggml_file, local_model

        path = local_model(model, models_dir)
        if path is None or find_spec("pywhispercpp") is None:
            return None
        check_ggml_file(path)  # a bad file would crash the process instead of raising
        path = file_that_runs(path, "default", use_gpu=device != "cpu")  # time what runs
        from pywhispercpp.model import Model

        stop_listening = whisper_log.listen(lambda line: None)  # whisper.cpp logs go to the log file
        try:
            engine = Model(
                str(path),
                context_params={"use_gpu": device != "cpu"},
                n_threads=threads,
                print_progress=False,
                print_realtime=False,
                print_timestamps=False,
                no_context=True,
                single_segment=True,
                max_tokens=1,  # bound the decoder: this times the encoder window, not a random-length text
                temperature_inc=0.0,
            )
            silence = np.zeros(30 * SAMPLE_RATE, dtype=np.float32)
            engine.transcribe(silence[:SAMPLE_RATE], audio_ctx=178)  # warm-up: allocation, GPU kernels
            full_window = 0  # audio_ctx 0: the whole 30 s window
            return fastest(lambda: engine.transcribe(silence, audio_ctx=full_window), runs)
        finally:
            stop_listening()
