"""The revision layer: finished speech decoded again as offline transcription decodes it.

The live layer (`committing_policy`) commits words from short windows within two seconds; short
windows cost words. Behind it, once a stretch of committed speech is finished (`stretches.finished`: a
sentence end and a pause, a long pause, or at the latest `StretchTuning.max_stretch_s` of speech), the
`Reviser` decodes it again as offline transcription would: one full 30 s window of the audio the VAD
passed, holding the already-revised speech before the stretch (`context_s`, its text before that as the
prompt) and a little of what follows (`lookahead_s`), so no sentence is decoded alone, cut at its edges.
The words heard are aligned with the words known there (`stretches.belonging`); the stretch's own are
sent as `TranscriptRevised`: the committed words exactly as finals carried them, and the words heard now,
on the stream timeline. Words both passes agree on at its edges are left out of the revision. A layer
that fell behind revises the finished stretches waiting in one window (`stretches.due`, up to
`catch_up_s` of speech), where one window each would cost a full window each.

It never delays the live layer: it runs its own engine (`revision_engine`: `--revise-model`, else the
live model loaded again) on its own thread, at a lower CPU priority, and starts no revision while audio
waits for the live layer. A stretch it reaches too late (its audio already left the ring, or it ended more
than `behind_s` ago) is skipped and counted in `unrevised_s`, as is what waits when the user stops (the end
of a file is revised to its last word). On by default (`--no-revise` turns it off);
never at `--speed 0` (the long-window policy already is the offline decode), for engines without word
times, or for a server's engine (`--provider remote`: a second request per stretch would double every
client's load on the server; the words it sends are kept as they are).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import numpy as np

from echotui import SAMPLE_RATE
from echotui.pipeline.captioning import text_of
from echotui.pipeline.events import EngineNotice, PipelineEvent, TranscriptRevised
from echotui.pipeline.failures import describe
from echotui.pipeline.longform import LONGFORM, LongWindowDecoder
from echotui.pipeline.recent import RecentAudio
from echotui.pipeline.revision_engine import RevisionEngine, RevisionEngines
from echotui.pipeline.revision_tuning import REVISION, RevisionTuning
from echotui.pipeline.segmenter import Utterance
from echotui.pipeline.stretches import belonging, changed, due, known_after, window_end, with_context
from echotui.pipeline.tuning import STREAMING
from echotui.providers.base import Segment, TranscribeRequest, Word

if TYPE_CHECKING:
    from echotui.pipeline.framing import FramingThread
    from echotui.pipeline.policy import Policy
    from echotui.pipeline.queue import AudioBlock, AudioQueue
    from echotui.pipeline.streaming_config import StreamingConfig
    from echotui.pipeline.worker import InferenceWorker

log = logging.getLogger(__name__)


class RevisionHost(Protocol):
    """What the revision layer needs of the pipeline: the settings' `revise`, the live policy (revisable,
    its tentative words), the live engine (its word times), the queue (the clock, the backlog), whether an
    utterance is open, and where events go."""

    config: StreamingConfig
    worker: InferenceWorker
    framing: FramingThread
    queue: AudioQueue
    abandoned: bool
    on_event: Callable[[PipelineEvent], None]

    @property
    def stopping(self) -> bool: ...

    @property
    def policy(self) -> Policy: ...


class Reviser:
    """The revision layer of one pipeline. The runner calls `heard` for each block the consumer takes and
    `when_idle` when the queue is empty; the caption output calls `committed` with the words it commits.
    `engines.provider`: the revision's engine as given (default: made for the live model when needed)."""

    def __init__(
        self, pipeline: RevisionHost, engine: RevisionEngine | None, tuning: RevisionTuning = REVISION
    ) -> None:
        """`engine`: makes the revision's own engine (from the settings: `--revise-model`, `--threads`)."""
        self.pipeline = pipeline
        self.tuning = tuning
        self.engines = RevisionEngines(engine, tuning.nice, tuning.thread_share)
        self.ring = RecentAudio(round(tuning.reach_s * SAMPLE_RATE))
        self.spans: list[list[int]] = []  # speech the VAD passed: [start, end) timeline indices, in order
        self.pending: list[Word] = []  # committed words not yet revised, in order
        self.working: list[Word] = []  # the stretch being revised now
        self.kept: list[Word] = []  # revised words (the context of the next windows), in order
        self.delays: list[float] = []  # per revised word: the clock when its revision was done - its end
        self.unrevised_s = 0.0
        self.revisions = 0
        self.compute_s = 0.0  # wall seconds of revision calls
        self.failed = False
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._ended = False

    @property
    def active(self) -> bool:
        """On: asked for, streaming (not the long-window policy, not a replay), with word times, on an
        engine of this machine (not a server's)."""
        pipeline = self.pipeline
        abilities = pipeline.worker.provider.capabilities
        return (
            pipeline.config.revise
            and pipeline.policy.revisable
            and abilities.word_timestamps
            and not abilities.remote
            and not pipeline.abandoned
            and not self.failed
        )

    @property
    def _clock_s(self) -> float:
        return self.pipeline.queue.captured / SAMPLE_RATE

    def lag_s(self) -> float | None:
        """How far behind the revision runs: the age of the oldest committed word it has not revised yet
        (0 when it has caught up; None when it is off)."""
        if not self.active:
            return None
        waiting = self.working or self.pending
        return max(0.0, self._clock_s - waiting[0].start_s) if waiting else 0.0

    def committed(self, words: list[Word]) -> None:
        """Words the live layer committed (`CaptionOutput.final`): revised once their stretch is finished.
        Words committed while the layer, once started, is off (paused, failed) count as unrevised."""
        if not self.active:
            if self._task is not None and words:
                self.unrevised_s += words[-1].end_s - words[0].start_s
            return
        self.pending.extend(words)
        if self._task is None or self._task.done():  # (first words, or on again after a pause)
            self._task = asyncio.get_running_loop().create_task(self._run())
        self._wake.set()

    def heard(self, block: AudioBlock, closed: list[Utterance]) -> None:
        """A block the consumer took, and the utterances it closed: kept, and where speech lies noted."""
        if not self.active:
            return
        self.ring.append(block.start, block.samples)
        if self.pipeline.framing.is_open:
            self._speech(block.start, block.end)
        for utterance in closed:
            self._speech(utterance.start, utterance.end)
        while self.spans and self.spans[0][1] <= self.ring.start:  # its audio is gone
            self.spans.pop(0)

    def _speech(self, start: int, end: int) -> None:
        pad = round(self.tuning.pad_s * SAMPLE_RATE)
        start = max(0, start - pad)
        if self.spans and start <= self.spans[-1][1] + round(self.tuning.bridge_s * SAMPLE_RATE):
            self.spans[-1][1] = max(self.spans[-1][1], end)
        else:
            self.spans.append([start, end])

    async def when_idle(self, ended: bool = False) -> None:
        """The live layer is idle: the revision looks for finished speech. At the end of the stream it
        revises everything left, and this returns when it is done."""
        self._ended = self._ended or ended
        self._wake.set()
        if ended and self._task is not None:
            waiting = self.working or self.pending
            if waiting and not self._task.done() and not self.pipeline.stopping:  # say why it waits
                span = (self.pending or self.working)[-1].end_s - waiting[0].start_s
                message = f"revising the last {span:.0f} s of speech (a stop keeps the live words there)"
                self.pipeline.on_event(EngineNotice("revision", message))
            await self._task

    async def close(self) -> None:
        """Stop revising (what is being decoded is not waited for) and release the revision's engine."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        await self.engines.close()

    async def _run(self) -> None:
        try:
            await self._follow_live()  # loaded before the first stretch is finished, to save its time
            while True:
                await self._wake.wait()
                self._wake.clear()
                while (stretch := self._take()) is not None:
                    await self._follow_live()
                    await self._revise(*stretch)
                if self._ended or not self.active:
                    if self._ended and self.pending:  # stopped: the rest stays as the live layer said it
                        self.unrevised_s += self.pending[-1].end_s - self.pending[0].start_s
                        self.kept.extend(self.pending)
                        self.pending = []
                    return
        except Exception as error:  # the live words stay; the session goes on without revisions
            log.warning("the revision layer stopped", exc_info=error)
            self.failed = True
            self.unrevised_s += sum(w.end_s - w.start_s for w in (*self.working, *self.pending))
            self.working, self.pending = [], []
            self.pipeline.on_event(EngineNotice("revision", f"{describe(error)}; the live words are kept"))

    async def _follow_live(self) -> None:
        live = self.pipeline.worker
        await self.engines.follow(live.provider, live.loaded)

    def _take(self) -> tuple[list[Word], list[Word]] | None:
        """The next finished stretch and the words known after it, if one is due now."""
        if not self.pending or not self.active or (self._ended and self.pipeline.stopping):
            return None  # (a stop: what is being revised finishes, and the user is not kept waiting)
        tentative = list(self.pipeline.policy.tentative)
        if self.pipeline.queue.fill > self.tuning.busy_s * SAMPLE_RATE and not self._ended:
            return None  # the live layer is behind: it goes first
        next_s = tentative[0].start_s if tentative else float("inf") if self._ended else self._clock_s
        count = due(self.pending, next_s, self.tuning.stretch, self.tuning.catch_up_s)
        if not count:
            return None
        words, self.pending = self.pending[:count], self.pending[count:]
        return words, [*self.pending, *tentative]

    async def _revise(self, words: list[Word], following: list[Word]) -> None:
        tuning, ring_start_s = self.tuning, self.ring.start / SAMPLE_RATE
        self.kept = [w for w in self.kept if w.end_s > ring_start_s]
        start_s = max(ring_start_s, words[0].start_s - tuning.pad_s)
        end_s = window_end(
            words, following, min(self._clock_s, words[-1].end_s + tuning.lookahead_s), tuning.tail_s
        )
        if words[0].start_s < ring_start_s or self._clock_s - words[-1].end_s > tuning.behind_s:
            self.unrevised_s += words[-1].end_s - words[0].start_s  # fell behind: the live words stay
            self.kept.extend(words)
            return
        after = known_after(following, end_s)
        window = with_context(
            self.kept, self.spans, start_s, end_s, ring_start_s,
            context_s=tuning.context_s, pad_s=tuning.pad_s,
            most_s=LONGFORM.window_s - 1,  # the window holds at most the 30 s whisper hears
        )  # fmt: skip
        before, since, pieces = self.kept[window.first :], window.since_s, window.pieces
        decoder = LongWindowDecoder()
        decoder.text = text_of(self.kept[: window.first])[-STREAMING.prompt_chars :]
        for lo, hi in pieces:
            decoder.add(lo, self.ring.slice(lo, hi))
        self.working, began = words, time.monotonic()
        heard = (await decoder.decode(self._call, ended=True)).words if decoder.pieces else []
        log.info(
            "revised %.1f-%.1f s (%d words) with %.1f s of context in %.1f s",
            words[0].start_s, words[-1].end_s, len(words), words[0].start_s - since, time.monotonic() - began,
        )  # fmt: skip
        self.working = []
        heard = belonging(heard, before, words, after)
        clock = self._clock_s
        self.delays.extend(clock - w.end_s for w in words)
        if not heard or len(heard) > tuning.growth * len(words) + tuning.slack:
            self.kept.extend(words)
            return  # nothing heard, or an invention: the committed words stay
        self.kept.extend(heard)
        front, back = changed(words, heard)
        if front + back == len(words) == len(heard):
            return  # the live words were right
        if front + back == len(words):  # only new words: one word beside them is replaced too, to place them
            front, back = (front - 1, back) if front else (front, back - 1)
        old, new = words[front : len(words) - back], heard[front : len(heard) - back]
        if self.pipeline.abandoned:  # the session ended meanwhile: the text kept then is final
            return
        self.revisions += 1
        revision = TranscriptRevised(
            min(w.start_s for w in (*old, *new)), max(w.end_s for w in (*old, *new)),
            tuple(old), tuple(new), clock,
        )  # fmt: skip
        self.pipeline.on_event(revision)

    async def _call(self, audio: np.ndarray, start_s: float, prompt: str) -> list[Segment]:
        """One engine call as offline transcription makes it: the full 30 s window, with the prompt."""
        worker = self.engines.worker
        assert worker is not None
        request = TranscribeRequest(audio, start_s, True, prompt, word_timestamps=True, full_window=True)
        began = time.monotonic()
        result = await worker.transcribe(request, check_speech=False)
        self.compute_s += time.monotonic() - began
        for notice in result.notices:
            self.pipeline.on_event(EngineNotice(worker.provider.name, notice))
        return result.segments

    def stats(self) -> dict[str, str | float | int | None]:
        """For `--stats-json`: revision delay (a word's end → its revision done) p50/p95, what was skipped,
        and the model the revision ran (its path)."""
        delays = np.asarray(self.delays) if self.delays else None
        loaded = self.engines.worker.loaded if self.engines.worker is not None else None
        return {
            "revision_model": loaded.path if loaded is not None else None,
            "revisions": self.revisions,
            "revision_delay_p50_s": None if delays is None else round(float(np.percentile(delays, 50)), 4),
            "revision_delay_p95_s": None if delays is None else round(float(np.percentile(delays, 95)), 4),
            "unrevised_s": round(self.unrevised_s, 4),
        }
