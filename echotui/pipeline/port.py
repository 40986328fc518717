"""Between a policy and the runner: what a policy may ask of the runner (`PolicyPort`: the stream's clock,
the open utterance, recent audio, releasing frames, an engine call) and what it hands back (`Step`: text to
send out, and where audio went). The runner sends the text, keeps the counts and the metrics, and swaps
engines; a policy only decides when the engine is called on what audio, and what the words are."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from echotui import SAMPLE_RATE
from echotui.pipeline.events import EngineNotice, PipelineEvent
from echotui.pipeline.failures import call_with_restart
from echotui.pipeline.framing import FramingThread
from echotui.pipeline.metrics import Metrics
from echotui.pipeline.queue import AudioQueue
from echotui.pipeline.recent import RecentAudio
from echotui.pipeline.segmenter import Utterance
from echotui.pipeline.worker import CallResult, InferenceWorker
from echotui.providers.base import TranscribeRequest, Word


@dataclass(frozen=True)
class Partial:
    """Tentative text for the open utterance (replaces the one before; empty clears it)."""

    utterance: Utterance
    words: list[Word]


@dataclass(frozen=True)
class Commit:
    """Final text: `closes` when it ends its utterance; `latency` from the utterance's last audio."""

    utterance: Utterance
    words: list[Word]
    latency: float
    closes: bool


@dataclass
class Step:
    """What one call into a policy produced, in order.

    Attributes:
        texts: partials and commits, to send out in this order.
        window_s: a pass heard a window this long (for the metrics), else None.
        released: samples of the open utterance released after committed words: transcribed for good.
        done: closed utterances now transcribed (they leave "in flight").
        silent: closed utterances the speech gate heard no speech in (they leave "in flight", skipped).
    """

    texts: list[Partial | Commit] = field(default_factory=list)
    window_s: float | None = None
    released: int = 0
    done: list[Utterance] = field(default_factory=list)
    silent: list[Utterance] = field(default_factory=list)

    @property
    def landed(self) -> int:
        """Samples of closed utterances that leave "in flight" with this step."""
        return sum(len(u.audio) for u in (*self.done, *self.silent))

    @property
    def transcribed(self) -> int:
        return self.released + sum(len(u.audio) for u in self.done)

    @property
    def skipped(self) -> int:
        return sum(len(u.audio) for u in self.silent)


class PolicyPort:
    """The runner's side, as a policy sees it. `worker` is asked for at each call: a swap replaces it."""

    def __init__(
        self,
        queue: AudioQueue,
        framing: FramingThread,
        recent: RecentAudio,
        worker: Callable[[], InferenceWorker],
        metrics: Metrics,
        on_event: Callable[[PipelineEvent], None],
    ) -> None:
        self._queue, self._framing, self._recent = queue, framing, recent
        self._worker, self._metrics, self._on_event = worker, metrics, on_event

    @property
    def word_times(self) -> bool:
        """The engine now gives word times (a swap may change it)."""
        return self._worker().provider.capabilities.word_timestamps

    @property
    def clock_s(self) -> float:
        """The stream's clock: seconds of audio captured so far."""
        return self._queue.captured / SAMPLE_RATE

    # ---- the open utterance ------------------------------------------------------------------------

    @property
    def open_id(self) -> int:
        return self._framing.segmenter.open_id

    @property
    def open_samples(self) -> int:
        return self._framing.segmenter.open_samples

    @property
    def open_end(self) -> int:
        return self._framing.segmenter.open_end

    def open_utterance(self) -> Utterance | None:
        """The open utterance so far (a copy of its audio), or None."""
        return self._framing.segmenter.open_utterance()

    def release_frames(self, frames: int) -> int:
        """The open utterance's first `frames` are transcribed for good; returns the samples released."""
        return self._framing.release(frames)

    @property
    def drained(self) -> bool:
        """Nothing more is coming: the source ended or stop was asked, and all it gave is in."""
        queue, framing = self._queue, self._framing
        return queue.closed and not queue.fill and not framing.is_open and not framing.in_flight

    # ---- recent audio -------------------------------------------------------------------------------

    @property
    def recent_start(self) -> int:
        """Timeline index of the oldest sample of recent audio held (`recent_s` of it at most)."""
        return self._recent.start

    def recent_audio(self, start: int, end: int) -> np.ndarray:
        """Samples [start, end) of recent audio."""
        return self._recent.slice(start, end)

    # ---- the engine ---------------------------------------------------------------------------------

    async def call(
        self, request: TranscribeRequest, check_speech: bool, gate_audio: np.ndarray | None = None
    ) -> CallResult:
        """One engine call (reloaded and retried once if it fails); the gate listens to `gate_audio` first
        when `check_speech`. Its time counts in the metrics when the engine was called."""
        worker = self._worker()
        if not request.final:
            self._queue.pass_began()
        result = await call_with_restart(worker, request, check_speech, self._on_event, gate_audio=gate_audio)
        if result.speech:
            self._metrics.record_call(result.inference_s, len(request.audio))
        for notice in result.notices:
            self._on_event(EngineNotice(self._worker().provider.name, notice))
        return result

    async def contains_speech(self, audio: np.ndarray) -> bool:
        """The speech gate's verdict, on the engine's thread."""
        return await self._worker().contains_speech(audio)
