"""What the streaming policy sends out: tentative text (partials, each replacing the one before) and final
text, with the metrics they feed. It also remembers what is on screen as tentative, so that a session
ended before that text was final (a quit past its grace) keeps it as the user saw it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from echotui import SAMPLE_RATE
from echotui.pipeline.events import FinalTranscribed, PartialTranscribed
from echotui.pipeline.segmenter import Utterance
from echotui.providers.base import Segment, Word

if TYPE_CHECKING:
    from echotui.pipeline.runner import Pipeline

PROMPT_CHARS = 200


def text_of(words: list[Word]) -> str:
    return " ".join(w.text for w in words)


class CaptionOutput:
    """Partials and finals for one pipeline. `committing()`: the engine gives word times (committed words
    go out a few at a time), else each utterance's text goes out whole at its end."""

    def __init__(self, pipeline: Pipeline, committing: Callable[[], bool]) -> None:
        self.pipeline = pipeline
        self.committing = committing
        self.prompt = ""
        """The last `PROMPT_CHARS` of final text, for engines without word times."""
        self.shown: tuple[Utterance, list[Word]] | None = None
        """The tentative words on screen now, and their utterance."""

    @property
    def _clock_s(self) -> float:
        """The stream's clock: seconds of audio captured so far."""
        return self.pipeline.queue.captured / SAMPLE_RATE

    def partial(self, utterance: Utterance, words: list[Word]) -> None:
        if self.pipeline.abandoned:  # the session ended: what was on screen is final already
            return
        text = text_of(words)
        committing = self.committing()
        if text or committing:  # a committing engine clears its tentative text with an empty one
            self.shown = (utterance, list(words)) if text else None
            self.pipeline.on_event(
                PartialTranscribed(
                    utterance.id, utterance.start_s, utterance.end / SAMPLE_RATE, text, self._clock_s
                )
            )

    def final(
        self, utterance: Utterance, words: list[Word], *, latency: float, closes: bool, measured: bool = True
    ) -> None:
        """Final text; `measured` False for words that were never agreed or finished (kept at an abandon):
        they feed no latency figure."""
        if self.pipeline.abandoned:
            return
        clock, committing = self._clock_s, self.committing()
        if closes:
            self.shown = None
        if words and measured:
            self.pipeline.metrics.record_words([clock - w.end_s for w in words])
        text = text_of(words)
        if not committing:  # each of the engine's segments is a caption, as it said them
            captions = tuple(Segment(w.start_s, w.end_s, w.text) for w in words)
        else:
            captions = (Segment(words[0].start_s, words[-1].end_s, text),) if words else ()
        self.pipeline.metrics.record_final(latency if closes and measured else None, len(captions))
        if text:
            self.prompt = (self.prompt + " " + text)[-PROMPT_CHARS:].lstrip()
        start, end = utterance.start_s, utterance.end / SAMPLE_RATE
        if committing and words:
            start, end = words[0].start_s, words[-1].end_s
        timed = tuple(words) if committing else ()
        if timed:
            self.pipeline.reviser.committed(words)  # before anyone hears of them, as the journal does
        self.pipeline.on_event(
            FinalTranscribed(utterance.id, start, end, captions, latency, timed, clock, closes)
        )

    def keep_shown(self) -> None:
        """The session ends before the open utterance could be finished: the tentative words on screen
        become its final text as they are (what the user saw is never lost)."""
        if self.shown is not None:
            utterance, words = self.shown
            self.final(utterance, words, latency=0.0, closes=True, measured=False)
