"""What the pipeline tells its listener (the CLI writer or the app). Plain dataclasses, past tense."""

from __future__ import annotations

from dataclasses import dataclass

from echotui.providers.base import LoadedModel


@dataclass(frozen=True)
class Caption:
    """A piece of final text with its place on the stream timeline."""

    start_s: float
    end_s: float
    text: str


@dataclass(frozen=True)
class PartialTranscribed:
    """The best guess so far for the utterance still being spoken; replaced by later partials."""

    utterance_id: int
    start_s: float
    end_s: float
    text: str


@dataclass(frozen=True)
class FinalTranscribed:
    """An utterance's final text (possibly empty), replacing its partials."""

    utterance_id: int
    start_s: float
    end_s: float
    captions: tuple[Caption, ...]
    latency_s: float

    @property
    def text(self) -> str:
        return " ".join(c.text for c in self.captions)


@dataclass(frozen=True)
class AudioDropped:
    """Live audio the queue threw away because the engine fell behind."""

    start_s: float
    seconds: float


@dataclass(frozen=True)
class ModelLoaded:
    """A provider finished loading its model."""

    model: LoadedModel
    load_s: float


PipelineEvent = PartialTranscribed | FinalTranscribed | AudioDropped | ModelLoaded
