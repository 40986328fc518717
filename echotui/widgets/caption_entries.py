"""What the caption view shows, as plain data: paragraphs (one per utterance) made of sentences, each with
the time it began, so the timestamps key stamps every sentence of a long talk, not just its first."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from echotui.pipeline.events import AudioDropped, FinalTranscribed, TranscriptRevised, Word
from echotui.pipeline.output import ends_sentence

EntryKind = Literal["partial", "final", "drop", "notice"]
REVISED_MARK_S = 4.0
"""How long a word a revision changed stays marked on screen."""


def clock(seconds: float) -> str:
    """A stream time as "[hh:mm:ss]" (whole seconds, rounded down)."""
    whole = max(0, int(seconds))
    return f"[{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}]"


CLOCK_WIDTH = len(clock(0))


def drop_text(event: AudioDropped) -> str:
    """The marker shown for dropped audio, e.g. "⚠ 1.2 s dropped"."""
    return f"⚠ {event.seconds:.1f} s dropped"


@dataclass(frozen=True)
class Sentence:
    """Committed words up to a sentence end (or all there are yet), shown on a line of their own.

    Attributes:
        start_s: when its first word began on the stream timeline (None: a line never stamped, a notice).
        text: its words.
        complete: it ends with a sentence end; the next word starts a new sentence.
        marks: where in `text` lie words a revision just changed (start, end character offsets).
    """

    start_s: float | None
    text: str
    complete: bool = False
    marks: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class CaptionEntry:
    """One paragraph of the flow.

    Attributes:
        kind: "partial" (an utterance with no committed word yet: all of it is a guess), "final" (its
            committed words), "drop" (a marker) or "notice".
        text: what is shown, without timestamps: all committed words for a final.
        start_s: where it starts on the stream timeline; None for notices (they are never stamped).
        utterance_id: the utterance of a partial or final, else None.
        tentative: words after the committed ones that may still change, shown dimmed after them (on a
            line of their own after a complete sentence).
        sentences: a final's committed words by sentence, each starting a line with its own start time.
    """

    kind: EntryKind
    text: str
    start_s: float | None = None
    utterance_id: int | None = None
    tentative: str = ""
    sentences: tuple[Sentence, ...] = ()

    @classmethod
    def final(cls, sentences: tuple[Sentence, ...], utterance_id: int, tentative: str = "") -> CaptionEntry:
        text = " ".join(sentence.text for sentence in sentences)
        return cls("final", text, sentences[0].start_s, utterance_id, tentative, sentences)

    @property
    def lines(self) -> tuple[Sentence, ...]:
        """The pieces that each start a line: a final's sentences, else the whole entry."""
        return self.sentences or (Sentence(self.start_s, self.text),)


def committed_words(event: FinalTranscribed) -> tuple[Word, ...]:
    """The event's committed words with their times; an engine without word times gives its captions."""
    if event.words:
        return event.words
    return tuple(Word(c.start_s, c.end_s, c.text) for c in event.captions)


def add_words(
    sentences: tuple[Sentence, ...], words: tuple[Word, ...], marked: frozenset[Word] = frozenset()
) -> tuple[Sentence, ...]:
    """`sentences` with `words` added: to the last sentence until one ends a sentence, then a new one
    beginning at its first word's time. The words in `marked` are marked."""
    grown = list(sentences)
    for word in words:
        text = word.text.strip()
        if not text:
            continue
        if grown and not grown[-1].complete:
            last = grown[-1]
            at = len(last.text) + 1
            marks = (*last.marks, (at, at + len(text))) if word in marked else last.marks
            grown[-1] = replace(last, text=f"{last.text} {text}", complete=ends_sentence(word), marks=marks)
        else:
            marks = ((0, len(text)),) if word in marked else ()
            grown.append(Sentence(word.start_s, text, ends_sentence(word), marks))
    return tuple(grown)


def revised_marks(revision: TranscriptRevised) -> frozenset[Word]:
    """The words of `revision` that read differently from the words they replace (a word it only moved is
    not marked)."""
    before = {w.text for w in revision.replaced}
    return frozenset(w for w in revision.words if w.text not in before)


def unmarked(entry: CaptionEntry) -> CaptionEntry:
    return replace(entry, sentences=tuple(replace(s, marks=()) for s in entry.sentences))


def revise_words(rows: list[tuple[Word, ...]], revision: TranscriptRevised) -> list[tuple[Word, ...]]:
    """The committed words of paragraphs that hold words `revision` replaces, with it applied: the
    replaced words go, and each revised word goes where the replaced words of its time were (a paragraph
    stays a paragraph)."""
    gone = set(revision.replaced)
    firsts = [next((i for i, w in enumerate(words) if w in gone), len(words)) for words in rows]
    bounds = [w[i].start_s if i < len(w) else float("inf") for w, i in zip(rows, firsts, strict=True)]
    out = []
    for n, (words, first) in enumerate(zip(rows, firsts, strict=True)):
        upto = min(bounds[n + 1 :], default=float("inf"))
        new = tuple(w for w in revision.words if (n == 0 or w.start_s >= bounds[n]) and w.start_s < upto)
        out.append(words[:first] + new + tuple(w for w in words[first:] if w not in gone))
    return out
