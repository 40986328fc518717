"""The streaming pipeline: source → bounded queue → VAD/utterances → engine thread → events.

Everything here runs on the asyncio event loop except frame VAD, which runs on its own thread (Silero's
ONNX model every 32 ms must not stall the UI), and engine calls, which run on the provider's own thread
(`InferenceWorker`). The ledger is only changed on the loop: a block handed to the VAD thread counts as
pending until the loop takes the segmenter's counts back, so the conservation law holds at every moment the
loop can observe.

The consumer takes audio from the queue a frame at a time; what is transcribed when is the streaming
policy's (`policy.StreamingPolicy`: committed words, or partials and finals). The backlog stays in the
bounded queue where it is measured (and, for live input, dropped oldest-first).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from echotui import SAMPLE_RATE
from echotui.audio.source import AudioSource
from echotui.config import Settings, min_queue_seconds
from echotui.errors import one_line
from echotui.pipeline import events
from echotui.pipeline.failures import EngineFailure, describe
from echotui.pipeline.framing import FramingThread
from echotui.pipeline.governing import Governing
from echotui.pipeline.longform_policy import LongformPolicy, choose_policy
from echotui.pipeline.memory import HeapTrimmer
from echotui.pipeline.metrics import Ledger, Metrics, MetricsSnapshot
from echotui.pipeline.policy import RECENT_S, StreamingPolicy
from echotui.pipeline.queue import AudioQueue
from echotui.pipeline.recent import RecentAudio
from echotui.pipeline.revision import Reviser
from echotui.pipeline.segmenter import Utterance
from echotui.pipeline.swapping import HotSwap
from echotui.pipeline.vad import FRAME_SAMPLES, FrameClassifier, NoGate, SpeechGate
from echotui.pipeline.worker import InferenceWorker
from echotui.providers.base import Provider

log = logging.getLogger(__name__)


class Pipeline:
    """Runs one source through one provider, emitting events and keeping metrics."""

    def __init__(
        self,
        provider: Provider,
        config: Settings,
        on_event: Callable[[events.PipelineEvent], None] = lambda event: None,
        *,
        classifier: FrameClassifier | None = None,
        progress: Callable[[], str | None] = lambda: None,
    ) -> None:
        """`config`: the streaming knobs of the settings (chunk, utterance, silence, queue, VAD).
        `progress`: what is being prepared meanwhile (a model download), shown in the snapshot."""
        if config.queue_seconds < min_queue_seconds(config.max_utterance_seconds, config.chunk_seconds):
            raise ValueError("queue must hold at least one utterance plus one step")
        self.config = config
        self.on_event = on_event
        self.worker = InferenceWorker(provider, SpeechGate() if config.vad else NoGate())
        self.framing = FramingThread.for_settings(config, classifier)
        self.segmenter = self.framing.segmenter
        self.queue = AudioQueue(round(config.queue_seconds * SAMPLE_RATE))
        self.metrics = Metrics()
        self.progress = progress
        self.load_error: str | None = None
        self.transcribed = 0
        self.gate_skipped = 0
        self._inflight = 0
        self._next_sample = 0  # timeline index the consumer expects next; more means a drop
        self.recent = RecentAudio(round(RECENT_S * SAMPLE_RATE))
        self.policy: StreamingPolicy | LongformPolicy = StreamingPolicy(self)
        self.reviser = Reviser(self)  # behind the live words: told of each commit by the caption output
        self._stop = asyncio.Event()
        self._source: AudioSource | None = None
        self._finished = False
        self.swapper = HotSwap(self)
        self.trimmer = HeapTrimmer()
        self.abandoned = False
        self.governing: Governing | None = None
        """The overload governor (`governing.Governing`), started by `run()` once the model is loaded."""
        self.failure: str | None = None
        """Why the session stopped on an error ("engine failed: …", "failed to load: …"), else None."""

    # ---- accounting -------------------------------------------------------------------------------

    def ledger(self) -> Ledger:
        waiting = self.queue.fill + self.framing.in_flight + self.framing.pending + self._inflight
        stopped = self.failure is not None or self.abandoned  # nothing waiting will be transcribed now
        return Ledger(
            captured=self.queue.captured,
            transcribed=self.transcribed,
            vad_skipped=self.framing.skipped + self.gate_skipped,
            dropped=self.queue.dropped,
            pending=0 if stopped else waiting,
            untranscribed=waiting if stopped else 0,
        )

    def snapshot(self) -> MetricsSnapshot:
        """Every figure now. Call at a steady rate (the UI's timer, 4-10 Hz): it also samples the backlog
        whose growth defines "overloaded"."""
        overloaded = self.metrics.record_fill(
            time.monotonic(), self.queue.fill / SAMPLE_RATE, self.queue.dropped
        )
        if self.failure is not None:
            state = self.failure
        elif self.load_error is not None and not self.swapping:  # swapping: a model picked since
            state = f"failed to load: {self.load_error}"
        elif self.worker.loaded is None:
            state = "loading model"
        elif self._finished:
            state = "finished"
        elif self.queue.lost is not None:
            state = f"device lost: {self.queue.lost}"
        elif self.queue.closed:
            state = "finishing"  # the source ended or stop was asked: transcribing what is queued
        elif self.queue.paused:
            state = "paused"
        else:
            state = "overloaded" if overloaded else "listening"
        return self.metrics.snapshot(
            self.ledger(),
            self.queue.fill,
            self.queue.capacity,
            self.queue.max_fill,
            level_db=self.queue.level_db,
            overloaded=overloaded,
            state=state,
            source_duration_s=self._source.duration_s if self._source is not None else None,
            download=self.progress(),
            governor=self.governing.status if self.governing is not None else None,
        )

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
            self.load_error = one_line(error)
            self.failure = f"failed to load: {describe(error)}"
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
        self.policy.keep_shown()
        self.abandoned = True  # the policy sends no more text
        self._stop.set()

    async def run(self, source: AudioSource) -> None:
        """Feed `source` through the engine until it ends or `stop()` is called."""
        self._source = source
        self.policy = choose_policy(self, source)  # once: a file at speed 0 is decoded in long windows
        if self.worker.loaded is None and not await self.load():
            return  # stopped while loading: nothing was captured yet
        consumer = asyncio.create_task(self._consume())
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
                raise EngineFailure(self.failure or f"pipeline failed: {describe(error)}") from error
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
        failed = isinstance(error, EngineFailure)
        self.failure = str(error) if failed else f"pipeline failed: {describe(error)}"
        self._stop.set()
        self.queue.close()

    async def close(self) -> None:
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
        return self.swapper.pending is not None

    def switch_provider(self) -> None:
        """At an utterance boundary: a loaded pending provider takes over (else nothing happens)."""
        self.swapper.switch()

    @property
    def idle(self) -> bool:
        """No utterance open, and none being transcribed: a swap may take over now."""
        return not self.framing.is_open and self.framing.in_flight == 0 and self._inflight == 0

    def release_inflight(self, samples: int) -> None:
        """A closed utterance's samples leave "in flight" (the policy counts them where they went)."""
        self._inflight -= samples

    # ---- consumer ---------------------------------------------------------------------------------

    async def _consume(self) -> None:
        while await self.queue.wait_for_data():
            await self._handle_losses()
            while (block := self.queue.take(FRAME_SAMPLES)) is not None:
                if self.queue.losses:
                    await self._handle_losses(block.start)
                gap, self._next_sample = block.start - self._next_sample, block.end
                self.recent.append(block.start, block.samples)
                closed = await self.framing.push(block)  # in flight there, then pending here
                self._inflight += sum(len(u.audio) for u in closed)  # in the same step: the ledger holds
                if gap > 0:  # dropped audio lies just before this block: say so where it happened
                    start = (block.start - gap) / SAMPLE_RATE
                    self.on_event(events.AudioDropped(start, gap / SAMPLE_RATE))
                    if (device := self.queue.device_gaps.pop(block.start - gap, None)) is not None:
                        self.on_event(events.DeviceRestored(device, gap / SAMPLE_RATE))
                self.reviser.heard(block, closed)
                await self._finalize_all(closed, counted=True)
                await self.policy.after_block()
                if self.swapper.urgent:  # between engine calls: the governor's swap need not wait
                    self.swapper.switch()
            await self.policy.when_idle()
            await self.reviser.when_idle()  # only now, and only while no audio waits
            self.trimmer.maybe_trim()  # at most once a minute: freed heap back to the system
        await self._finalize_all(self.framing.flush())
        await self.policy.when_idle()  # the end: what a policy still holds is transcribed
        await self.reviser.when_idle(ended=True)

    async def _handle_losses(self, upto: int | None = None) -> None:
        """Device losses up to timeline index `upto` (default: all once the queue is empty): end the
        open utterance there and say so."""
        losses = self.queue.losses
        if upto is None:
            upto = self._next_sample if self.queue.fill else self.queue.captured
        while losses and losses[0][0] <= upto:
            at, reason = losses.popleft()
            await self._finalize_all(self.framing.flush())
            if reason is not None:  # None: the user switched devices
                self.on_event(events.DeviceLost(reason, at / SAMPLE_RATE))

    async def _finalize_all(self, closed: list[Utterance], counted: bool = False) -> None:
        # Closed utterances count as pending ("in flight") until their text is out (a policy may hold some)
        self._inflight += 0 if counted else sum(len(u.audio) for u in closed)
        for utterance in closed:
            await self.policy.finalize(utterance)
            self.swapper.switch()  # an utterance boundary
