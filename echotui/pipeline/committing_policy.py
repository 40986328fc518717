"""The committing policy, for engines that give word times (whisper.cpp, faster-whisper).

Words are committed as they are agreed (`commit.LocalAgreement`): each pass transcribes the open
utterance's window, committed words go out at once as final text, the rest as tentative text, and the
window's front is trimmed after committed words: what lies before it in the open utterance is released,
transcribed for good. Pauses end utterances only to save the engine work on silence: a window reaches back
before its utterance (`recent` audio) so the engine hears each sentence with the one before it.
"""

from __future__ import annotations

import logging

import numpy as np

from echotui import SAMPLE_RATE
from echotui.pipeline.captioning import text_of
from echotui.pipeline.commit import LocalAgreement, trim_point
from echotui.pipeline.passes import PassSchedule
from echotui.pipeline.port import Commit, Partial, PolicyPort, Step
from echotui.pipeline.segmenter import Utterance
from echotui.pipeline.streaming_config import StreamingConfig
from echotui.pipeline.streaming_policy import StreamingPolicy
from echotui.pipeline.tuning import STREAMING, StreamingTuning
from echotui.pipeline.vad import FRAME_SAMPLES
from echotui.providers.base import Word

log = logging.getLogger(__name__)


class CommittingPolicy(StreamingPolicy):
    """Committed words from agreeing passes over a window of recent audio."""

    word_times = True

    def __init__(
        self,
        port: PolicyPort,
        config: StreamingConfig,
        passes: PassSchedule,
        tuning: StreamingTuning = STREAMING,
    ) -> None:
        super().__init__(port, config, passes, tuning)
        self.agreement = LocalAgreement(tuning=tuning)
        self._in_window: list[Word] = []  # committed words the window still holds
        self._window_start = 0  # timeline index the window starts at, at the earliest
        self._previous: tuple[int, int] | None = None  # the last closed utterance (start, end)

    @property
    def tentative(self) -> list[Word]:
        return self.agreement.tentative

    def _full(self, at_limit: bool) -> bool:
        return at_limit and self._grown()

    def _stuck(self) -> bool:
        """The first tentative word has waited `stuck_s` for two passes to agree on it."""
        waiting = self.agreement.tentative
        return bool(waiting) and self.port.clock_s - waiting[0].end_s > self.tuning.stuck_s

    def _prompt(self, start_s: float) -> str:
        return self.agreement.prompt(start_s, self.tuning.prompt_chars)

    def _passed(self, step: Step, utterance: Utterance, start: int, words: list[Word], force: bool) -> None:
        # a full window is trimmed now: what it heard before its last `force_keep_s` is committed, agreed or
        # not; the words at its cut edge stay a guess (a pass must never be compared with itself)
        before = utterance.end / SAMPLE_RATE - self.tuning.force_keep_s if force else None
        committed = self.agreement.update(words, commit_before_s=before)
        self._in_window = [w for w in self._in_window if w.end_s > start / SAMPLE_RATE]
        self._trace("pass (window full)" if force else "pass", utterance, words, committed)
        if committed:
            self._in_window.extend(committed)
            step.texts.append(Commit(utterance, committed, latency=0.0, closes=False))
        step.texts.append(Partial(utterance, list(self.agreement.tentative)))
        step.released = self._trim(utterance, start, force)

    def _finished(self, utterance: Utterance, start: int, words: list[Word]) -> list[Word]:
        self._previous = (start, utterance.end)
        heard, words = words, self.agreement.finish(words)
        self._in_window.extend(words)
        self._trace("final", utterance, heard, words)
        return words

    def _window(self, utterance: Utterance) -> tuple[int, np.ndarray]:
        """The window reaches back up to `context_s` (`thinned_context_s` while passes are thinned) before
        the utterance (from the last trim), and ends `tail_s` into the pause that closed it (whisper invents
        words for the rest of a pause)."""
        tuning, port = self.tuning, self.port
        floor = utterance.start
        previous = self._previous
        context_s = tuning.thinned_context_s if self.config.thinned else tuning.context_s
        if previous is not None and utterance.start - previous[1] <= tuning.context_pause_s * SAMPLE_RATE:
            floor = max(previous[0], utterance.start - round(context_s * SAMPLE_RATE))
        start = max(
            self._window_start,
            floor,
            utterance.end - round(tuning.max_window_s * SAMPLE_RATE),
            port.recent_start,
        )
        start = min(start, utterance.start)
        end = utterance.end
        if utterance.speech_end is not None:
            end = min(end, utterance.speech_end + round(tuning.tail_s * SAMPLE_RATE))
        if start < port.recent_start:  # dropped audio started the ring anew after this utterance
            return utterance.start, utterance.audio[: end - utterance.start]
        return start, port.recent_audio(start, end)

    def _trim(self, utterance: Utterance, window_start: int, force: bool) -> int:
        """Move the window's front after committed words; what lies before it in the open utterance is
        released from the segmenter: transcribed for good. Returns the samples released."""
        tuning = self.tuning
        sentence_s, word_s = (0.0, 0.0) if force else (tuning.sentence_trim_s, tuning.word_trim_s)
        start_s, end_s = window_start / SAMPLE_RATE, utterance.end / SAMPLE_RATE
        point = trim_point(
            self._in_window,
            self.agreement.tentative,
            start_s,
            end_s,
            sentence_after_s=sentence_s,
            word_after_s=word_s,
            tuning=tuning,
        )
        if point is None:
            return 0
        self._window_start = round(point * SAMPLE_RATE)
        self.agreement.cut(point)
        self._in_window = [w for w in self._in_window if w.end_s > point]
        frames = max(0, self._window_start - utterance.start) // FRAME_SAMPLES
        released = self.port.release_frames(frames)
        if not released:
            return 0
        self._trimmed_id = utterance.id
        log.debug("window now starts at %.2f; %.2f s released", point, released / SAMPLE_RATE)
        self._partial_len = max(0, self._partial_len - released)
        return released

    @staticmethod
    def _trace(what: str, utterance: Utterance, heard: list[Word], committed: list[Word]) -> None:
        """What a call heard (with word times) and what it committed, for the log file (debug only)."""
        if log.isEnabledFor(logging.DEBUG):
            timed = " ".join(f"{w.text}@{w.start_s:.2f}-{w.end_s:.2f}" for w in heard)
            span = f"{utterance.start_s:.2f}-{utterance.end / SAMPLE_RATE:.2f}"
            log.debug("%s %s heard %r committed %r", what, span, timed, text_of(committed))
