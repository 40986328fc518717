"""The streaming policy: when the engine is called on what audio, and what text goes out.

With an engine that gives word times (whisper.cpp, faster-whisper) words are committed as they are agreed
(`commit.LocalAgreement`): each pass transcribes the open utterance's window, committed words go out at
once as final text, the rest as tentative text, and the window's front is released after committed words.
Pauses end utterances only to save the engine work on silence. With an engine that gives no word times,
the open utterance gets partial text and its final text comes when it ends.

Under load the consumer only gets here when the queue is empty, so passes thin out by themselves (each
covers more new audio); a window that reaches its limit is passed and trimmed even mid-backlog, so no
window grows without bound. Runs on the event loop; engine calls run on the provider's thread.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from echotui import SAMPLE_RATE
from echotui.pipeline.captioning import PROMPT_CHARS, CaptionOutput, text_of
from echotui.pipeline.commit import LocalAgreement, trim_point
from echotui.pipeline.events import EngineNotice
from echotui.pipeline.failures import call_with_restart
from echotui.pipeline.segmenter import Utterance
from echotui.pipeline.vad import FRAME_SAMPLES
from echotui.pipeline.worker import CallResult
from echotui.providers.base import Segment, TranscribeRequest, Word

if TYPE_CHECKING:
    from echotui.pipeline.runner import Pipeline

log = logging.getLogger(__name__)

MIN_PASS_S = 2.0  # whisper guesses wildly on less, and two wild guesses can agree
# A window reaches back up to CONTEXT_S before the open utterance (what was said before a pause: the engine
# hears each sentence with the one before it, as it would offline) and is at most MAX_WINDOW_S long. It is
# trimmed after a committed sentence end once longer than SENTENCE_TRIM_S, after any committed word once
# longer than WORD_TRIM_S. FORCE_MARGIN_S below the utterance limit the window is trimmed after whatever is
# committed, and its words but the last FORCE_KEEP_S are committed unagreed, so the segmenter never has to
# cut blindly.
CONTEXT_S = 6.0
TAIL_S = 0.2  # of the pause that closed an utterance, what its final call hears
CONTEXT_PAUSE_S = 2.0  # after a longer pause the window starts with the utterance: silence is no context
MAX_WINDOW_S = 15.0
RECENT_S = MAX_WINDOW_S + 1.0  # the ring of recent audio (`recent.py`) holds the longest window
SENTENCE_TRIM_S = 8.0
WORD_TRIM_S = 12.0
FORCE_MARGIN_S = 2.0
FORCE_KEEP_S, STUCK_S = 1.0, 2.5


def _words(segments: list[Segment], offset_s: float) -> list[Word]:
    """The segments' words on the stream timeline (a segment without word times counts as one word)."""
    out = []
    for segment in segments:
        for word in segment.words or (Word(segment.start_s, segment.end_s, segment.text),):
            out.append(Word(offset_s + word.start_s, offset_s + word.end_s, word.text))
    return out


class StreamingPolicy:
    """Passes, commits and finals for one pipeline."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.agreement = LocalAgreement()
        self.out = CaptionOutput(pipeline, lambda: self.committing)
        self._committed: list[Word] = []  # committed words the window still holds
        self._partial_id = 0
        self._partial_len = 0  # open samples at the last pass
        self._window_start = 0  # timeline index a committing window starts at, at the earliest
        self._previous: tuple[int, int] | None = None  # the last closed utterance (start, end)
        self._confirmed_id = 0  # the utterance the speech gate already passed
        self._trimmed_id = 0  # the utterance whose window was last trimmed
        self.schedule: deque[int] | None = None
        """For `echotui replay`: the timeline indices at which the recorded session's passes ended (from
        its journal). Passes then happen exactly there, and nowhere else, whatever the timing: the same
        engine gives the same words."""

    @property
    def committing(self) -> bool:
        return self.pipeline.worker.provider.capabilities.word_timestamps

    @property
    def _clock_s(self) -> float:
        """The stream's clock: seconds of audio captured so far."""
        return self.pipeline.queue.captured / SAMPLE_RATE

    # ---- what the consumer calls ------------------------------------------------------------------

    async def after_block(self) -> None:
        """A block was pushed: a window at its limit is passed now, even with a backlog (once it grew by
        `chunk_seconds` since the last pass: two passes on the same audio would agree on its edge)."""
        segmenter, config = self.pipeline.segmenter, self.pipeline.config
        limit = max(config.chunk_seconds, config.max_utterance_seconds - FORCE_MARGIN_S) * SAMPLE_RATE
        if self.schedule is not None:
            await self._scheduled_pass(segmenter.open_samples >= limit)
        elif self.committing and segmenter.open_samples >= limit and self._grown():
            await self._pass(force=True)

    async def _scheduled_pass(self, at_limit: bool) -> None:
        assert self.schedule is not None
        end = self.pipeline.segmenter.open_end
        while self.schedule and self.schedule[0] < end:
            self.schedule.popleft()  # not reachable here (the recording differs from the session)
        if end and self.schedule and self.schedule[0] == end:
            self.schedule.popleft()
            await self._pass(force=self.committing and at_limit)

    def _grown(self) -> bool:
        """The open utterance grew by `chunk_seconds` since its last pass (by half that while the first
        tentative word has waited `STUCK_S` for two passes to agree on it)."""
        segmenter, waiting = self.pipeline.segmenter, self.agreement.tentative
        if segmenter.open_id != self._partial_id:
            self._partial_id, self._partial_len = segmenter.open_id, 0
        step = self.pipeline.config.chunk_seconds
        step /= 2 if self.committing and waiting and self._clock_s - waiting[0].end_s > STUCK_S else 1
        return segmenter.open_samples - self._partial_len >= step * SAMPLE_RATE

    def keep_shown(self) -> None:
        """Abandoned before the open utterance was finished: its tentative words on screen become final."""
        self.out.keep_shown()

    async def when_idle(self) -> None:
        """The queue is empty (the engine keeps up): a pass once the window grew by `chunk_seconds`."""
        length = self.pipeline.segmenter.open_samples
        if self.schedule is not None or length < MIN_PASS_S * SAMPLE_RATE or not self._grown():
            return
        if self._partial_len == 0:
            self.pipeline.switch_provider()  # a fresh utterance: the old provider has shown nothing of it
        await self._pass(force=False)

    async def finalize(self, utterance: Utterance) -> None:
        """The utterance ended: its last text goes out, committed whole. What is left of a trimmed window
        is checked for speech again: whisper invents text ("Thank you.") for a tail of silence."""
        pipeline = self.pipeline
        start, audio = self._window(utterance)
        result = await self._call(
            utterance, start, audio, final=True, recheck=utterance.id == self._trimmed_id
        )
        pipeline.release_inflight(len(utterance.audio))
        self._previous = (start, utterance.end)
        if result.speech:
            pipeline.metrics.record_call(result.inference_s, len(audio))
            words = _words(result.segments, start / SAMPLE_RATE)
        else:  # no speech left: the last pass's tentative words (heard with speech) are all there is
            words = list(self.agreement.tentative) if self.committing else []
        if not words and not result.speech:
            pipeline.gate_skipped += len(utterance.audio)
        else:
            pipeline.transcribed += len(utterance.audio)
        if self.committing:
            heard, words = words, self.agreement.finish(words)
            self._committed.extend(words)
            self._trace("final", utterance, heard, words)
        if not words and not result.speech:
            return
        latency = time.monotonic() - utterance.last_arrival
        self.out.final(utterance, words, latency=latency, closes=True)

    # ---- passes -----------------------------------------------------------------------------------

    async def _pass(self, force: bool) -> None:
        segmenter, pipeline = self.pipeline.segmenter, self.pipeline
        utterance = segmenter.open_utterance()
        if utterance is None:
            return
        self._partial_id, self._partial_len = utterance.id, len(utterance.audio)
        start, audio = self._window(utterance)
        result = await self._call(utterance, start, audio, final=False)
        if not result.speech:
            return
        pipeline.metrics.record_call(result.inference_s, len(audio))
        pipeline.metrics.record_pass(self._clock_s, len(audio) / SAMPLE_RATE)
        words = _words(result.segments, start / SAMPLE_RATE)
        if not self.committing:
            self.out.partial(utterance, words)
            return
        # a full window is trimmed now: what it heard before its last FORCE_KEEP_S is committed, agreed or
        # not; the words at its cut edge stay a guess (a pass must never be compared with itself)
        before = utterance.end / SAMPLE_RATE - FORCE_KEEP_S if force else None
        committed = self.agreement.update(words, commit_before_s=before)
        self._committed = [w for w in self._committed if w.end_s > start / SAMPLE_RATE]
        self._trace("pass (window full)" if force else "pass", utterance, words, committed)
        if committed:
            self._committed.extend(committed)
            self.out.final(utterance, committed, latency=0.0, closes=False)
        self.out.partial(utterance, self.agreement.tentative)
        self._trim(utterance, start, force)

    def _window(self, utterance: Utterance) -> tuple[int, np.ndarray]:
        """The audio a call hears and where it starts: a committing engine's window reaches back up to
        `CONTEXT_S` before the utterance (from the last trim); the others get the utterance alone."""
        if not self.committing:
            return utterance.start, utterance.audio
        floor = utterance.start
        previous = self._previous
        if previous is not None and utterance.start - previous[1] <= CONTEXT_PAUSE_S * SAMPLE_RATE:
            floor = max(previous[0], utterance.start - round(CONTEXT_S * SAMPLE_RATE))
        recent = self.pipeline.recent
        start = max(
            self._window_start,
            floor,
            utterance.end - round(MAX_WINDOW_S * SAMPLE_RATE),
            recent.start,
        )
        start = min(start, utterance.start)
        end = utterance.end
        if utterance.speech_end is not None:  # whisper invents words for the pause that closed it
            end = min(end, utterance.speech_end + round(TAIL_S * SAMPLE_RATE))
        if start < recent.start:  # dropped audio started the ring anew after this utterance: its own samples
            return utterance.start, utterance.audio[: end - utterance.start]
        return start, recent.slice(start, end)

    def _trim(self, utterance: Utterance, window_start: int, force: bool) -> None:
        """Move the window's front after committed words; what lies before it in the open utterance is
        released from the segmenter: transcribed for good."""
        sentence_s, word_s = (0.0, 0.0) if force else (SENTENCE_TRIM_S, WORD_TRIM_S)
        start_s, end_s = window_start / SAMPLE_RATE, utterance.end / SAMPLE_RATE
        tentative = self.agreement.tentative
        point = trim_point(
            self._committed, tentative, start_s, end_s, sentence_after_s=sentence_s, word_after_s=word_s
        )
        if point is None:
            return
        self._window_start = round(point * SAMPLE_RATE)
        self.agreement.cut(point)
        self._committed = [w for w in self._committed if w.end_s > point]
        frames = max(0, self._window_start - utterance.start) // FRAME_SAMPLES
        released = self.pipeline.framing.release(frames)
        if not released:
            return
        self._trimmed_id = utterance.id
        log.debug("window now starts at %.2f; %.2f s released", point, released / SAMPLE_RATE)
        self.pipeline.transcribed += released
        self._partial_len = max(0, self._partial_len - released)

    @staticmethod
    def _trace(what: str, utterance: Utterance, heard: list[Word], committed: list[Word]) -> None:
        """What a call heard (with word times) and what it committed, for the log file (debug only)."""
        if log.isEnabledFor(logging.DEBUG):
            timed = " ".join(f"{w.text}@{w.start_s:.2f}-{w.end_s:.2f}" for w in heard)
            span = f"{utterance.start_s:.2f}-{utterance.end / SAMPLE_RATE:.2f}"
            log.debug("%s %s heard %r committed %r", what, span, timed, text_of(committed))

    # ---- engine calls and events ------------------------------------------------------------------

    async def _call(
        self, utterance: Utterance, start: int, audio: np.ndarray, final: bool, recheck: bool = False
    ) -> CallResult:
        """One engine call on `audio` (from timeline index `start`); the speech gate, when due, listens to
        the utterance alone (the window's earlier speech says nothing about it)."""
        pipeline = self.pipeline
        start_s = start / SAMPLE_RATE
        prompt = self.agreement.prompt(start_s, PROMPT_CHARS) if self.committing else self.out.prompt
        request = TranscribeRequest(audio, start_s, final, prompt, self.committing)
        check = recheck or utterance.id != self._confirmed_id
        result = await call_with_restart(
            pipeline.worker, request, check, pipeline.on_event, gate_audio=utterance.audio
        )
        if result.speech:
            self._confirmed_id = utterance.id
        for notice in result.notices:
            pipeline.on_event(EngineNotice(pipeline.worker.provider.name, notice))
        return result
