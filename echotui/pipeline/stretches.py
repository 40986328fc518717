"""Which committed words one revision takes, where its window starts and ends, and which of the words it
hears belong to them.

A revision decodes a stretch of committed words (`finished`) with speech around it: already-revised
speech before it, as offline transcription hears every sentence after the one before, and a little of
what follows. The words heard in that window are aligned with the kept words before the stretch, the
stretch's own committed words and the words after it (`belonging`): a word both read the same belongs where
its match lies; a word heard differently belongs where its time lies, between its matched neighbours. Only
the stretch's own words are revised, so a sentence is never revised alone, without the words at its edges.
Pure logic.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from itertools import accumulate

from echotui import SAMPLE_RATE
from echotui.pipeline.commit import ends_sentence
from echotui.providers.base import Word


@dataclass(frozen=True)
class StretchTuning:
    """When a stretch of committed words is finished.

    Attributes:
        pause_s: a committed sentence end followed by this much pause finishes a stretch.
        long_pause_s: any committed word followed by this much pause finishes a stretch.
        max_stretch_s: at the latest, a stretch is finished after this much speech (cut at its last
            sentence end, else at its widest pause between words). It bounds how long a word waits for
            its revision; the speech before the stretch gives the window its context.
    """

    pause_s: float = 0.6
    long_pause_s: float = 1.5
    max_stretch_s: float = 6.0


STRETCH = StretchTuning()

BEFORE, OWN, AFTER = 0, 1, 2
"""Where a heard word belongs: the context before the stretch, the stretch, the speech after it."""


def finished(words: list[Word], next_s: float, tuning: StretchTuning = STRETCH) -> int:
    """How many of `words` (committed, not yet revised, in order) make a finished stretch; 0: none yet.
    `next_s`: where the next speech starts (the first tentative word), else the clock."""
    done = 0
    for i, word in enumerate(words):
        if word.end_s - words[0].start_s > tuning.max_stretch_s:
            break
        gap = (words[i + 1].start_s if i + 1 < len(words) else next_s) - word.end_s
        if gap >= tuning.long_pause_s or (gap >= tuning.pause_s and ends_sentence(word)):
            done = i + 1
    if done or words[-1].end_s - words[0].start_s <= tuning.max_stretch_s:
        return done
    within = [i for i, w in enumerate(words) if w.end_s - words[0].start_s <= tuning.max_stretch_s]
    if not within or within[-1] + 1 >= len(words):
        return max(1, len(within))
    ends = [i for i in within if ends_sentence(words[i])]
    if ends:
        return ends[-1] + 1
    return max(within, key=lambda i: (words[i + 1].start_s - words[i].end_s, i)) + 1  # the latest of equals


def due(words: list[Word], next_s: float, tuning: StretchTuning = STRETCH, most_s: float = 0.0) -> int:
    """How many of `words` one revision takes: the first finished stretch, and the finished stretches
    already waiting after it (the layer fell behind) up to `most_s` of speech in all, so one window
    revises them where one each would cost a full window each. Speech still running on is cut as
    `finished` cuts it (one stretch); 0: none finished yet."""
    wider = replace(tuning, max_stretch_s=max(tuning.max_stretch_s, most_s))
    return max(finished(words, next_s, tuning), finished(words, next_s, wider))


def window_end(words: list[Word], following: list[Word], limit_s: float, tail_s: float) -> float:
    """Where the window of `words` ends: by `limit_s` (the lookahead, the clock), and never inside speech
    no pass has heard yet (a word cut at the window's end is heard as another word, and put into the
    stretch): at the end of the last word known there (of `words`, or `following` them), `tail_s` after
    it where the next known word leaves room."""
    last = words[-1]
    for word in following:
        if word.end_s > limit_s:
            return max(last.end_s, min(limit_s, last.end_s + tail_s, word.start_s))
        last = word
    return max(last.end_s, min(limit_s, last.end_s + tail_s))


def known_after(following: list[Word], end_s: float) -> list[Word]:
    """The words known after a stretch that its window's alignment weighs: those the window holds (they
    start before `end_s`), and the next one. A window's end can cut a word whose live times say it starts
    later (a long word's times run wide); heard as that word, it belongs to what follows, not the stretch."""
    within = sum(w.start_s < end_s for w in following)
    return following[: within + 1]


@dataclass(frozen=True)
class Window:
    """Where a revision's window starts, and what it holds.

    Attributes:
        first: the kept words from this one on are the window's context; the text of those before it
            is the prompt.
        since_s: where the window starts on the stream's timeline.
        pieces: the speech the VAD passed within the window, [start, end) timeline indices.
    """

    first: int
    since_s: float
    pieces: list[tuple[int, int]]


def with_context(
    kept: list[Word], spans: list[list[int]], start_s: float, end_s: float, earliest_s: float, *,
    context_s: float, pad_s: float, most_s: float,
) -> Window:  # fmt: skip
    """The window from `start_s` (a stretch's start) to `end_s`, with the `kept` (revised) words of up to
    `context_s` before it heard too (from `pad_s` before the first): from a sentence's start where one
    fits, and only as much as leaves the window at most `most_s` of speech. `spans`: the speech the VAD
    passed, [start, end) timeline indices in order; `earliest_s`: the oldest audio still held."""
    near_s = max(start_s - context_s, earliest_s)
    near = next((i for i, w in enumerate(kept) if w.start_s >= near_s), len(kept))
    starts = [i for i in range(len(kept)) if i == 0 or ends_sentence(kept[i - 1])]
    sentences = [*[i for i in starts if i <= near][-1:], *[i for i in starts if i > near]]
    for first in [*sentences, near, len(kept)]:  # the context starts a sentence, if one fits
        before = kept[first:]  # (the kept words come before the stretch, whatever their times)
        since_s = max(earliest_s, min(start_s, before[0].start_s - pad_s)) if before else start_s
        lo, hi = round(since_s * SAMPLE_RATE), round(end_s * SAMPLE_RATE)
        pieces = [(max(lo, a), min(hi, b)) for a, b in spans if min(hi, b) > max(lo, a)]
        if sum(b - a for a, b in pieces) < most_s * SAMPLE_RATE:
            break  # else the context gives way
    return Window(first, since_s, pieces)


def changed(old: list[Word], new: list[Word]) -> tuple[int, int]:
    """How many words at the front and at the back of `old` and `new` read the same (left out)."""
    front = 0
    while front < min(len(old), len(new)) and old[front].text == new[front].text:
        front += 1
    back = 0
    while back < min(len(old), len(new)) - front and old[-1 - back].text == new[-1 - back].text:
        back += 1
    return front, back


def _key(word: Word) -> str:
    return "".join(c for c in word.text.lower() if c.isalnum())


def _between(left: Word | None, right: Word | None) -> float:
    """The time that parts two words: the middle of the pause between them."""
    if left is None:
        return float("-inf")
    if right is None:
        return float("inf")
    return (left.end_s + right.start_s) / 2


def belonging(heard: list[Word], before: list[Word], own: list[Word], after: list[Word]) -> list[Word]:
    """The words of `heard` (a window over `before`, `own` and `after`, in order) that belong to `own`."""
    known = [*before, *own, *after]
    place = [BEFORE] * len(before) + [OWN] * len(own) + [AFTER] * len(after)
    first = _between(before[-1] if before else None, own[0])
    last = _between(own[-1], after[0] if after else None)
    matcher = SequenceMatcher(None, [_key(w) for w in heard], [_key(w) for w in known], autojunk=False)
    where: list[int] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        lowest = place[j1 - 1] if j1 else BEFORE  # a word heard differently lies between its neighbours
        highest = place[j2] if j2 < len(known) else AFTER
        for k in range(i1, i2):
            if tag == "equal":
                where.append(place[j1 + k - i1])
                continue
            middle = (heard[k].start_s + heard[k].end_s) / 2
            timed = BEFORE if middle < first else AFTER if middle >= last else OWN
            where.append(min(max(timed, lowest), highest))
    return [w for w, at in zip(heard, accumulate(where, max), strict=True) if at == OWN]
