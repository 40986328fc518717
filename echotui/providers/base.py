"""The provider interface every engine implements.

A provider only loads a model and transcribes audio it is given; the streaming policy lives in the
pipeline. Both `load()` and `transcribe()` are called on one dedicated thread per provider (see
`echotui.pipeline.worker`), so native contexts are never used from two threads. Everything a provider
returns is in seconds and plain dataclasses: nothing engine-specific leaks out.

A provider class also carries what it knows about machines, as class-level abilities that cost no engine
import: whether it can run here and why (`status`), where auto-selection may run it (`engines`), its
default model and compute type, why it runs where it does, and how to time one encoder window.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from echotui.providers.machine import GPU_NAMES, Engine, Hardware, ProviderStatus
from echotui.providers.probing import TIMING_RUNS

if TYPE_CHECKING:  # settings flow in; the engine layer does not depend on the config module
    from pathlib import Path

    from echotui.config import Settings


@dataclass(frozen=True)
class Capabilities:
    """What a provider can do, declared so the UI asks instead of guessing.

    Attributes:
        backends: where it can run ("metal", "cuda", "cpu"; "remote": on a server).
        partial_results: can be called repeatedly on a growing utterance.
        word_timestamps: returns per-word times.
        adaptive_window: cost shrinks with shorter audio (e.g. whisper.cpp `audio_ctx`), so each call
            costs its window's share of a full 30 s one; without it every call pays a full window.
        model_format: the model files it loads ("ggml", "ct2"), which the catalogue lists and downloads;
            None when it has no catalogue (Voxtral: one model folder the user provides).
    """

    backends: tuple[str, ...]
    partial_results: bool = True
    word_timestamps: bool = False
    adaptive_window: bool = False
    model_format: str | None = None

    @property
    def remote(self) -> bool:
        """It runs on a server (`--provider remote`, Wyoming), not on this machine."""
        return "remote" in self.backends


@dataclass(frozen=True)
class Word:
    """One recognised word with the punctuation the engine put on it, and where it lies in seconds."""

    start_s: float
    end_s: float
    text: str


@dataclass(frozen=True)
class Segment:
    """Recognised text, times in seconds relative to the start of the audio passed in.

    Attributes:
        words: the segment's words with their times (same origin), when the request asked for them and
            the provider can tell (`Capabilities.word_timestamps`); else empty.
    """

    start_s: float
    end_s: float
    text: str
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class TranscribeRequest:
    """One engine call.

    Attributes:
        audio: mono float32 at 16 kHz.
        start_s: where `audio[0]` lies on the stream timeline (engines may ignore it).
        final: True for the last call on a closed utterance, False for a partial.
        prompt: recent final text, to keep the engine's context across utterances.
        word_timestamps: return each segment's words with their times (the committed-word policy needs
            them; they cost a little more).
        full_window: decode as the engine does offline, every window padded to 30 s, not the encoder
            window sized to the audio (an offline baseline for the benchmarks).
    """

    audio: np.ndarray
    start_s: float
    final: bool
    prompt: str = ""
    word_timestamps: bool = False
    full_window: bool = False


@dataclass(frozen=True)
class LoadedModel:
    """What a provider reports once its model is loaded.

    Attributes:
        provider: provider name.
        model: model name as the user knows it.
        backend: where inference actually runs, from the engine's own report: "metal", "cuda" or "cpu".
        path: the model file or folder.
        runs: the file the engine loaded in its place, where that is another (whisper.cpp's q8_0 copy of
            `path` on a CPU); else empty.
    """

    provider: str
    model: str
    backend: str
    path: str
    runs: str = ""


class Provider(ABC):
    """A speech-to-text engine."""

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    default_model: ClassVar[str] = "base.en"
    """The model it loads when none is chosen."""
    top_tier: ClassVar[bool] = False
    """Auto-selection's pick on the largest machines (`selection.hardware.is_ultra`) when the user opts in;
    such an engine is never ranked by model size."""
    chunk_setting: ClassVar[str] = "chunk_seconds"
    """The `Settings` field a recommended chunk length goes to."""
    mac_cpu_note: ClassVar[str] = ""
    """Why it runs on a Mac's CPU rather than its GPU, when there is more to say than the chip."""

    @classmethod
    def status(cls, hw: Hardware, settings: Settings) -> ProviderStatus:
        """Whether it can run on `hw` with `settings`, where, and why in one sentence (cheap: it imports no
        engine)."""
        return ProviderStatus(cls.name, False, "Not checked on this machine.", (), cls.default_model)

    @classmethod
    def engines(cls, hw: Hardware) -> tuple[Engine, ...]:
        """Where auto-selection may run it on `hw`, GPUs first; none when auto-selection never ranks it."""
        return ()

    @classmethod
    def cpu_first(cls, hw: Hardware) -> bool:
        """Whether on `hw` its CPU configuration goes before the others' (else the registry's order)."""
        return False

    @classmethod
    def compute_for(cls, device: str, requested: str = "default") -> str:
        """The compute type it runs with on `device` when `requested` ("default" for engines without one)."""
        return "default"

    @classmethod
    def label(cls, compute: str) -> str:
        """How a reason names it running with `compute`."""
        return cls.name

    @classmethod
    def placement_reason(cls, hw: Hardware, device: str, compute: str, low_ram: bool) -> str:
        """Why it runs on `device` of `hw`, as a recommendation says it (`low_ram`: the reason already said
        how much memory there is). The CPU case here; engines with a GPU say theirs."""
        if device != "cpu":
            return f"{GPU_NAMES.get(device, device)} GPU: {cls.label(compute)} on it"
        if hw.os == "darwin":
            chip = "Apple Silicon" if hw.apple_silicon else "Intel Mac (no Apple GPU)"
            return f"{chip}{cls.mac_cpu_note}: {cls.label(compute)} on the CPU"
        gpu = "CUDA GPU unused" if hw.cuda_devices else "no GPU"
        return f"{gpu}: {cls.label(compute)} on {hw.cores} CPU cores"

    @classmethod
    def time_encoder(
        cls, model: str, device: str, models_dir: Path | None, threads: int, runs: int = TIMING_RUNS
    ) -> float | None:
        """Seconds for one full 30 s encoder window of `model`, if it is on disk, on `device` (the fastest
        of `runs` timed windows); None when it cannot be timed (not on disk, the engine missing, or an
        engine without that notion). May raise."""
        return None

    @classmethod
    def cuda_devices(cls) -> int | None:
        """CUDA devices this engine sees (imports it); None when it cannot tell."""
        return None

    @classmethod
    def gpu_backend(cls, apple_silicon: bool, cuda_devices: int) -> str | None:
        """The GPU its installed build can use here ("metal", "cuda"); None: CPU only, or not installed."""
        return None

    @classmethod
    def from_settings(cls, settings: Settings) -> Provider:
        """The provider as the settings configure it (engines override this; test doubles need not)."""
        raise TypeError(f"{cls.__name__} is not configured from settings")

    @abstractmethod
    def load(self) -> LoadedModel:
        """Load the model (slow). Raise EchoError with a one-line fix on failure."""

    @abstractmethod
    def transcribe(self, request: TranscribeRequest) -> list[Segment]:
        """Transcribe `request.audio`; segments are relative to its start."""

    @property
    def served_models(self) -> list[str] | None:
        """A server engine's models as its server listed them when it loaded (the `m` picker offers them);
        None for an engine whose models are found here (the catalogue, models on disk)."""
        return None

    @property
    def busy_waited_s(self) -> float:
        """Seconds a server engine waited on its busy server (429/503), the overload governor's
        back-pressure; 0 for an engine in this process."""
        return 0.0

    @property
    def server_timing(self) -> dict[str, float]:
        """A server engine's time on the server for its last call, in seconds by span (`total` among them,
        from the reply's Server-Timing header); {} for an engine in this process or a server that says
        nothing."""
        return {}

    def drain_notices(self) -> list[str]:
        """Things the user should hear about since the last call (an engine restart, say)."""
        return []

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release native resources."""
