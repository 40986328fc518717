"""What can run here: which providers, on which backends, and why not.

Status checks are cheap and import no engine: packages are looked up with `importlib.util.find_spec`, the
voxtral.c binary and model folder are checked as the provider checks them. Every reason is one short
sentence a user can act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.util import find_spec

from echotui.config import Settings
from echotui.errors import EchoError
from echotui.providers.voxtral import check_model_dir, find_binary
from echotui.selection.hardware import Hardware

WHISPER_DEFAULT_MODEL = "base.en"
VOXTRAL_DEFAULT_MODEL = "Voxtral-Mini-4B-Realtime-2602"
GPU_NAMES = {"metal": "Metal", "cuda": "CUDA", "cpu": "the CPU"}


@dataclass(frozen=True)
class ProviderStatus:
    """One provider on this machine.

    Attributes:
        name: provider name as `--provider` takes it.
        available: it can run here with these settings.
        reason: one sentence: why it is (not) available and where it runs.
        backends: where it can run here ("metal", "cuda", "cpu"), best first.
        default_model: the model it uses when none is chosen.
    """

    name: str
    available: bool
    reason: str
    backends: tuple[str, ...]
    default_model: str


def _missing(*modules: str) -> str | None:
    """The first module that is not installed, without importing any of them."""
    for module in modules:
        try:
            if find_spec(module) is None:
                return module
        except (ImportError, ValueError):
            return module
    return None


def whispercpp_status(hw: Hardware, settings: Settings) -> ProviderStatus:
    """whisper.cpp through pywhispercpp: its GPU backend when the build has one here, else the CPU."""
    backends = (hw.whispercpp_gpu, "cpu") if hw.whispercpp_gpu else ("cpu",)

    def status(available: bool, reason: str) -> ProviderStatus:
        return ProviderStatus("whispercpp", available, reason, backends, WHISPER_DEFAULT_MODEL)

    if _missing("pywhispercpp", "_pywhispercpp"):
        return status(False, "Package missing: pip install pywhispercpp.")
    device = settings.whisper_device
    if device in ("metal", "cuda") and device not in backends:
        return status(False, f"No GPU: this whisper.cpp build cannot use {GPU_NAMES[device]} here.")
    if hw.whispercpp_gpu:
        return status(
            True, f"pywhispercpp is installed and its build uses {GPU_NAMES[hw.whispercpp_gpu]} here."
        )
    return status(
        True, "pywhispercpp is installed; its build has no GPU backend here, so it runs on the CPU."
    )


def fasterwhisper_status(hw: Hardware, settings: Settings) -> ProviderStatus:
    """faster-whisper (CTranslate2): CUDA when CTranslate2 sees a device, else CPU int8; never Metal."""
    backends = ("cuda", "cpu") if hw.cuda_devices > 0 else ("cpu",)

    def status(available: bool, reason: str) -> ProviderStatus:
        return ProviderStatus("faster-whisper", available, reason, backends, WHISPER_DEFAULT_MODEL)

    if _missing("faster_whisper", "ctranslate2"):
        return status(False, "Package missing: pip install faster-whisper.")
    no_metal = "CTranslate2 has no Metal backend on Macs"
    device = settings.whisper_device
    if device in ("metal", "mps"):
        return status(False, f"No GPU for it: {no_metal}; use --provider whispercpp for Metal.")
    if device == "cuda" and hw.cuda_devices == 0:
        return status(False, "No GPU: CTranslate2 sees no CUDA device; use --whisper-device cpu or auto.")
    if hw.cuda_devices > 0:
        return status(
            True, f"faster-whisper is installed; CTranslate2 sees {hw.cuda_devices} CUDA device(s)."
        )
    if hw.os == "darwin":
        return status(True, f"faster-whisper is installed; {no_metal}, so it runs on the CPU (int8).")
    return status(
        True, "faster-whisper is installed; CTranslate2 sees no CUDA device, so it runs on the CPU."
    )


def voxtral_status(hw: Hardware, settings: Settings) -> ProviderStatus:
    """Voxtral Realtime through voxtral.c: the binary and the model folder checked exactly as the provider
    checks them at load; Metal on Apple Silicon, CUDA with CUDA, else the CPU (BLAS)."""
    backend = "metal" if hw.apple_silicon else "cuda" if hw.cuda_devices > 0 else "cpu"
    model = settings.voxtral_model.name if settings.voxtral_model else VOXTRAL_DEFAULT_MODEL
    try:
        find_binary(settings.voxtral_bin)
        check_model_dir(settings.voxtral_model)
    except EchoError as error:
        message = str(error)
        return ProviderStatus("voxtral", False, f"{message[0].upper()}{message[1:]}.", (backend,), model)
    where = "the CPU through BLAS (slow)" if backend == "cpu" else GPU_NAMES[backend]
    return ProviderStatus(
        "voxtral", True, f"voxtral.c and its model are present; it runs on {where}.", (backend,), model
    )


def remote_status(settings: Settings) -> ProviderStatus:
    """A transcription server over HTTP: available once a URL is given (it is reached when it loads); never
    chosen by auto-selection, only by --provider remote."""
    model = settings.model
    if not settings.server:
        return ProviderStatus("remote", False, "No server: add --server URL (or ECHOTUI_SERVER).", (), model)
    return ProviderStatus("remote", True, f"Runs on the server at {settings.server}.", ("remote",), model)


def wyoming_status(settings: Settings) -> ProviderStatus:
    """A Wyoming server (Home Assistant's protocol): available once a tcp:// or unix:// server is given and
    the `wyoming` package is there; never chosen by auto-selection, only by --provider wyoming."""
    import importlib.util

    model, server = settings.model, settings.server or ""
    if importlib.util.find_spec("wyoming") is None:
        missing = "The wyoming package is missing: pip install 'echotui[wyoming]'."
        return ProviderStatus("wyoming", False, missing, (), model)
    if not server.startswith(("tcp://", "unix://")):
        return ProviderStatus("wyoming", False, "No Wyoming server: add --server tcp://HOST:PORT.", (), model)
    return ProviderStatus("wyoming", True, f"Runs on the Wyoming server at {server}.", ("remote",), model)


def provider_statuses(hw: Hardware, settings: Settings) -> list[ProviderStatus]:
    """Every provider's status on `hw` with `settings`, in the registry's order."""
    return [
        whispercpp_status(hw, settings),
        fasterwhisper_status(hw, settings),
        voxtral_status(hw, settings),
        remote_status(settings),
        wyoming_status(settings),
    ]
