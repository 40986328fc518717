"""The streaming pipeline: source → bounded queue → VAD/utterances → engine thread → events.

Everything here runs on the asyncio event loop except frame VAD, which runs on its own thread (Silero's
ONNX model every 32 ms must not stall the UI), and engine calls, which run on the provider's own thread
(`InferenceWorker`). The ledger is only changed on the loop: a block handed to the VAD thread counts as
pending until the loop takes the segmenter's counts back, so the conservation law holds at every moment the
loop can observe.

The consumer takes audio from the queue a frame at a time; what is transcribed when is the policy's
(`policy.choose_policy`: committed words, partials and finals, or long windows), which works through a
narrow port (`port.PolicyPort`) and hands back steps: the runner's policy host (`policy_host`) sends their
text and counts where their audio went; the runner keeps the metrics and swaps engines. The backlog stays
in the bounded queue where it is measured (and, for live input, dropped oldest-first).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from echotui import SAMPLE_RATE
from echotui.audio.source import AudioSource
from echotui.config import Settings
from echotui.pipeline import events
from echotui.pipeline.consumer import Consumer
from echotui.pipeline.failures import EngineFailure, describe
from echotui.pipeline.framing import FramingThread
from echotui.pipeline.governing import Governing
from echotui.pipeline.metrics import Ledger, Metrics, MetricsSnapshot
from echotui.pipeline.passes import LivePasses, PassSchedule
from echotui.pipeline.policy import Policy
from echotui.pipeline.policy_host import PolicyHost
from echotui.pipeline.port import PolicyPort
from echotui.pipeline.queue import AudioQueue
from echotui.pipeline.recent import RecentAudio
from echotui.pipeline.revision import Reviser
from echotui.pipeline.revision_engine import RevisionEngine, revision_engine_for
from echotui.pipeline.state import Failure, State
from echotui.pipeline.streaming_config import StreamingConfig
from echotui.pipeline.swapping import HotSwap
from echotui.pipeline.tuning import STREAMING
from echotui.pipeline.vad import FrameClassifier, NoGate, SpeechGate
from echotui.pipeline.worker import InferenceWorker
from echotui.providers.base import Provider

if TYPE_CHECKING:
    from echotui.pipeline.fallback import ServerFallback

log = logging.getLogger(__name__)


class Pipeline:
    """Runs one source through one provider, emitting events and keeping metrics."""

    def __init__(
        self,
        provider: Provider,
        config: StreamingConfig | Settings,
        on_event: Callable[[events.PipelineEvent], None] = lambda event: None,
        *,
        classifier: FrameClassifier | None = None,
        progress: Callable[[], str | None] = lambda: None,
        passes: PassSchedule | None = None,
        revision_engine: RevisionEngine | None = None,
    ) -> None:
        """`config`: the streaming knobs (from settings: `Settings.streaming()`, which is called here when
        given the settings). `progress`: what is being prepared meanwhile (a model download), shown in the
        snapshot. `passes`: when the open utterance is passed to the engine (`echotui replay`: where the
        recorded session's passes were), else the policy's own rule."""
        if isinstance(config, Settings):  # `revision_engine`: from the settings unless given
            revision_engine = revision_engine or revision_engine_for(config)
            config = config.streaming()
        self._config = config
        self.on_event = on_event
        self.worker = InferenceWorker(provider, SpeechGate() if config.vad else NoGate())
        self.framing = FramingThread.for_settings(config, classifier)
        self.segmenter = self.framing.segmenter
        self.queue = AudioQueue(round(config.queue_seconds * SAMPLE_RATE))
        self.metrics = Metrics()
        self.progress = progress
        self.recent = RecentAudio(round(STREAMING.recent_s * SAMPLE_RATE))
        send: Callable[[events.PipelineEvent], None] = lambda event: self.on_event(event)  # noqa: E731
        port = PolicyPort(self.queue, self.framing, self.recent, lambda: self.worker, self.metrics, send)
        self.reviser = Reviser(self, revision_engine)  # behind the live words: told of each commit
        self.host = PolicyHost(
            port, config, passes or LivePasses(), self.metrics, send, self.reviser.committed
        )
        self.tally = self.host.tally  # where the audio given to the policy went
        self._stop = asyncio.Event()
        self._source: AudioSource | None = None
        self._finished = False
        self.swapper = HotSwap(self)
        self.abandoned = False
        self.governing: Governing | None = None
        """The overload governor (`governing.Governing`), started by `run()` once the model is loaded."""
        self.failure: Failure | None = None
        """Why the session stopped on an error (a model that did not load, the engine), else None."""
        self.fallback: ServerFallback | None = None
        """A remote engine's outage handling (`fallback.ServerFallback` sets itself here), else None."""
        self.consumer = Consumer(
            self.queue, self.framing, self.recent, self.host, self.reviser, self.swapper, send
        )

    @property
    def policy(self) -> Policy:
        return self.host.policy

    @property
    def config(self) -> StreamingConfig:
        """The streaming knobs in force (the overload governor changes some while it steps down)."""
        return self._config

    @config.setter
    def config(self, config: StreamingConfig) -> None:
        self._config = config
        self.host.reconfigure(config)

    # ---- accounting -------------------------------------------------------------------------------

    @property
    def transcribed(self) -> int:
        return self.tally.transcribed

    def ledger(self) -> Ledger:
        waiting = self.queue.fill + self.framing.in_flight + self.framing.pending + self.tally.inflight
        stopped = self.failure is not None or self.abandoned  # nothing waiting will be transcribed now
        return Ledger(
            captured=self.queue.captured,
            transcribed=self.tally.transcribed,
            vad_skipped=self.framing.skipped + self.tally.gate_skipped,
            dropped=self.queue.dropped,
            pending=0 if stopped else waiting,
            untranscribed=waiting if stopped else 0,
        )

    def snapshot(self) -> MetricsSnapshot:
        """Every figure now. Call at a steady rate (the UI's timer, 4-10 Hz): it also samples the backlog for
        its sparkline. Overloaded is the governor's episode (none without a governor: a replay, flat out)."""
        self.metrics.record_fill(time.monotonic(), self.queue.fill / SAMPLE_RATE)
        overloaded = self.governing is not None and self.governing.behind
        state, reason = self._state(overloaded)
        return self.metrics.snapshot(
            self.ledger(),
            self.queue.fill,
            self.queue.capacity,
            self.queue.max_fill,
            level_db=self.queue.level_db,
            overloaded=overloaded,
            state=state,
            reason=reason,
            source_duration_s=self._source.duration_s if self._source is not None else None,
            download=self.progress(),
            revision_lag_s=self.reviser.lag_s(),
            server_split_s=self.worker.server_split,
            governor=self.governing.status if self.governing is not None else None,
        )

    def _state(self, overloaded: bool) -> tuple[State, str | None]:
        failure = self.failure
        if failure is not None and not (failure.state is State.LOAD_FAILED and self.swapping):
            return failure.state, failure.reason  # swapping after a failed load: a model picked since
        if self.worker.loaded is None:
            return State.LOADING, None
        if self._finished:
            return State.FINISHED, None
        if self.queue.lost is not None:
            return State.DEVICE_LOST, self.queue.lost
        if self.fallback is not None and self.fallback.state is not None:
            return self.fallback.state, None  # the server is gone: retried, or a local engine stands in
        if self.queue.closed:  # the source ended or stop was asked: transcribing what is queued
            return State.FINISHING, None
        if self.queue.paused:
            return State.PAUSED, None
        return (State.OVERLOADED if overloaded else State.LISTENING), None

    def pause(self) -> None:
        """Stop taking audio (live audio meanwhile is not captured; a file waits) until `resume()`."""
        self.queue.pause()

    def resume(self) -> None:
        self.queue.resume()

    # ---- lifecycle --------------------------------------------------------------------------------

    async def load(self) -> bool:
        """Load the model; False if `stop()` came first (the load goes on on its thread, unwaited)."""
        try:
            loaded = await self.worker.load(until=self._stop)
        except Exception as error:  # shown as the state until the app ends; the caller reports it too
            self.failure = Failure(State.LOAD_FAILED, describe(error))
            raise
        if loaded is not None:
            self.on_event(events.ModelLoaded(loaded, self.worker.load_s or 0.0))
        return loaded is not None

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        """Stop taking audio; what was captured is still transcribed before `run()` returns."""
        self._stop.set()

    def abandon(self) -> None:
        """End now, before what was captured is finished (a quit past its grace): the words on screen are
        kept as final text, nothing more goes out, and what was waiting counts as untranscribed."""
        self.host.end()
        self.abandoned = True  # the policy's text goes out no more
        self._stop.set()

    async def run(self, source: AudioSource) -> None:
        """Feed `source` through the engine until it ends or `stop()` is called."""
        self._source = source
        self.host.choose(flat_out=not source.live and self.config.speed == 0)  # a file in long windows
        if self.worker.loaded is None and not await self.load():
            return  # stopped while loading: nothing was captured yet
        consumer = asyncio.create_task(self.consumer.run())
        consumer.add_done_callback(self._consumer_ended)
        governing = self.governing.start() if self.governing is not None else None
        try:
            await source.run(self.queue, self._stop)
        except asyncio.CancelledError:
            consumer.cancel()  # abandon: do not transcribe the rest
            raise
        finally:
            self.queue.close()
            try:
                await consumer
            except EngineFailure:
                raise
            except Exception as error:  # a bug in the pipeline: stop with a reason, never hang
                log.error("the pipeline's consumer failed", exc_info=error)
                failure = self.failure or Failure(State.PIPELINE_FAILED, describe(error))
                raise EngineFailure(failure) from error
            finally:
                self._finished = True
                if governing is not None and self.governing is not None:
                    governing.cancel()
                    self.governing.finish()

    def _consumer_ended(self, task: asyncio.Task[None]) -> None:
        """If the consumer died, stop the source at once (a file waiting in `put()` is released)."""
        if task.cancelled() or task.exception() is None:
            return
        error = task.exception()
        assert error is not None
        broken = Failure(State.PIPELINE_FAILED, describe(error))  # a bug in the pipeline, not the engine
        self.failure = error.failure if isinstance(error, EngineFailure) else broken
        self._stop.set()
        self.queue.close()

    async def close(self) -> None:
        if self.fallback is not None:
            await self.fallback.close()
        await self.reviser.close()
        await self.swapper.close()
        await self.worker.close()
        self.framing.close()

    # ---- hot swap (`swapping.HotSwap`) -----------------------------------------------------------

    def swap(self, provider: Provider, urgent: bool = False) -> None:
        """Load `provider` in the background while the current one keeps transcribing; it takes over at
        the next utterance boundary (`urgent`: between the next two engine calls) (`ProviderSwapped`), or
        `SwapFailed` says why it could not."""
        self.swapper.request(provider, urgent)

    @property
    def swapping(self) -> bool:
        return self.swapper.incoming is not None

    @property
    def behind(self) -> bool:
        """At least an utterance's worth of audio waits: the next boundary is more than a call away."""
        return self.queue.fill >= self.config.max_utterance_seconds * SAMPLE_RATE

    @property
    def idle(self) -> bool:
        """No utterance open, and none being transcribed: a swap may take over now."""
        return not self.framing.is_open and self.framing.in_flight == 0 and self.tally.inflight == 0
