"""Is the text right? Word error rate against a reference, and the defects no caption may hold.

Used by `echotui bench --reference`, by the providers' output checks and by the accuracy tests. WER comes from
jiwer (a well-kept, tested Levenshtein alignment over words); the normalisation is ours: lower case, words
only, so punctuation and capitals are not counted as errors.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
_MARKER = re.compile(r"[\[\]()*♪]")  # [BLANK_AUDIO], (music), *laughs*, ♪ — and the halves of one
_LOOP_NGRAM_MAX = 6
_LOOP_REPEATS = 4
# Whisper's own test: text whose zlib compression ratio exceeds 2.4 is a repetition loop.
COMPRESSION_RATIO_LIMIT = 2.4


_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def _spoken(number: int) -> list[str]:
    """0-999 as spoken words ("40" → forty), so "forty" and "40" are the same word to the score."""
    if number < 20:
        return [_ONES[number]]
    if number < 100:
        tens, ones = divmod(number, 10)
        return [_TENS[tens]] + ([_ONES[ones]] if ones else [])
    hundreds, rest = divmod(number, 100)
    return [_ONES[hundreds], "hundred"] + (_spoken(rest) if rest else [])


def words(text: str) -> list[str]:
    """The words of `text`, lower case, without punctuation, numbers under 1000 spelled out."""
    out: list[str] = []
    for word in _WORD.findall(text.lower().replace("’", "'")):
        out.extend(_spoken(int(word)) if word.isdigit() and len(word) <= 3 else [word])
    return out


@dataclass(frozen=True)
class WordErrors:
    """An alignment of hypothesis words against reference words.

    Attributes:
        reference_words: words in the reference.
        substitutions, deletions, insertions: edit counts of the best alignment.
    """

    reference_words: int
    substitutions: int
    deletions: int
    insertions: int

    @property
    def wer(self) -> float:
        """Word error rate: edits per reference word (can exceed 1 when words are inserted)."""
        edits = self.substitutions + self.deletions + self.insertions
        return edits / self.reference_words if self.reference_words else float(edits > 0)


def word_errors(reference: str, hypothesis: str) -> WordErrors:
    """Align `hypothesis` to `reference` word by word."""
    import jiwer

    ref, hyp = words(reference), words(hypothesis)
    if not ref or not hyp:
        return WordErrors(len(ref), 0, len(ref), len(hyp))
    out = jiwer.process_words(" ".join(ref), " ".join(hyp))
    return WordErrors(len(ref), out.substitutions, out.deletions, out.insertions)


def compression_ratio(text: str) -> float:
    raw = text.encode()
    return len(raw) / len(zlib.compress(raw)) if raw else 0.0


def is_loop(text: str) -> bool:
    """A repetition loop: a run of 1-6 words said 4 times in a row, or text that compresses like one."""
    tokens = words(text)
    for n in range(1, _LOOP_NGRAM_MAX + 1):
        run = 1
        for i in range(n, len(tokens) - n + 1, n):
            run = run + 1 if tokens[i : i + n] == tokens[i - n : i] else 1
            if run >= _LOOP_REPEATS:
                return True
    return len(text) > 60 and compression_ratio(text) > COMPRESSION_RATIO_LIMIT


def repeats_phrase(text: str, n: int = 4) -> bool:
    """Some run of `n` words comes twice: in one short decode, a sign the decoder went round again."""
    tokens = words(text)
    grams = [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return len(set(grams)) < len(grams)


# Speech rarely passes 4 words (about 5 tokens) a second; twice that, plus room for a short clip, bounds what
# one decode may hold, so a repetition loop cannot run on to the 224-token window limit.
TOKENS_PER_SECOND = 10
TOKENS_MIN = 24


def looped(text: str, duration_s: float) -> bool:
    """One decode of `duration_s` of audio went round: repeated words, a phrase said twice, or more words
    than anyone speaks in that time."""
    return (
        is_loop(text)
        or repeats_phrase(text)
        or len(words(text)) > TOKENS_MIN + duration_s * TOKENS_PER_SECOND / 2
    )


def caption_defects(text: str) -> list[str]:
    """What is wrong with a caption as shown: a bracketed non-speech marker, a loop, punctuation alone."""
    found = []
    if _MARKER.search(text):
        found.append("non-speech marker")
    if is_loop(text):
        found.append("repetition loop")
    if text.strip() and not words(text):
        found.append("punctuation alone")
    return found


def strip_markers(text: str) -> str:
    """Remove bracketed non-speech annotations ([BLANK_AUDIO], (music), *laughs*) and stray halves."""
    text = re.sub(r"\[[^\]]*\]?|\([^)]*\)|\*[^*]*\*|♪", " ", text)
    text = re.sub(r"[\[\]()*]", " ", text)
    return re.sub(r"\s+", " ", text).strip()
