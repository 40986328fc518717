"""The transcript a user keeps: the finals as they went out, with every revision applied.

A revision (`TranscriptRevised`) names the committed words it replaces exactly as finals carried them, so
applying it removes those words wherever they lie (one final or several) and puts the revised words where
the first of them was. A word no revision names stays as it is: nothing is lost or doubled.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from echotui.pipeline.events import FinalTranscribed, TranscriptRevised
from echotui.providers.base import Segment, Word


def _with_words(final: FinalTranscribed, words: list[Word], closes: bool) -> FinalTranscribed:
    text = " ".join(w.text for w in words)
    captions = (Segment(words[0].start_s, words[-1].end_s, text),)
    return replace(
        final, start_s=words[0].start_s, end_s=words[-1].end_s, captions=captions, words=tuple(words),
        closes=closes,
    )  # fmt: skip


def apply_revision(finals: Iterable[FinalTranscribed], revision: TranscriptRevised) -> list[FinalTranscribed]:
    """`finals` with `revision` applied (a new list; the finals themselves are not changed)."""
    gone = set(revision.replaced)
    out: list[FinalTranscribed] = []
    placed = not revision.words  # (a revision with no words only removes)
    for final in finals:
        if not gone.intersection(final.words):
            out.append(final)
            continue
        first = next(i for i, w in enumerate(final.words) if w in gone)
        before = list(final.words[:first])
        after = [w for w in final.words[first:] if w not in gone]
        if before:
            out.append(_with_words(final, before, closes=False))
        if not placed:
            out.append(_with_words(final, list(revision.words), closes=final.closes and not after))
            placed = True
        if after:
            out.append(_with_words(final, after, closes=final.closes))
        elif final.closes and out and out[-1] is not final and not out[-1].closes:
            out[-1] = replace(out[-1], closes=True)  # the utterance's end still ends a line
    return out
