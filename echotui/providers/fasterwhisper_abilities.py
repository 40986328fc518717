"""What faster-whisper (CTranslate2) is and knows about a machine, before any model loads: whether it is
installed, the CUDA devices CTranslate2 sees, its device and compute-type rules (CUDA float16, else CPU int8;
never Metal), and how to time one encoder window. `FasterWhisperProvider` inherits these."""

from __future__ import annotations

import logging
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from echotui import SAMPLE_RATE
from echotui.errors import EchoError
from echotui.providers.base import Capabilities, Provider
from echotui.providers.machine import Engine, Hardware, ProviderStatus
from echotui.providers.names import FASTER_WHISPER
from echotui.providers.probing import TIMING_RUNS, fastest, missing

if TYPE_CHECKING:
    from echotui.config import Settings

log = logging.getLogger(__name__)

NO_METAL = "CTranslate2 has no Metal backend on Macs"


def choose_device(requested: str, cuda_devices: int) -> str:
    """ "auto" → cuda when CTranslate2 sees a CUDA device, else cpu. Metal does not exist here."""
    if requested in ("metal", "mps"):
        raise EchoError(
            "faster-whisper (CTranslate2) has no Metal backend: use --provider whispercpp for the Apple GPU, "
            "or --whisper-device cpu"
        )
    if requested == "auto":
        return "cuda" if cuda_devices > 0 else "cpu"
    if requested == "cuda" and cuda_devices == 0:
        raise EchoError("CTranslate2 sees no CUDA device: use --whisper-device cpu (or auto)")
    if requested not in ("cpu", "cuda"):
        raise EchoError(f"unknown device {requested!r} for faster-whisper: use auto, cpu or cuda")
    return requested


def choose_compute(requested: str, device: str) -> str:
    if requested and requested != "default":
        return requested
    return "float16" if device == "cuda" else "int8"


class FasterWhisperAbilities(Provider):
    """faster-whisper's class-level knowledge (see `Provider`)."""

    name: ClassVar[str] = FASTER_WHISPER
    capabilities: ClassVar[Capabilities] = Capabilities(
        ("cuda", "cpu"), word_timestamps=True, adaptive_window=True, model_format="ct2"
    )
    mac_cpu_note: ClassVar[str] = "; CTranslate2 has no Metal"

    @classmethod
    def status(cls, hw: Hardware, settings: Settings) -> ProviderStatus:
        """CUDA when CTranslate2 sees a device, else CPU int8; never Metal."""
        backends = ("cuda", "cpu") if hw.cuda_devices > 0 else ("cpu",)

        def status(available: bool, reason: str) -> ProviderStatus:
            return ProviderStatus(cls.name, available, reason, backends, cls.default_model)

        if missing("faster_whisper", "ctranslate2"):
            return status(False, "Package missing: pip install faster-whisper.")
        device = settings.whisper_device
        if device in ("metal", "mps"):
            return status(False, f"No GPU for it: {NO_METAL}; use --provider whispercpp for Metal.")
        if device == "cuda" and hw.cuda_devices == 0:
            return status(False, "No GPU: CTranslate2 sees no CUDA device; use --whisper-device cpu or auto.")
        if hw.cuda_devices > 0:
            return status(
                True, f"faster-whisper is installed; CTranslate2 sees {hw.cuda_devices} CUDA device(s)."
            )
        if hw.os == "darwin":
            return status(True, f"faster-whisper is installed; {NO_METAL}, so it runs on the CPU (int8).")
        return status(
            True, "faster-whisper is installed; CTranslate2 sees no CUDA device, so it runs on the CPU."
        )

    @classmethod
    def engines(cls, hw: Hardware) -> tuple[Engine, ...]:
        devices = ("cuda", "cpu") if hw.cuda_devices > 0 else ("cpu",)
        return tuple(Engine(cls.name, device, cls.compute_for(device)) for device in devices)

    @classmethod
    def cpu_first(cls, hw: Hardware) -> bool:
        """On an Intel Mac CTranslate2's int8 goes first (there is no Apple GPU for whisper.cpp either)."""
        return hw.intel_mac

    @classmethod
    def compute_for(cls, device: str, requested: str = "default") -> str:
        return choose_compute(requested, device)

    @classmethod
    def label(cls, compute: str) -> str:
        return f"faster-whisper {compute}"

    @classmethod
    def placement_reason(cls, hw: Hardware, device: str, compute: str, low_ram: bool) -> str:
        if device == "cuda":
            note = "" if hw.whispercpp_gpu else "; this whisper.cpp build has no CUDA"
            return f"CUDA GPU ({hw.cuda_devices} device{note}): {cls.label(compute)} on it"
        return super().placement_reason(hw, device, compute, low_ram)

    @classmethod
    def cuda_devices(cls) -> int | None:
        if find_spec("ctranslate2") is None:
            return None
        try:
            import ctranslate2

            return int(ctranslate2.get_cuda_device_count())
        except Exception:  # a broken CUDA install must not stop detection
            log.info("CTranslate2 could not count CUDA devices", exc_info=True)
            return None

    @classmethod
    def time_encoder(
        cls, model: str, device: str, models_dir: Path | None, threads: int, runs: int = TIMING_RUNS
    ) -> float | None:
        """Mel features and one `encode()` of a 30 s window (as whisper.cpp's timing includes its mel),
        after a warm-up, the fastest of `runs`."""
        from echotui.models.ct2_models import local_ct2_model

        folder = local_ct2_model(model, models_dir)  # never downloads just to time it
        if folder is None or not (folder / "tokenizer.json").is_file() or missing("faster_whisper"):
            return None
        from faster_whisper import WhisperModel

        engine = WhisperModel(
            str(folder),
            device="cuda" if device == "cuda" else "cpu",
            compute_type=cls.compute_for("cuda" if device == "cuda" else "cpu"),
            cpu_threads=threads,
            local_files_only=True,
        )
        silence = np.zeros(30 * SAMPLE_RATE, dtype=np.float32)

        def window() -> object:
            return engine.encode(engine.feature_extractor(silence)[:, :3000])

        window()  # warm-up
        return fastest(window, runs)
