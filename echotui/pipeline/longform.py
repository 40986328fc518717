"""Long windows of finished speech, decoded the way offline transcription decodes them.

Speech the VAD passed is gathered piece by piece (each piece a stretch of the stream timeline; pauses
between them are left out, as faster-whisper's own VAD filter leaves them out) and decoded in windows of up
to `LongformTuning.window_s`, the 30 s whisper hears at once, each with the text before it as the prompt.
A window ends in a pause when one lies late enough in it; in speech that runs on, it is cut and only the
words that end well before the cut are kept: the rest is decoded again at the start of the next window,
as whisper's own seek does for a segment its window cut off.

`echotui transcribe FILE --speed 0` runs on this alone (`longform_policy.LongformPolicy`); a revision
layer can feed it finished speech behind the live words. Pure logic but for the engine call, which is
given.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import numpy as np

from echotui import SAMPLE_RATE
from echotui.pipeline.captioning import text_of
from echotui.pipeline.tuning import STREAMING
from echotui.providers.base import Segment, Word


@dataclass(frozen=True)
class LongformTuning:
    """Every number of long-window decoding.

    Attributes:
        window_s: the longest window decoded at once: the 30 s whisper's encoder hears.
        min_window_s: a window ends at the last pause after this much speech, if there is one.
        edge_s: in a window cut inside speech, words ending this close to the cut are decoded again.
        tail_s: of the pause that closed a stretch of speech, what is decoded with it.
        prompt_chars: how much of the text before a window is its prompt.
    """

    window_s: float = 30.0
    min_window_s: float = 12.0
    edge_s: float = 2.0
    tail_s: float = 0.3
    prompt_chars: int = STREAMING.prompt_chars


LONGFORM = LongformTuning()

EngineCall = Callable[[np.ndarray, float, str], Awaitable[list[Segment]]]
"""Decode `audio` (mono 16 kHz, its first sample at stream time `start_s`) with `prompt`; segments come back
with word times relative to the audio's start."""


@dataclass
class Piece:
    """Contiguous speech: `audio` from timeline index `start`."""

    start: int
    audio: np.ndarray

    @property
    def end(self) -> int:
        return self.start + len(self.audio)


@dataclass(frozen=True)
class Decoded:
    """One window's outcome: its words on the stream timeline, and the timeline index up to which the
    gathered speech is now finished (what lies after it is still to be decoded)."""

    words: list[Word]
    done_until: int


class LongWindowDecoder:
    """Gathers speech and decodes it in long windows; see the module's docstring."""

    def __init__(self, tuning: LongformTuning = LONGFORM) -> None:
        self.tuning = tuning
        self.pieces: list[Piece] = []
        self.text = ""
        """The text decoded so far (its end is the next window's prompt)."""

    @property
    def gathered_s(self) -> float:
        return sum(len(p.audio) for p in self.pieces) / SAMPLE_RATE

    def add(self, start: int, audio: np.ndarray) -> None:
        """Speech from timeline index `start`; what follows the last piece without a gap extends it."""
        if not len(audio):
            return
        last = self.pieces[-1] if self.pieces else None
        if last is not None and last.end == start:
            last.audio = np.concatenate((last.audio, audio))
        else:
            self.pieces.append(Piece(start, audio))

    def ready(self, ended: bool) -> bool:
        """A window is due: a full one is gathered, or the speech ended and some is left."""
        return bool(self.pieces) and (ended or self.gathered_s >= self.tuning.window_s)

    async def decode(self, call: EngineCall, ended: bool) -> Decoded:
        """Decode the next window (call only when `ready`)."""
        window, cut = self._window(ended)
        audio = np.concatenate([p.audio for p in window])
        prompt = self.text[-self.tuning.prompt_chars :].lstrip()
        segments = await call(audio, window[0].start / SAMPLE_RATE, prompt)
        heard = [(w, last) for s in segments for w, last in _with_ends(s)]
        offset, end_s = len(audio), len(audio) / SAMPLE_RATE
        keep = _kept(heard, end_s - self.tuning.edge_s) if cut else 0
        if keep:  # (a cut window with no word before its edge is taken whole: it always moves on)
            offset = _resume_at(heard, keep, len(audio))
            heard = heard[:keep]
        elif not cut:  # it ends in the pause after the speech: a word said there is whisper's invention
            heard = [(w, last) for w, last in heard if w.start_s < end_s - self.tuning.tail_s]
        words = [_on_timeline(w, window) for w, _ in heard]
        done_until = self._drop(offset)
        said = text_of(words)
        self.text = f"{self.text} {said}".strip()[-self.tuning.prompt_chars :]
        return Decoded(words, done_until)

    def _window(self, ended: bool) -> tuple[list[Piece], bool]:
        """The pieces of the next window (the last one shortened where it is cut inside speech), and
        whether it was cut there."""
        limit = round(self.tuning.window_s * SAMPLE_RATE)
        least = round(self.tuning.min_window_s * SAMPLE_RATE)
        total, chosen = 0, 0
        for n, piece in enumerate(self.pieces, 1):
            if total + len(piece.audio) > limit:
                break
            total += len(piece.audio)
            if total >= least or (ended and n == len(self.pieces)):
                chosen = n
        if chosen:  # ends in a pause (or at the end of the speech)
            return self.pieces[:chosen], False
        window, total = [], 0
        for piece in self.pieces:
            take = min(len(piece.audio), limit - total)
            window.append(Piece(piece.start, piece.audio[:take]))
            total += take
            if total >= limit:
                break
        return window, True

    def _drop(self, offset: int) -> int:
        """Forget the first `offset` samples of gathered speech; returns the timeline index it reached."""
        reached = self.pieces[0].start if self.pieces else 0
        while self.pieces and offset > 0:
            piece = self.pieces[0]
            if offset >= len(piece.audio):
                offset -= len(piece.audio)
                reached = piece.end
                self.pieces.pop(0)
            else:
                reached = piece.start + offset
                self.pieces[0] = Piece(reached, piece.audio[offset:])
                offset = 0
        return reached


def _with_ends(segment: Segment) -> list[tuple[Word, bool]]:
    """A segment's words (a segment without word times is one word), each marked if it ends the segment."""
    words = segment.words or (Word(segment.start_s, segment.end_s, segment.text),)
    return [(w, i == len(words) - 1) for i, w in enumerate(words)]


def _kept(heard: list[tuple[Word, bool]], before_s: float) -> int:
    """How many words a cut window keeps: up to the last segment end before `before_s`, else every word
    ending before it."""
    early = [i for i, (w, _) in enumerate(heard) if w.end_s <= before_s]
    ends = [i for i in early if heard[i][1]]
    return (ends[-1] if ends else early[-1]) + 1 if early else 0


def _resume_at(heard: list[tuple[Word, bool]], keep: int, length: int) -> int:
    """Where, in a cut window that keeps its first `keep` words, the next window starts (in samples from
    its start): where the last kept word ends, or where the next word starts when their times overlap (a
    word's end stretched over the next one's onset). Not further: the engine may have skipped words in
    the gap ("box, the apple tree" for "box, buried under the apple tree"), and the next window hears them."""
    last = heard[keep - 1][0]
    at = last.end_s
    if keep < len(heard) and last.start_s < heard[keep][0].start_s < last.end_s:
        at = heard[keep][0].start_s
    return min(length, max(1, round(at * SAMPLE_RATE)))


def _on_timeline(word: Word, window: list[Piece]) -> Word:
    """`word`, timed from the window's start with its pauses left out, on the stream timeline."""

    def place(seconds: float, ends: bool) -> float:
        offset = round(seconds * SAMPLE_RATE)  # where two pieces meet, a start lies in the later one
        for piece in window:
            if offset < len(piece.audio) or (ends and offset == len(piece.audio)):
                return (piece.start + offset) / SAMPLE_RATE
            offset -= len(piece.audio)
        return window[-1].end / SAMPLE_RATE

    start = place(word.start_s, ends=False)
    return Word(start, max(start, place(word.end_s, ends=True)), word.text)
