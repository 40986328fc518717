"""Committed words: LocalAgreement over successive passes on a growing window of recent audio.

Each pass transcribes the window from its start to now. A word is committed once two consecutive passes
agree on it (the longest common prefix of their fresh words, compared as spoken words, so "Americans," and
"americans" agree), or when the utterance ends. Committed words go out at once as final text and are never
rewritten; the rest is tentative. After a commit the window may be trimmed at the end of a committed word
(after a sentence end when there is one), never at a blind cut; the committed text carries over as the prompt.

Times are on the stream timeline, in seconds. This module is pure logic: the pipeline feeds it words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from echotui.pipeline.tuning import STREAMING, StreamingTuning
from echotui.providers.base import Word
from echotui.quality import words as spoken

SENTENCE_END = (".", "?", "!")


def _key(word: Word) -> str:
    return " ".join(spoken(word.text))


def _letters(words: Sequence[Word]) -> int:
    return sum(len(_key(w).replace(" ", "")) for w in words)


def _respelled(said: Sequence[Word], heard: Sequence[Word], slack: int) -> int:
    """How many of `heard`'s first words are `said` heard again: as many words, unless they spell more than
    `slack` letters more or fewer than `said`, then the count (one fewer to two more) that comes closest."""
    target, same = _letters(said), min(len(said), len(heard))
    if abs(_letters(heard[:same]) - target) <= slack:
        return same
    counts = range(min(max(1, len(said) - 1), same), min(len(heard), len(said) + 2) + 1)
    return min(counts, key=lambda n: (abs(_letters(heard[:n]) - target), abs(n - len(said))))


def ends_sentence(word: Word) -> bool:
    return word.text.rstrip("\"')]").endswith(SENTENCE_END)


def _anchored_prefix(before: list[str], now: list[str], tuning: StreamingTuning) -> int:
    """How many of `now`'s words are agreed with `before`: their common prefix, carried on past a word or
    two heard differently when both passes then agree again on `anchor_words` words in a row (the words
    between are taken as `now` heard them: it heard more of what follows). Without this, one word that
    flips between passes ("for"/"far") holds back every word after it until two passes happen to agree."""
    base = 0
    while base < min(len(before), len(now)) and before[base] == now[base]:
        base += 1
    end_before = end_now = base
    matcher = SequenceMatcher(None, before[base:], now[base:], autojunk=False)
    for block in matcher.get_matching_blocks():
        a, b = base + block.a, base + block.b
        if block.size < tuning.anchor_words or max(a - end_before, b - end_now) > tuning.max_flip_words:
            break
        end_before, end_now = a + block.size, b + block.size
    return end_now


@dataclass
class LocalAgreement:
    """Commits the words two consecutive passes agree on.

    Attributes:
        committed_end_s: where the last committed word ends.
        tentative: the newest pass's words beyond what is committed.
        tuning: its numbers (`StreamingTuning`'s committing ones).
    """

    committed_end_s: float = 0.0
    tentative: list[Word] = field(default_factory=list)
    tuning: StreamingTuning = STREAMING
    _tail: list[str] = field(default_factory=list)
    """The last `tail_words` committed words, as spoken words."""
    _said: list[Word] = field(default_factory=list)
    """The last `said_words` committed words, with their times."""

    def prompt(self, before_s: float, chars: int | None = None) -> str:
        """The end of the committed text said before `before_s` (the window's start), for the engine's
        context. Words the window still holds stay out of it: given them as the prompt too, whisper takes
        the audio for a continuation and skips them, with times squeezed into the skipped audio."""
        chars = self.tuning.prompt_chars if chars is None else chars
        said = [w.text for w in self._said if w.end_s <= before_s + self.tuning.prompt_slack_s]
        return " ".join(said)[-chars:].lstrip()

    def _after_committed(self, hypothesis: list[Word]) -> list[Word] | None:
        """The hypothesis after the committed words it repeats, found by aligning their text (None when
        it repeats none of them where they were)."""
        tuning, first = self.tuning, hypothesis[0].start_s
        near = [w for w in self._said if w.end_s > first - tuning.match_drift_s]
        if not near:
            return None
        matcher = SequenceMatcher(
            None, [_key(w) for w in near], [_key(w) for w in hypothesis], autojunk=False
        )
        blocks = [b for b in matcher.get_matching_blocks() if b.size]
        if not blocks:
            return None
        # A repeat starts where the window does: the hypothesis may hold a word or two (misheard committed
        # words) more than the committed text before the words they share, never a phrase ("ask what you can
        # do for your country" after "what your country can do for you" shares "can do for", and is new).
        if blocks[0].b - blocks[0].a > tuning.lead_words:
            return None  # the hypothesis says more before the match than was committed: a new phrase
        last = blocks[-1]
        said, heard = near[last.a + last.size - 1], hypothesis[last.b + last.size - 1]
        unmatched_after = len(near) - (last.a + last.size)
        drift = abs(heard.end_s - said.end_s)
        # One common word ("the") is a repeat only if it is the last committed word, heard where it was said;
        # a run of words may stop short of the end by a word or two (misheard there).
        if last.size == 1 and (unmatched_after or drift > tuning.single_drift_s):
            return None
        if unmatched_after > tuning.missed_words or (
            drift > tuning.match_drift_s and last.size < tuning.run_words
        ):
            return None  # (three words or more in a row are a repeat wherever the engine timed them)
        # committed words after the match were heard differently this time: skip as many hypothesis words
        # as spell about as many letters ("ship-spassing" heard again as "ships passing" is two words)
        after = last.b + last.size
        skip = _respelled(near[len(near) - unmatched_after :], hypothesis[after:], tuning.letter_slack)
        return hypothesis[after + skip :]

    def _fresh(self, hypothesis: Sequence[Word]) -> list[Word]:
        """The hypothesis without what is already committed: the committed words it repeats (by text), or
        else the words before the committed end and a repeat of the last committed words at its start."""
        spoken_words = [w for w in hypothesis if _key(w)]
        if not spoken_words:
            return []
        aligned = self._after_committed(spoken_words)
        if aligned is not None:
            return aligned
        tuning = self.tuning
        fresh = [w for w in spoken_words if w.start_s >= self.committed_end_s - tuning.overlap_slack_s]
        for n in range(min(tuning.tail_words, len(self._tail), len(fresh)), 0, -1):
            if [_key(w) for w in fresh[:n]] == self._tail[-n:] and fresh[
                0
            ].start_s < self.committed_end_s + tuning.repeat_reach_s:
                return fresh[n:]
        return fresh

    def _commit(self, words: list[Word]) -> list[Word]:
        if words:
            self.committed_end_s = max(self.committed_end_s, words[-1].end_s)
            self._tail = (self._tail + [_key(w) for w in words])[-self.tuning.tail_words :]
            self._said = (self._said + words)[-self.tuning.said_words :]
        return words

    def cut(self, at_s: float) -> None:
        """The window now starts at `at_s`. With no committed word left in it, what the engine hears from
        there on is new unless its text repeats them: a committed word's end may be stretched over the next
        word's onset (whisper.cpp's DTW time for a sentence's last word runs on into the next one)."""
        if not any(
            w.start_s >= at_s - self.tuning.overlap_slack_s for w in self._said
        ):  # the window holds none
            self.committed_end_s = min(self.committed_end_s, at_s)

    def update(self, hypothesis: Sequence[Word], commit_before_s: float | None = None) -> list[Word]:
        """A pass's words in; the newly committed words out (`tentative` holds the rest).

        `commit_before_s` also commits every fresh word that ends before it, agreed or not (the window is
        at its limit and must be trimmed)."""
        fresh = self._fresh(hypothesis)
        agreed = _anchored_prefix([_key(w) for w in self.tentative], [_key(w) for w in fresh], self.tuning)
        if commit_before_s is not None:
            while agreed < len(fresh) and fresh[agreed].end_s <= commit_before_s:
                agreed += 1
        self.tentative = fresh[agreed:]
        return self._commit(fresh[:agreed])

    def finish(self, hypothesis: Sequence[Word]) -> list[Word]:
        """The utterance ended: the last pass's fresh words are all committed."""
        fresh = self._fresh(hypothesis)
        self.tentative = []
        return self._commit(fresh)


def trim_point(
    committed: Sequence[Word],
    tentative: Sequence[Word],
    window_start_s: float,
    window_end_s: float,
    *,
    sentence_after_s: float,
    word_after_s: float,
    tuning: StreamingTuning = STREAMING,
) -> float | None:
    """Where to cut the window's front after a commit, or None to keep it: after the last committed word
    that ends a sentence once the window is longer than `sentence_after_s`; once it is longer than
    `word_after_s`, in the last pause after a committed word, else just before the last committed word. A cut
    goes halfway into the gap to the next word (word times are a frame or two off either way), or where the
    next word starts when the two overlap."""
    length, front_s = window_end_s - window_start_s, window_start_s + tuning.front_slack_s
    # a word ending within a frame or two of the start is the one the window was last cut after
    inside = [w for w in committed if front_s < w.end_s <= window_end_s]
    if not inside or length <= sentence_after_s:
        return None
    after = {id(a): b for a, b in zip([*inside], [*inside[1:], *tentative[:1]], strict=False)}

    def cut(word: Word) -> float:
        following = after.get(id(word))
        if following is None:
            return word.end_s
        # times that overlap are a word stretched over the next one's onset: cut where the next word starts
        if word.start_s < following.start_s < word.end_s:
            return following.start_s
        return (word.end_s + max(word.end_s, following.start_s)) / 2

    # a cut at the window's front is none (a word stretched past it was cut after before)
    ahead = [w for w in inside if cut(w) > front_s]
    sentence_ends = [w for w in ahead if ends_sentence(w)]
    if sentence_ends:
        return cut(sentence_ends[-1])
    if length <= word_after_s:
        return None
    gap_s = tuning.min_gap_s
    pauses = [w for w in ahead if (n := after.get(id(w))) is not None and n.start_s - w.end_s >= gap_s]
    if pauses:
        return cut(pauses[-1])
    # no boundary the audio shows: keep the last committed word in the window, so a late word time cannot
    # cut into the next word (the next pass hears it again and it is recognised as committed)
    last = inside[-1]
    return last.start_s if last.start_s > front_s else last.end_s
