"""Cutting the audio stream into utterances.

The stream is classified in 30 ms frames. An utterance opens at the first speech frame, with a short
pre-roll of the audio just before it, and closes after a pause of `min_silence_s`. Speech that runs past
`max_utterance_s` is cut at the quietest frame of the last `cut_search_s` (within its second half), and
what follows the cut opens the next utterance, so utterances tile the timeline: no sample is in two of
them and none is lost.

Every sample is accounted for: it is either pending here, handed out inside an `Utterance`, or counted
in `skipped` (silence the engine never sees).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from echotui import SAMPLE_RATE
from echotui.pipeline.queue import AudioBlock
from echotui.pipeline.vad import FRAME_SAMPLES, FrameClassifier


@dataclass(frozen=True)
class Utterance:
    """A stretch of speech for the engine.

    Attributes:
        id: increasing number; a partial and the final of one utterance share it.
        start: timeline index of the first sample.
        audio: mono float32 samples at 16 kHz.
        last_arrival: monotonic time at which the last sample entered the pipeline.
        closed: False while speech may still extend it (a partial view).
        speech_end: timeline index just after its last speech frame (the rest is the pause that closed it).
    """

    id: int
    start: int
    audio: np.ndarray
    last_arrival: float
    closed: bool = True
    speech_end: int | None = None

    @property
    def end(self) -> int:
        return self.start + len(self.audio)

    @property
    def start_s(self) -> float:
        return self.start / SAMPLE_RATE

    @property
    def duration_s(self) -> float:
        return len(self.audio) / SAMPLE_RATE


class Segmenter:
    """Turns contiguous audio blocks into closed utterances, counting skipped silence exactly."""

    def __init__(
        self,
        classifier: FrameClassifier,
        *,
        min_silence_s: float = 0.5,
        max_utterance_s: float = 12.0,
        preroll_s: float = 0.2,
        min_speech_s: float = 0.12,
        cut_search_s: float = 2.0,
    ) -> None:
        frame_s = FRAME_SAMPLES / SAMPLE_RATE
        self._classifier = classifier
        self._min_silence = max(1, round(min_silence_s / frame_s))
        self._max_frames = max(2, int(max_utterance_s / frame_s))
        self._preroll = round(preroll_s / frame_s)
        self._min_speech = max(1, round(min_speech_s / frame_s))
        self._cut_search = max(1, min(self._max_frames - 1, round(cut_search_s / frame_s)))
        self.skipped = 0
        """Samples judged silence and never sent to an engine."""
        self._next = 0  # timeline index the next block must start at
        self._start = 0  # timeline index of self._frames[0]
        self._frames: list[np.ndarray] = []
        self._speech: list[bool] = []
        self._energy: list[float] = []
        self._arrivals: list[float] = []
        self._remainder = np.zeros(0, dtype=np.float32)
        self._remainder_arrival = 0.0
        self._open = False
        self._silence_run = 0
        self._ids = 0

    @property
    def pending(self) -> int:
        """Samples held here: pre-roll, the open utterance, and a partial frame."""
        return len(self._frames) * FRAME_SAMPLES + len(self._remainder)

    @property
    def is_open(self) -> bool:
        return self._open

    @property
    def open_samples(self) -> int:
        """Length of the utterance being spoken (0 if none), without building its audio."""
        return len(self._frames) * FRAME_SAMPLES if self._open else 0

    @property
    def open_end(self) -> int:
        """Timeline index just after the open utterance (0 if none), without building its audio."""
        return self._start + self.open_samples if self._open else 0

    @property
    def open_id(self) -> int:
        """The id the open utterance will carry."""
        return self._ids + 1

    def open_utterance(self) -> Utterance | None:
        """The utterance still being spoken, as far as it goes (for partial results)."""
        if not self._open:
            return None
        return Utterance(
            self.open_id, self._start, np.concatenate(self._frames), self._arrivals[-1], closed=False
        )

    def release(self, frames: int) -> int:
        """Hand the first `frames` frames of the open utterance over for good (their text is committed):
        the utterance now starts after them. Returns the samples released."""
        if not self._open:
            return 0
        frames = max(0, min(frames, len(self._frames) - 1))  # the open utterance keeps at least a frame
        return sum(len(f) for f in self._take_front(frames))

    def push(self, block: AudioBlock) -> list[Utterance]:
        """Feed audio; returns the utterances it closed (usually none). A gap in the timeline (dropped
        audio) closes the open utterance first, as the end of the stream would."""
        closed: list[Utterance] = []
        if block.start != self._next:
            closed.extend(self.flush())
            self._start = self._next = block.start
        self._next = block.end
        samples = block.samples
        if len(self._remainder):
            samples = np.concatenate((self._remainder, samples))
        n_frames = len(samples) // FRAME_SAMPLES
        for i in range(n_frames):
            frame = samples[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES]
            utterance = self._on_frame(frame, block.arrived)
            if utterance is not None:
                closed.append(utterance)
        self._remainder = samples[n_frames * FRAME_SAMPLES :]
        self._remainder_arrival = block.arrived
        return closed

    def flush(self) -> list[Utterance]:
        """End of stream (or a gap): close whatever is open, count the rest as skipped."""
        closed: list[Utterance] = []
        if len(self._remainder):
            if self._open:
                self._add_frame(self._remainder, False, self._remainder_arrival)
            else:
                self.skipped += len(self._remainder)
            self._remainder = np.zeros(0, dtype=np.float32)
        if self._open:
            utterance = self._close(len(self._frames))
            if utterance is not None:
                closed.append(utterance)
        self._drop_front(len(self._frames))
        self._open = False
        return closed

    def _add_frame(self, frame: np.ndarray, speech: bool, arrived: float) -> None:
        self._frames.append(frame)
        self._speech.append(speech)
        self._energy.append(float(np.dot(frame, frame)))
        self._arrivals.append(arrived)

    def _drop_front(self, n: int) -> None:
        """Forget the first n frames as skipped silence."""
        self.skipped += sum(len(f) for f in self._frames[:n])
        self._take_front(n)

    def _take_front(self, n: int) -> list[np.ndarray]:
        frames = self._frames[:n]
        self._start += sum(len(f) for f in frames)
        del self._frames[:n], self._speech[:n], self._energy[:n], self._arrivals[:n]
        return frames

    def _on_frame(self, frame: np.ndarray, arrived: float) -> Utterance | None:
        speech = self._classifier.is_speech(frame)
        self._add_frame(frame, speech, arrived)
        if not self._open:
            if speech:
                self._open = True
                self._silence_run = 0
            elif len(self._frames) > self._preroll:
                self._drop_front(len(self._frames) - self._preroll)
            return None
        self._silence_run = 0 if speech else self._silence_run + 1
        if self._silence_run >= self._min_silence:
            return self._close(len(self._frames))
        if len(self._frames) >= self._max_frames:
            return self._close(self._best_cut())
        return None

    def _best_cut(self) -> int:
        """Frame count to keep: cut after the quietest frame of the search window, silence first."""
        n = len(self._frames)
        first = max(n - self._cut_search, n // 2)  # never cut off a sliver
        quietest = min(range(first, n), key=lambda i: (self._speech[i], self._energy[i]))
        return quietest + 1

    def _close(self, n: int) -> Utterance | None:
        start = self._start
        speech_frames = sum(self._speech[:n])
        last_speech = max((i for i in range(n) if self._speech[i]), default=n - 1)
        speech_end = start + (last_speech + 1) * FRAME_SAMPLES
        last_arrival = self._arrivals[n - 1]
        audio = np.concatenate(self._take_front(n))
        self._open = bool(self._frames)
        self._silence_run = 0
        for flag in reversed(self._speech):
            if flag:
                break
            self._silence_run += 1
        if speech_frames < self._min_speech:
            self.skipped += len(audio)
            return None
        self._ids += 1
        speech_end = min(speech_end, start + len(audio))
        return Utterance(self._ids, start, audio, last_arrival, speech_end=speech_end)
