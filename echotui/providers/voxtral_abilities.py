"""What Voxtral Realtime (voxtral.c) is and knows about a machine, before its process starts: the binary and
the model folder it needs, where it runs (Metal, CUDA, else the CPU through BLAS), and its place in
auto-selection (the largest machines, when the user opts in). `VoxtralProvider` inherits these."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from echotui.errors import EchoError
from echotui.providers.base import Capabilities, Provider
from echotui.providers.machine import GPU_NAMES, Hardware, ProviderStatus
from echotui.providers.names import VOXTRAL

if TYPE_CHECKING:
    from echotui.config import Settings

MODEL_FILES = ("consolidated.safetensors", "tekken.json", "params.json")


def find_binary(configured: str | None) -> Path:
    """The voxtral executable: the configured one, else `voxtral` on PATH."""
    candidate = configured or shutil.which("voxtral")
    if not candidate:
        raise EchoError(
            "voxtral binary not found: build voxtral.c (make mps / make blas) and set ECHOTUI_VOXTRAL_BIN"
        )
    path = Path(candidate).expanduser()
    if not path.is_file() or not os.access(path, os.X_OK):
        raise EchoError(f"{path} is not an executable voxtral binary: fix ECHOTUI_VOXTRAL_BIN")
    return path


def check_model_dir(folder: Path | None) -> Path:
    if folder is None:
        raise EchoError("no Voxtral model folder: set ECHOTUI_VOXTRAL_MODEL to the folder with its files")
    missing = [name for name in MODEL_FILES if not (folder / name).is_file()]
    if missing:
        raise EchoError(
            f"Voxtral model folder {folder} lacks {', '.join(missing)}: point ECHOTUI_VOXTRAL_MODEL at it"
        )
    return folder


class VoxtralAbilities(Provider):
    """Voxtral Realtime's class-level knowledge (see `Provider`)."""

    name: ClassVar[str] = VOXTRAL
    capabilities: ClassVar[Capabilities] = Capabilities(
        backends=("metal", "cuda", "cpu"), partial_results=True
    )
    default_model: ClassVar[str] = "Voxtral-Mini-4B-Realtime-2602"
    top_tier: ClassVar[bool] = True
    chunk_setting: ClassVar[str] = "voxtral_interval"

    @classmethod
    def status(cls, hw: Hardware, settings: Settings) -> ProviderStatus:
        """The binary and the model folder checked exactly as the provider checks them at load; Metal on
        Apple Silicon, CUDA with CUDA, else the CPU (BLAS)."""
        backend = "metal" if hw.apple_silicon else "cuda" if hw.cuda_devices > 0 else "cpu"
        model = settings.voxtral_model.name if settings.voxtral_model else cls.default_model
        try:
            find_binary(settings.voxtral_bin)
            check_model_dir(settings.voxtral_model)
        except EchoError as error:
            message = str(error)
            return ProviderStatus(cls.name, False, f"{message[0].upper()}{message[1:]}.", (backend,), model)
        where = "the CPU through BLAS (slow)" if backend == "cpu" else GPU_NAMES[backend]
        return ProviderStatus(
            cls.name, True, f"voxtral.c and its model are present; it runs on {where}.", (backend,), model
        )

    @classmethod
    def label(cls, compute: str) -> str:
        return "Voxtral Realtime"
