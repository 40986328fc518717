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
from typing import TYPE_CHECKING

from echotui import SAMPLE_RATE
from echotui.pipeline.commit import LocalAgreement, trim_point
from echotui.pipeline.events import Caption, EngineNotice, FinalTranscribed, PartialTranscribed
from echotui.pipeline.segmenter import Utterance
from echotui.pipeline.vad import FRAME_SAMPLES
from echotui.pipeline.worker import CallResult
from echotui.providers.base import Segment, TranscribeRequest, Word

if TYPE_CHECKING:
    from echotui.pipeline.runner import Pipeline

log = logging.getLogger(__name__)

PROMPT_CHARS = 200
MIN_PASS_S = 2.0  # whisper guesses wildly on less, and two wild guesses can agree
# The window is trimmed after a committed sentence end once longer than this, after any committed word once
# longer than WORD_TRIM_S; at FORCE margin below the utterance limit everything but the last second of words
# is committed so the trim can happen before the segmenter would have to cut.
SENTENCE_TRIM_S = 4.0
WORD_TRIM_S = 8.0
FORCE_MARGIN_S = 2.0
FORCE_KEEP_S = 1.0


def _words(segments: list[Segment], offset_s: float) -> list[Word]:
    """The segments' words on the stream timeline (a segment without word times counts as one word)."""
    out = []
    for segment in segments:
        for word in segment.words or (Word(segment.start_s, segment.end_s, segment.text),):
            out.append(Word(offset_s + word.start_s, offset_s + word.end_s, word.text))
    return out


def _text(words: list[Word]) -> str:
    return " ".join(w.text for w in words)


class StreamingPolicy:
    """Passes, commits and finals for one pipeline."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.agreement = LocalAgreement()
        self._prompt = ""
        self._window: list[Word] = []  # committed words of the open utterance still inside its window
        self._partial_id = 0
        self._partial_len = 0  # open samples at the last pass
        self._confirmed_id = 0  # the utterance the speech gate already passed
        self._trimmed_id = 0  # the utterance whose window was last trimmed

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
        if self.committing and segmenter.open_samples >= limit and self._grown():
            await self._pass(force=True)

    def _grown(self) -> bool:
        """The open utterance grew by `chunk_seconds` since its last pass."""
        segmenter = self.pipeline.segmenter
        if segmenter.open_id != self._partial_id:
            self._partial_id, self._partial_len = segmenter.open_id, 0
        grown = segmenter.open_samples - self._partial_len
        return grown >= self.pipeline.config.chunk_seconds * SAMPLE_RATE

    async def when_idle(self) -> None:
        """The queue is empty (the engine keeps up): a pass once the window grew by `chunk_seconds`."""
        length = self.pipeline.segmenter.open_samples
        if length < MIN_PASS_S * SAMPLE_RATE or not self._grown():
            return
        if self._partial_len == 0:
            self.pipeline.switch_provider()  # a fresh utterance: the old provider has shown nothing of it
        await self._pass(force=False)

    async def finalize(self, utterance: Utterance) -> None:
        """The utterance ended: its last text goes out, committed whole. What is left of a trimmed window
        is checked for speech again: whisper invents text ("Thank you.") for a tail of silence."""
        pipeline = self.pipeline
        result = await self._call(utterance, final=True, recheck=utterance.id == self._trimmed_id)
        pipeline.release_inflight(len(utterance.audio))
        if result.speech:
            pipeline.metrics.record_call(result.inference_s, len(utterance.audio))
            words = _words(result.segments, utterance.start_s)
        else:  # no speech left: the last pass's tentative words (heard with speech) are all there is
            words = list(self.agreement.tentative) if self.committing else []
        if not words and not result.speech:
            pipeline.gate_skipped += len(utterance.audio)
        else:
            pipeline.transcribed += len(utterance.audio)
        if self.committing:
            heard, words = _text(words), self.agreement.finish(words)
            log.debug(
                "final %.2f-%.2f heard %r committed %r",
                utterance.start_s,
                utterance.end / SAMPLE_RATE,
                heard,
                _text(words),
            )
        self._window = []
        if not words and not result.speech:
            return
        latency = time.monotonic() - utterance.last_arrival
        self._emit_final(utterance, words, latency=latency, closes=True)

    # ---- passes -----------------------------------------------------------------------------------

    async def _pass(self, force: bool) -> None:
        segmenter, pipeline = self.pipeline.segmenter, self.pipeline
        utterance = segmenter.open_utterance()
        if utterance is None:
            return
        self._partial_id, self._partial_len = utterance.id, len(utterance.audio)
        result = await self._call(utterance, final=False)
        if not result.speech:
            return
        pipeline.metrics.record_call(result.inference_s, len(utterance.audio))
        pipeline.metrics.record_pass(self._clock_s, utterance.duration_s)
        words = _words(result.segments, utterance.start_s)
        if not self.committing:
            self._emit_partial(utterance, words)
            return
        before = utterance.end / SAMPLE_RATE - FORCE_KEEP_S if force else None
        committed = self.agreement.update(words, commit_before_s=before)
        log.debug(
            "pass %.2f-%.2f%s heard %r committed %r",
            utterance.start_s, utterance.end / SAMPLE_RATE, " (window full)" if force else "",
            " ".join(f"{w.text}@{w.start_s:.2f}-{w.end_s:.2f}" for w in words), _text(committed),
        )  # fmt: skip
        if committed:
            self._window.extend(committed)
            self._emit_final(utterance, committed, latency=0.0, closes=False)
        self._emit_partial(utterance, self.agreement.tentative)
        self._trim(utterance)

    def _trim(self, utterance: Utterance) -> None:
        """Release the window's front after committed words: that audio is transcribed for good."""
        start_s, end_s = utterance.start_s, utterance.end / SAMPLE_RATE
        point = trim_point(
            self._window,
            self.agreement.tentative,
            start_s,
            end_s,
            sentence_after_s=SENTENCE_TRIM_S,
            word_after_s=WORD_TRIM_S,
        )
        if point is None:
            return
        frames = int((point - start_s) * SAMPLE_RATE) // FRAME_SAMPLES
        released = self.pipeline.segmenter.release(frames)
        if not released:
            return
        self._trimmed_id = utterance.id
        log.debug("window released %.2f s, now starts at %.2f", released / SAMPLE_RATE, point)
        self.pipeline.transcribed += released
        new_start = start_s + released / SAMPLE_RATE
        self._window = [w for w in self._window if w.end_s > new_start]
        self._partial_len = max(0, self._partial_len - released)

    # ---- engine calls and events ------------------------------------------------------------------

    async def _call(self, utterance: Utterance, final: bool, recheck: bool = False) -> CallResult:
        pipeline = self.pipeline
        prompt = self.agreement.prompt(utterance.start_s, PROMPT_CHARS) if self.committing else self._prompt
        request = TranscribeRequest(utterance.audio, utterance.start_s, final, prompt, self.committing)
        check = recheck or utterance.id != self._confirmed_id
        result = await pipeline.worker.transcribe(request, check_speech=check)
        if result.speech:
            self._confirmed_id = utterance.id
        for notice in result.notices:
            pipeline.on_event(EngineNotice(pipeline.worker.provider.name, notice))
        return result

    def _emit_partial(self, utterance: Utterance, words: list[Word]) -> None:
        text = _text(words)
        if text or self.committing:  # a committing engine clears its tentative text with an empty one
            self.pipeline.on_event(
                PartialTranscribed(
                    utterance.id, utterance.start_s, utterance.end / SAMPLE_RATE, text, self._clock_s
                )
            )

    def _emit_final(self, utterance: Utterance, words: list[Word], *, latency: float, closes: bool) -> None:
        clock = self._clock_s
        if words:
            self.pipeline.metrics.record_words([clock - w.end_s for w in words])
        text = _text(words)
        if not self.committing:  # each of the engine's segments is a caption, as it said them
            captions = tuple(Caption(w.start_s, w.end_s, w.text) for w in words)
        else:
            captions = (Caption(words[0].start_s, words[-1].end_s, text),) if words else ()
        if closes:
            self.pipeline.metrics.record_final(latency, len(captions))
        if text:
            self._prompt = (self._prompt + " " + text)[-PROMPT_CHARS:].lstrip()
        start, end = utterance.start_s, utterance.end / SAMPLE_RATE
        if self.committing and words:
            start, end = words[0].start_s, words[-1].end_s
        timed = tuple(words) if self.committing else ()
        self.pipeline.on_event(
            FinalTranscribed(utterance.id, start, end, captions, latency, timed, clock, closes)
        )
