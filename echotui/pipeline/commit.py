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

from echotui.providers.base import Word
from echotui.quality import words as spoken

# A word that starts before the last committed end (less this slack) was already committed: engines' word
# times wander by a frame or two between passes.
OVERLAP_SLACK_S = 0.1
TAIL_WORDS = 5
SENTENCE_END = (".", "?", "!")


def _key(word: Word) -> str:
    return " ".join(spoken(word.text))


def ends_sentence(word: Word) -> bool:
    return word.text.rstrip("\"')]").endswith(SENTENCE_END)


@dataclass
class LocalAgreement:
    """Commits the words two consecutive passes agree on.

    Attributes:
        committed_end_s: where the last committed word ends.
        tentative: the newest pass's words beyond what is committed.
    """

    committed_end_s: float = 0.0
    tentative: list[Word] = field(default_factory=list)
    _tail: list[str] = field(default_factory=list)
    _committed_text: list[str] = field(default_factory=list)

    def prompt(self, chars: int = 200) -> str:
        """The end of the committed text, for the engine's context."""
        return " ".join(self._committed_text)[-chars:].lstrip()

    def _fresh(self, hypothesis: Sequence[Word]) -> list[Word]:
        """The hypothesis without what is already committed: words before the committed end, and a repeat
        of the last committed words (1-5) at its start."""
        fresh = [w for w in hypothesis if w.start_s >= self.committed_end_s - OVERLAP_SLACK_S and _key(w)]
        for n in range(min(TAIL_WORDS, len(self._tail), len(fresh)), 0, -1):
            if [_key(w) for w in fresh[:n]] == self._tail[-n:] and fresh[
                0
            ].start_s < self.committed_end_s + 1.0:
                return fresh[n:]
        return fresh

    def _commit(self, words: list[Word]) -> list[Word]:
        if words:
            self.committed_end_s = max(self.committed_end_s, words[-1].end_s)
            self._tail = (self._tail + [_key(w) for w in words])[-TAIL_WORDS:]
            self._committed_text = (self._committed_text + [w.text for w in words])[-60:]
        return words

    def update(self, hypothesis: Sequence[Word], commit_before_s: float | None = None) -> list[Word]:
        """A pass's words in; the newly committed words out (`tentative` holds the rest).

        `commit_before_s` also commits every fresh word that ends before it, agreed or not (the window is
        at its limit and must be trimmed)."""
        fresh = self._fresh(hypothesis)
        agreed = 0
        for new, old in zip(fresh, self.tentative, strict=False):
            if _key(new) != _key(old):
                break
            agreed += 1
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
    window_start_s: float,
    window_end_s: float,
    *,
    sentence_after_s: float,
    word_after_s: float,
) -> float | None:
    """Where to cut the window's front after a commit, or None to keep it: at the end of the last committed
    word that ends a sentence once the window is longer than `sentence_after_s`; at the end of the last
    committed word once it is longer than `word_after_s`."""
    length = window_end_s - window_start_s
    inside = [w for w in committed if window_start_s < w.end_s <= window_end_s]
    if not inside or length <= sentence_after_s:
        return None
    sentence_ends = [w for w in inside if ends_sentence(w)]
    if sentence_ends:
        return sentence_ends[-1].end_s
    if length > word_after_s:
        return inside[-1].end_s
    return None
