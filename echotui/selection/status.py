"""What can run here: which providers, on which backends, and why not; how fast a model's encoder is here
(`measure_encoder`) and whether it keeps up (`predict_rtf`); and the `echotui providers` output.

Status checks are cheap and import no engine: packages are looked up with `importlib.util.find_spec`, the
voxtral.c binary and model folder are checked as the provider checks them. Every reason is one short
sentence a user can act on. Only `measure_encoder` loads an engine, and only for a model already on disk.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from echotui import SAMPLE_RATE
from echotui.config import Settings
from echotui.errors import EchoError
from echotui.providers.voxtral import check_model_dir, find_binary
from echotui.selection.hardware import Hardware

if TYPE_CHECKING:
    from echotui.selection.select import Recommendation

log = logging.getLogger(__name__)

PROVIDER_NAMES = ("whispercpp", "faster-whisper", "voxtral")
WHISPER_DEFAULT_MODEL = "base.en"
VOXTRAL_DEFAULT_MODEL = "Voxtral-Mini-4B-Realtime-2602"
GPU_NAMES = {"metal": "Metal", "cuda": "CUDA", "cpu": "the CPU"}
MAX_RTF = 0.5
TYPICAL_UTTERANCE_S = 6.0
DECODE_FRACTION = 0.15
# Encoder parameters in millions (Whisper; large-v3-turbo keeps large-v3's 32-layer encoder).
ENCODER_PARAMS_M = {"tiny": 8.0, "base": 20.0, "small": 88.0, "medium": 305.0, "large": 635.0, "turbo": 635.0}
# Conservative seconds per 30 s window per million encoder parameters when nothing was measured. CPU:
# measured whisper.cpp tiny.en ≈ 1.1 s on 2 Xeon threads (rounded up), for 2 threads; scaled by √(2/threads).
BUILTIN_S_PER_M = {"cpu": 0.14, "metal": 0.003, "cuda": 0.001}


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


def provider_statuses(hw: Hardware, settings: Settings) -> list[ProviderStatus]:
    """Every provider's status on `hw` with `settings`, in PROVIDER_NAMES order."""
    return [whispercpp_status(hw, settings), fasterwhisper_status(hw, settings), voxtral_status(hw, settings)]


def _fastest(call: Callable[[], object], runs: int = 2) -> float:
    """The fastest of `runs` timed calls: other work on the machine can only slow a run down."""
    best = math.inf
    for _ in range(runs):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def _time_whispercpp(model: str, device: str, models_dir: Path | None, threads: int) -> float | None:
    from echotui.logs import whisper_log
    from echotui.models.ggml_models import check_ggml_file, local_model

    path = local_model(model, models_dir)
    if path is None:
        return None
    check_ggml_file(path)  # a bad file would crash the process instead of raising
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
        return _fastest(lambda: engine.transcribe(silence, audio_ctx=0))  # audio_ctx 0: the full 30 s window
    finally:
        stop_listening()


def _time_fasterwhisper(model: str, device: str, models_dir: Path | None, threads: int) -> float | None:
    from echotui.models.ct2_models import local_ct2_model

    folder = local_ct2_model(model, models_dir)  # never downloads just to time it
    if folder is None or not (folder / "tokenizer.json").is_file():
        return None
    from faster_whisper import WhisperModel

    cuda = device == "cuda"
    engine = WhisperModel(
        str(folder),
        device="cuda" if cuda else "cpu",
        compute_type="float16" if cuda else "int8",
        cpu_threads=threads,
        local_files_only=True,
    )
    silence = np.zeros(30 * SAMPLE_RATE, dtype=np.float32)

    def window() -> object:  # mel features and the encoder, as whisper.cpp's timing includes its mel
        return engine.encode(engine.feature_extractor(silence)[:, :3000])

    window()  # warm-up
    return _fastest(window)


def measure_encoder(
    provider: str, model: str, device: str, *, models_dir: Path | None = None, threads: int = 4
) -> float | None:
    """Seconds for one full 30 s encoder window of a *local* model on `device` ("auto", "cpu", "metal",
    "cuda"); None when the model is not on disk, the provider cannot be timed, or anything fails.

    whisper.cpp: one call on 30 s of zeros with `audio_ctx=0` and a one-token decoder limit (mel + encoder).
    faster-whisper: mel features and one `encode()` of a 30 s window. Each after a warm-up, fastest of two.
    """
    timers = {"whispercpp": _time_whispercpp, "faster-whisper": _time_fasterwhisper}
    packages = {"whispercpp": "pywhispercpp", "faster-whisper": "faster_whisper"}
    if provider not in timers or find_spec(packages[provider]) is None:
        return None
    try:
        return timers[provider](model, device, models_dir, threads)
    except Exception:  # a model that cannot be timed is simply not measured
        log.info("could not time %s %s on %s", provider, model, device, exc_info=True)
        return None


def encoder_params(model: str) -> float | None:
    """Millions of encoder parameters of a Whisper model name (".en" and "-q5_1"-style suffixes ignored)."""
    base = re.sub(r"-q\d_\d$", "", model).removesuffix(".en")
    if base.startswith("large") or base == "turbo":
        return ENCODER_PARAMS_M["large"]
    return ENCODER_PARAMS_M.get(base)


def window_seconds(utterance_s: float) -> float:
    """The adaptive whisper.cpp window for an utterance: audio_ctx = 50·L + 128 frames (50 per second)."""
    return min(30.0, (50 * utterance_s + 128) / 50)


def predict_rtf(provider: str, t30: float, chunk_s: float, utterance_s: float = TYPICAL_UTTERANCE_S) -> float:
    """Predicted compute seconds per second of speech.

    The open utterance is re-transcribed every `chunk_s` seconds, so about 1/c calls per second (the
    README's streaming benchmark: 67 calls for 66 s at 1 s chunks; a final replaces a partial). Each call
    costs `t30` (one full 30 s window, as `CachedEncoderTimer` measures it) scaled to its window, plus a
    decoder and mel overhead of DECODE_FRACTION·t30. Calibration on this 2-core machine: t30 measured
    1.0 s (tiny.en) and 2.4 s (base.en); the model then says 0.44 and 1.04 s per call, the benchmark
    measured 0.44 and 0.96 s (random weights, which decode more tokens than speech does).

    - whisper.cpp (adaptive window): (window(L)/30 + DECODE_FRACTION)·t30 / c, with L = 6 s, the mean
      open length of the longest (12 s) utterances the policy makes.
    - faster-whisper (a full window every call): (1 + DECODE_FRACTION)·t30 / c.
    """
    share = window_seconds(utterance_s) / 30 if provider == "whispercpp" else 1.0
    return (share + DECODE_FRACTION) * t30 / chunk_s


def builtin_seconds(device: str, params: float, threads: int) -> float:
    """A conservative guess at seconds per 30 s window when nothing could be measured."""
    per_m = BUILTIN_S_PER_M.get(device, BUILTIN_S_PER_M["cpu"])
    scale = math.sqrt(2 / max(1, threads)) if device == "cpu" else 1.0
    return per_m * params * scale


def describe(recommendation: Recommendation) -> str:
    """One line: what is recommended and why (the reason carries the predicted RTF)."""
    r = recommendation
    return (
        f"recommended: {r.provider} {r.model} on {r.device} ({r.compute}), {r.chunk_seconds:g} s chunks, "
        f"because {r.reason}"
    )


def format_providers(statuses: list[ProviderStatus], recommendation: Recommendation | None) -> str:
    """A plain-text table of the providers, then the recommendation line (for `echotui providers`)."""
    header = ("provider", "available", "backends", "default model", "why")
    rows = [
        (s.name, "yes" if s.available else "no", ",".join(s.backends), s.default_model, s.reason)
        for s in statuses
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join([*(cells[i].ljust(width) for i, width in enumerate(widths)), cells[-1]])

    lines = [line(row) for row in [header, *rows]]
    lines.append(
        describe(recommendation) if recommendation else "recommended: nothing can run here (see above)"
    )
    return "\n".join(lines)


def providers_json(
    statuses: list[ProviderStatus], recommendation: Recommendation | None, hw: Hardware
) -> dict[str, Any]:
    """The same as `format_providers`, as JSON-ready data (for `echotui providers --json`)."""
    return {
        "hardware": {**asdict(hw), "fingerprint": hw.fingerprint()},
        "providers": [{**asdict(s), "backends": list(s.backends)} for s in statuses],
        "recommended": asdict(recommendation) if recommendation else None,
    }
