"""The revision layer: finished speech decoded again as offline transcription decodes it.

The live layer (`committing_policy`) commits words from short windows within two seconds; short
windows cost words. Behind it, once a stretch of committed speech is finished (a committed sentence end
followed by a pause, a long pause after any word, or at the latest `RevisionTuning.max_stretch_s` of
speech), the `Reviser` decodes that stretch again with the long-window decoder (`longform.LongWindowDecoder`:
only the audio the VAD passed, the revised text before it as the prompt) and sends `TranscriptRevised`: the
committed words of the stretch, exactly as finals carried them, and the words heard now, on the stream
timeline. Words both passes agree on at its edges are left out of the revision.

It never goes before the live layer: it runs on the engine's thread only when the consumer is idle (the
queue is empty after the live pass). A stretch it reaches too late (its audio already left the ring, or it
ended more than `behind_s` ago) is skipped and counted in `unrevised_s`. On with `--revise` (off by
default); never at `--speed 0` (the long-window policy already is the offline decode), and for engines
without word times.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from echotui import SAMPLE_RATE
from echotui.pipeline.commit import ends_sentence
from echotui.pipeline.events import EngineNotice, TranscriptRevised
from echotui.pipeline.failures import call_with_restart
from echotui.pipeline.longform import LongWindowDecoder
from echotui.pipeline.recent import RecentAudio
from echotui.pipeline.segmenter import Utterance
from echotui.providers.base import Segment, TranscribeRequest, Word

if TYPE_CHECKING:
    from echotui.pipeline.queue import AudioBlock
    from echotui.pipeline.runner import Pipeline


@dataclass(frozen=True)
class RevisionTuning:
    """Every number of the revision layer.

    Attributes:
        pause_s: a committed sentence end followed by this much pause finishes a stretch.
        long_pause_s: any committed word followed by this much pause finishes a stretch.
        max_stretch_s: at the latest, a stretch is finished after this much speech (cut at its last
            sentence end, else at its widest pause between words).
        pad_s: audio before a stretch's first word and after its last that the revision hears.
        reach_s: how much recent audio the layer keeps; a stretch that starts before it is skipped.
        behind_s: a stretch that ended this long before the clock is skipped: the layer fell behind.
        growth: a revision with more than `growth` × the words (plus `slack` words) is an invention
            (whisper loops on a repeated phrase): the committed words stay.
    """

    pause_s: float = 0.6
    long_pause_s: float = 1.5
    max_stretch_s: float = 25.0
    pad_s: float = 0.4
    reach_s: float = 60.0
    behind_s: float = 30.0
    growth: float = 2.0
    slack: int = 4


REVISION = RevisionTuning()


def finished(words: list[Word], next_s: float, tuning: RevisionTuning = REVISION) -> int:
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
    return max(within, key=lambda i: words[i + 1].start_s - words[i].end_s) + 1


def changed(old: list[Word], new: list[Word]) -> tuple[int, int]:
    """How many words at the front and at the back of `old` and `new` read the same (left out)."""
    front = 0
    while front < min(len(old), len(new)) and old[front].text == new[front].text:
        front += 1
    back = 0
    while back < min(len(old), len(new)) - front and old[-1 - back].text == new[-1 - back].text:
        back += 1
    return front, back


class Reviser:
    """The revision layer of one pipeline. The runner calls `heard` for each block the consumer takes and
    `when_idle` when the queue is empty; it watches the finals that go out."""

    def __init__(self, pipeline: Pipeline, tuning: RevisionTuning = REVISION) -> None:
        self.pipeline = pipeline
        self.tuning = tuning
        self.decoder = LongWindowDecoder()
        self.ring = RecentAudio(round(tuning.reach_s * SAMPLE_RATE))
        self.spans: list[list[int]] = []  # speech the VAD passed: [start, end) timeline indices, in order
        self.pending: list[Word] = []  # committed words not yet revised, in order
        self.revised_until_s = 0.0
        self.delays: list[float] = []  # per revised word: the clock when its revision was done - its end
        self.unrevised_s = 0.0
        self.revisions = 0
        self.compute_s = 0.0  # wall seconds of revision calls

    @property
    def active(self) -> bool:
        """On: asked for, streaming (not the long-window policy, not a replay), with word times."""
        pipeline = self.pipeline
        timed = pipeline.worker.provider.capabilities.word_timestamps
        return pipeline.config.revise and pipeline.policy.revisable and timed and not pipeline.abandoned

    @property
    def _clock_s(self) -> float:
        return self.pipeline.queue.captured / SAMPLE_RATE

    def committed(self, words: list[Word]) -> None:
        """Words the live layer committed (`CaptionOutput.final`): revised once their stretch is finished."""
        if self.active:
            self.pending.extend(words)

    def heard(self, block: AudioBlock, closed: list[Utterance]) -> None:
        """A block the consumer took, and the utterances it closed: kept, and where speech lies noted."""
        if not self.active:
            return
        self.ring.append(block.start, block.samples)
        if self.pipeline.framing.is_open:
            self._speech(block.start, block.end)
        for utterance in closed:
            self._speech(utterance.start, utterance.end)
        while self.spans and self.spans[0][1] <= self.ring.start:  # its audio is gone
            self.spans.pop(0)

    def _speech(self, start: int, end: int) -> None:
        pad = round(self.tuning.pad_s * SAMPLE_RATE)
        start = max(0, start - pad)
        if self.spans and start <= self.spans[-1][1]:
            self.spans[-1][1] = max(self.spans[-1][1], end)
        else:
            self.spans.append([start, end])

    async def when_idle(self, ended: bool = False) -> None:
        """The live layer is idle: revise what is finished (at the end of the stream, everything left)."""
        while self.pending and self.active and (ended or not self.pipeline.queue.fill):
            tentative = self.pipeline.policy.tentative
            next_s = tentative[0].start_s if tentative else self._clock_s
            count = len(self.pending) if ended and not tentative else finished(self.pending, next_s)
            if not count:
                return
            words, self.pending = self.pending[:count], self.pending[count:]
            following = self.pending[0].start_s if self.pending else next_s
            await self._revise(words, following)

    async def _revise(self, words: list[Word], following_s: float) -> None:
        tuning = self.tuning
        start_s = max(self.revised_until_s, words[0].start_s - tuning.pad_s)
        end_s = min(following_s, words[-1].end_s + tuning.pad_s)
        start, end = round(start_s * SAMPLE_RATE), round(end_s * SAMPLE_RATE)
        self.revised_until_s = max(self.revised_until_s, end_s)
        if start < self.ring.start or self._clock_s - end_s > tuning.behind_s:
            self.unrevised_s += words[-1].end_s - words[0].start_s  # fell behind: the live words stay
            return
        self.decoder.pieces = []
        for span_start, span_end in self.spans:
            lo, hi = max(start, span_start), min(end, span_end)
            if hi > lo:
                self.decoder.add(lo, self.ring.slice(lo, hi))
        self.spans = [s for s in self.spans if s[1] > end]
        heard: list[Word] = []
        while self.decoder.ready(ended=True):
            heard.extend((await self.decoder.decode(self._call, ended=True)).words)
        clock = self._clock_s
        self.delays.extend(clock - w.end_s for w in words)
        if not heard or len(heard) > tuning.growth * len(words) + tuning.slack:
            return  # nothing heard, or an invention: the committed words stay
        front, back = changed(words, heard)
        if front + back == len(words) == len(heard):
            return  # the live words were right
        if front + back == len(words):  # only new words: one word beside them is replaced too, to place them
            front, back = (front - 1, back) if front else (front, back - 1)
        old, new = words[front : len(words) - back], heard[front : len(heard) - back]
        if self.pipeline.abandoned:  # the session ended meanwhile: the text kept then is final
            return
        self.revisions += 1
        revision = TranscriptRevised(
            min(w.start_s for w in (*old, *new)), max(w.end_s for w in (*old, *new)),
            tuple(old), tuple(new), clock,
        )  # fmt: skip
        self.pipeline.on_event(revision)

    async def _call(self, audio: np.ndarray, start_s: float, prompt: str) -> list[Segment]:
        """One engine call as offline transcription makes it: the full 30 s window, with the prompt."""
        pipeline = self.pipeline
        request = TranscribeRequest(audio, start_s, True, prompt, word_timestamps=True, full_window=True)
        began = time.monotonic()
        result = await call_with_restart(pipeline.worker, request, False, pipeline.on_event)
        self.compute_s += time.monotonic() - began
        for notice in result.notices:
            pipeline.on_event(EngineNotice(pipeline.worker.provider.name, notice))
        return result.segments

    def stats(self) -> dict[str, float | int | None]:
        """For `--stats-json`: revision delay (a word's end → its revision done) p50/p95, what was skipped."""
        delays = np.asarray(self.delays) if self.delays else None
        return {
            "revisions": self.revisions,
            "revision_delay_p50_s": None if delays is None else round(float(np.percentile(delays, 50)), 4),
            "revision_delay_p95_s": None if delays is None else round(float(np.percentile(delays, 95)), 4),
            "unrevised_s": round(self.unrevised_s, 4),
        }
