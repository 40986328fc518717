"""What the pipeline tells its listener (the CLI writer or the app). Plain dataclasses, past tense.

Every type an event or the session's figures carry is here too (re-exported: a model, its words, the
metrics snapshot, its state and a failure), so the app and widgets import only this module, `output` and
`session` from the engine side."""

from __future__ import annotations

from dataclasses import dataclass

from echotui.pipeline.metrics import Ledger as Ledger
from echotui.pipeline.metrics import MetricsSnapshot as MetricsSnapshot
from echotui.pipeline.overload import SHOWN_DROP_S as SHOWN_DROP_S
from echotui.pipeline.overload import GovernorStepped as GovernorStepped
from echotui.pipeline.overload import OverloadEpisode as OverloadEpisode
from echotui.pipeline.state import Failure as Failure
from echotui.pipeline.state import State as State
from echotui.providers.base import LoadedModel as LoadedModel
from echotui.providers.base import Segment as Segment
from echotui.providers.base import Word as Word


@dataclass(frozen=True)
class PartialTranscribed:
    """The tentative text of the utterance still being spoken: the words after its committed ones (with
    an engine that gives no word times, the whole utterance so far). Replaced by later partials.

    Attributes:
        emitted_s: the stream's clock (seconds of audio captured) when it went out.
    """

    utterance_id: int
    start_s: float
    end_s: float
    text: str
    emitted_s: float | None = None


@dataclass(frozen=True)
class FinalTranscribed:
    """Final text of an utterance, never rewritten: committed words as they are agreed (several events
    per utterance), or the whole utterance at its end (`closes`), possibly empty.

    Attributes:
        latency_s: for the event that closes an utterance, its last sample entering the pipeline → this
            text out; 0 for commits mid-utterance (their figure is per word: `emitted_s - word.end_s`).
        words: the committed words with their stream times, when the engine gives word times.
        emitted_s: the stream's clock (seconds of audio captured) when it went out.
        closes: the utterance ended; no more text comes for it.
    """

    utterance_id: int
    start_s: float
    end_s: float
    captions: tuple[Segment, ...]
    latency_s: float
    words: tuple[Word, ...] = ()
    emitted_s: float | None = None
    closes: bool = True

    @property
    def text(self) -> str:
        return " ".join(c.text for c in self.captions)


@dataclass(frozen=True)
class TranscriptRevised:
    """Finished speech decoded again with long context (`revision.Reviser`): the committed words in
    `replaced`, exactly as earlier finals sent them, give way to `words`. What the user keeps (the journal,
    a saved transcript) is the text with revisions applied (`revised.apply_revision`).

    Attributes:
        start_s, end_s: the span of the stream timeline the revision covers.
        emitted_s: the stream's clock (seconds of audio captured) when it went out.
    """

    start_s: float
    end_s: float
    replaced: tuple[Word, ...]
    words: tuple[Word, ...]
    emitted_s: float | None = None

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def replaced_text(self) -> str:
        return " ".join(w.text for w in self.replaced)


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


@dataclass(frozen=True)
class ProviderSwapped:
    """A new provider or model took over at an utterance boundary.

    Attributes:
        previous: what ran before.
        model: what runs now.
        load_s: seconds the new model took to load (in the background, while the old one worked).
        swap_s: seconds from the request to the moment the new one took over.
    """

    previous: LoadedModel | None
    model: LoadedModel
    load_s: float
    swap_s: float


@dataclass(frozen=True)
class ProviderMessage:
    """A line from or about a provider, for the user."""

    provider: str
    message: str


class SwapFailed(ProviderMessage):
    """A requested provider or model could not be loaded; the current one keeps running."""


class LoadFailed(ProviderMessage):
    """The model could not load and nothing transcribes; a model the user picks meanwhile (a swap) can
    still take over and start the session."""


class EngineNotice(ProviderMessage):
    """Something a provider reported that the user should see (e.g. its engine process restarted)."""


@dataclass(frozen=True)
class EngineFailed:
    """The engine raised during a call. `fatal` False: it was reloaded and the call retried; True: it
    failed again, the session stopped, and what was still queued is counted as not transcribed."""

    provider: str
    message: str
    fatal: bool


@dataclass(frozen=True)
class WindowResent:
    """A window the transcription server did not answer (refused, timed out, failed, or a replica died
    mid-request) was sent again and answered: by `provider` (the server, or the local engine standing in),
    after `sends` sends in all and `waited_s` seconds. The window lies at `start_s` for `seconds`."""

    provider: str
    start_s: float
    seconds: float
    sends: int
    waited_s: float


@dataclass(frozen=True)
class DeviceLost:
    """The capture device stopped delivering audio at `at_s` on the timeline; the open utterance was
    finalised there."""

    message: str
    at_s: float


@dataclass(frozen=True)
class DeviceRestored:
    """Capture resumed after a loss; the `gap_s` seconds in between are counted as dropped."""

    description: str
    gap_s: float


@dataclass(frozen=True)
class MachineMeasured:
    """An "auto" choice made at start-up without measuring was checked by measuring this machine:
    `message` says what was found and done (kept, switching), or why nothing could be measured (`failed`)."""

    message: str
    failed: bool = False


PipelineEvent = (
    PartialTranscribed
    | FinalTranscribed
    | TranscriptRevised
    | AudioDropped
    | ModelLoaded
    | ProviderSwapped
    | SwapFailed
    | LoadFailed
    | EngineNotice
    | EngineFailed
    | WindowResent
    | DeviceLost
    | DeviceRestored
    | MachineMeasured
    | OverloadEpisode
    | GovernorStepped
)


def notice(event: PipelineEvent) -> str | None:
    """The one line a user reads about an event that is not transcript text (None for those that are)."""
    if isinstance(event, ModelLoaded):
        model = event.model
        return f"loaded {model.provider} {model.model} on {model.backend} in {event.load_s:.1f} s"
    if isinstance(event, ProviderSwapped) and event.previous is None:  # after a failed load: nothing ran
        return notice(ModelLoaded(event.model, event.load_s))
    if isinstance(event, ProviderSwapped):
        model = event.model
        return (
            f"switched to {model.provider} {model.model} on {model.backend} "
            f"(loaded in {event.load_s:.1f} s, took over after {event.swap_s:.1f} s)"
        )
    if isinstance(event, DeviceLost):
        return f"— device lost at {event.at_s:.1f} s: {event.message}; reopening it —"
    if isinstance(event, DeviceRestored):
        return f"— {event.description} back after {event.gap_s:.1f} s (counted as dropped) —"
    if isinstance(event, EngineFailed):
        return f"{event.provider} failed: {event.message} — {'stopping' if event.fatal else 'reloaded it'}"
    if isinstance(event, MachineMeasured):
        return event.message
    if isinstance(event, OverloadEpisode):
        return event.text if event.change != "grew" else None
    if isinstance(event, GovernorStepped):
        return event.text
    if isinstance(event, LoadFailed):
        return f"{event.provider} could not load its model: {event.message}"
    if isinstance(event, EngineNotice | SwapFailed):
        return f"{event.provider}: {event.message}"
    return None
