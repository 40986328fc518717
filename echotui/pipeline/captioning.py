"""What the policies' words become: tentative text (partials, each replacing the one before) and final
text, sent as events, with the metrics they feed. The runner owns it and sends each policy step's text
through it. It also remembers what is on screen as tentative, so that a session ended before that text was
final (a quit past its grace) keeps it as the user saw it."""

from __future__ import annotations

from collections.abc import Callable

from echotui import SAMPLE_RATE
from echotui.pipeline.events import FinalTranscribed, PartialTranscribed, PipelineEvent
from echotui.pipeline.metrics import Metrics
from echotui.pipeline.port import Commit, Step
from echotui.pipeline.segmenter import Utterance
from echotui.providers.base import Segment, Word


def text_of(words: list[Word]) -> str:
    return " ".join(w.text for w in words)


class CaptionOutput:
    """Partials and finals for one pipeline. `word_times()`: the policy's engine gives word times (committed
    words go out a few at a time, each final one caption), else each utterance's text goes out whole at its
    end, a caption for each of the engine's segments."""

    def __init__(
        self,
        metrics: Metrics,
        clock_s: Callable[[], float],
        send: Callable[[PipelineEvent], None],
        *,
        word_times: Callable[[], bool],
        committed: Callable[[list[Word]], None],
    ) -> None:
        """`clock_s`: the stream's clock (seconds captured); `committed`: told of committed words before
        anyone hears of them (the revision layer)."""
        self.metrics, self.clock_s, self.send = metrics, clock_s, send
        self.word_times, self.committed = word_times, committed
        self.ended = False
        """The session was abandoned: what was on screen is final already, nothing more goes out."""
        self.shown: tuple[Utterance, list[Word]] | None = None
        """The tentative words on screen now, and their utterance."""

    def take(self, step: Step) -> None:
        """A policy step's text, in order (and its pass, for the metrics)."""
        if step.window_s is not None:
            self.metrics.record_pass(self.clock_s(), step.window_s)
        for text in step.texts:
            if isinstance(text, Commit):
                self.final(text.utterance, text.words, latency=text.latency, closes=text.closes)
            else:
                self.partial(text.utterance, text.words)

    def partial(self, utterance: Utterance, words: list[Word]) -> None:
        if self.ended:
            return
        text = text_of(words)
        timed = self.word_times()
        if text or timed:  # with word times tentative text is cleared with an empty one
            self.shown = (utterance, list(words)) if text else None
            self.send(
                PartialTranscribed(
                    utterance.id, utterance.start_s, utterance.end / SAMPLE_RATE, text, self.clock_s()
                )
            )

    def final(
        self, utterance: Utterance, words: list[Word], *, latency: float, closes: bool, measured: bool = True
    ) -> None:
        """Final text; `measured` False for words that were never agreed or finished (kept at an abandon):
        they feed no latency figure."""
        if self.ended:
            return
        clock, word_times = self.clock_s(), self.word_times()
        if closes:
            self.shown = None
        if words and measured:
            self.metrics.record_words([clock - w.end_s for w in words])
        text = text_of(words)
        if not word_times:  # each of the engine's segments is a caption, as it said them
            captions = tuple(Segment(w.start_s, w.end_s, w.text) for w in words)
        else:
            captions = (Segment(words[0].start_s, words[-1].end_s, text),) if words else ()
        self.metrics.record_final(latency if closes and measured else None, len(captions))
        start, end = utterance.start_s, utterance.end / SAMPLE_RATE
        if word_times and words:
            start, end = words[0].start_s, words[-1].end_s
        timed = tuple(words) if word_times else ()
        if timed:
            self.committed(words)  # before anyone hears of them, as the journal does
        self.send(FinalTranscribed(utterance.id, start, end, captions, latency, timed, clock, closes))

    def keep_shown(self) -> None:
        """The session ends before the open utterance could be finished: the tentative words on screen
        become its final text as they are (what the user saw is never lost)."""
        if self.shown is not None:
            utterance, words = self.shown
            self.final(utterance, words, latency=0.0, closes=True, measured=False)
