"""The provider interface every engine implements.

A provider only loads a model and transcribes audio it is given; the streaming policy lives in the
pipeline. Both `load()` and `transcribe()` are called on one dedicated thread per provider (see
`echotui.pipeline.worker`), so native contexts are never used from two threads. Everything a provider
returns is in seconds and plain dataclasses: nothing engine-specific leaks out.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

if TYPE_CHECKING:  # settings flow in; the engine layer does not depend on the config module
    from echotui.config import Settings


@dataclass(frozen=True)
class Capabilities:
    """What a provider can do, declared so the UI asks instead of guessing.

    Attributes:
        backends: where it can run ("metal", "cuda", "cpu").
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
    """

    provider: str
    model: str
    backend: str
    path: str


class Provider(ABC):
    """A speech-to-text engine."""

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]

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

    def drain_notices(self) -> list[str]:
        """Things the user should hear about since the last call (an engine restart, say)."""
        return []

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release native resources."""
