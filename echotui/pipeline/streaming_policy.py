"""What the two live policies share: passes over the open utterance as it grows, and a final call when it
ends. `committing_policy.CommittingPolicy` (engines that give word times) commits words as passes agree
on them; `utterance_policy.UtterancePolicy` (engines that give none, such as Voxtral) shows each pass's
text as tentative and the final call's as final.

Under load the consumer only gets here when the queue is empty, so passes thin out by themselves (each
covers more new audio); a window that reaches its limit is passed and trimmed even mid-backlog, so no
window grows without bound. When passes happen is the pass schedule's (`passes`): the policy's own rule,
or a recorded session's. Runs on the event loop; engine calls run on the provider's thread.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import ClassVar

import numpy as np

from echotui import SAMPLE_RATE
from echotui.pipeline.passes import PassSchedule
from echotui.pipeline.port import Commit, PolicyPort, Step
from echotui.pipeline.segmenter import Utterance
from echotui.pipeline.streaming_config import StreamingConfig
from echotui.pipeline.tuning import STREAMING, StreamingTuning
from echotui.pipeline.worker import CallResult
from echotui.providers.base import Segment, TranscribeRequest, Word


def words_on_timeline(segments: list[Segment], offset_s: float) -> list[Word]:
    """The segments' words on the stream timeline (a segment without word times counts as one word)."""
    out = []
    for segment in segments:
        for word in segment.words or (Word(segment.start_s, segment.end_s, segment.text),):
            out.append(Word(offset_s + word.start_s, offset_s + word.end_s, word.text))
    return out


class StreamingPolicy(ABC):
    """Passes and finals for one pipeline, through its port."""

    word_times: ClassVar[bool]
    """The engine gives word times (the runner picks the policy by this)."""
    per_engine: ClassVar[bool] = True
    """Chosen again when a swap brings an engine with other abilities."""

    def __init__(
        self,
        port: PolicyPort,
        config: StreamingConfig,
        passes: PassSchedule,
        tuning: StreamingTuning = STREAMING,
    ) -> None:
        self.port, self.config, self.passes, self.tuning = port, config, passes, tuning
        self._partial_id = 0
        self._partial_len = 0  # open samples at the last pass
        self._confirmed_id = 0  # the utterance the speech gate already passed
        self._trimmed_id = 0  # the utterance whose window was last trimmed
        self._called_until = 0  # timeline index captured when the last engine call returned

    @property
    def revisable(self) -> bool:
        """The revision layer may revise this policy's words (live passes, not a replay's)."""
        return self.passes.live

    @property
    def tentative(self) -> list[Word]:
        """The words shown as tentative that the revision layer must not reach into."""
        return []

    @property
    def untouched(self) -> bool:
        """Nothing of the open utterance was shown yet: another engine may take over now."""
        return self.port.open_id != self._partial_id or self._partial_len == 0

    # ---- what the runner calls --------------------------------------------------------------------

    async def after_block(self) -> AsyncIterator[Step]:
        """A block was pushed: a window at its limit is passed now, even with a backlog (once it grew by
        `chunk_seconds` since the last pass: two passes on the same audio would agree on its edge)."""
        config, port = self.config, self.port
        limit = max(config.chunk_seconds, config.max_utterance_seconds - self.tuning.force_margin_s)
        at_limit = port.open_samples >= limit * SAMPLE_RATE
        if not self.passes.after_block(port.open_end, self._full(at_limit)):
            return
        if (step := await self._pass(force=self.word_times and at_limit)) is not None:
            yield step

    async def when_idle(self) -> AsyncIterator[Step]:
        """The queue is empty (the engine keeps up): a pass once the window grew by `chunk_seconds`."""
        long_enough = self.port.open_samples >= self.tuning.min_pass_s * SAMPLE_RATE
        if not self.passes.when_idle(long_enough and self._grown() and self._rested()):
            return
        if (step := await self._pass(force=False)) is not None:
            yield step

    async def finalize(self, utterance: Utterance) -> AsyncIterator[Step]:
        """The utterance ended: its last text goes out, committed whole. What is left of a trimmed window
        is checked for speech again: whisper invents text ("Thank you.") for a tail of silence."""
        start, audio = self._window(utterance)
        result = await self._call(
            utterance, start, audio, final=True, recheck=utterance.id == self._trimmed_id
        )
        if result.speech:
            words = words_on_timeline(result.segments, start / SAMPLE_RATE)
        else:  # no speech left: the last pass's tentative words (heard with speech) are all there is
            words = list(self.tentative)
        step = Step()
        (step.silent if not words and not result.speech else step.done).append(utterance)
        words = self._finished(utterance, start, words)
        if words or result.speech:
            latency = time.monotonic() - utterance.last_arrival
            step.texts.append(Commit(utterance, words, latency=latency, closes=True))
        yield step

    # ---- passes -----------------------------------------------------------------------------------

    def _full(self, at_limit: bool) -> bool:
        """The policy's own rule after a block: a full window is passed now."""
        return False

    def _grown(self) -> bool:
        """The open utterance grew by `chunk_seconds` since its last pass (by half that while a word waits
        too long to be agreed, `_stuck`)."""
        port = self.port
        if port.open_id != self._partial_id:
            self._partial_id, self._partial_len = port.open_id, 0
        return port.open_samples - self._partial_len >= self._step_s() * SAMPLE_RATE

    def _rested(self) -> bool:
        """While passes are thinned, the step is also counted from the end of the last engine call: behind,
        passes otherwise run back to back (each takes longer than the step), and a longer step saves
        nothing."""
        if not self.config.thinned:
            return True
        return self.port.open_end - self._called_until >= self._step_s() * SAMPLE_RATE

    def _step_s(self) -> float:
        return self.config.chunk_seconds / (2 if self._stuck() else 1)

    def _stuck(self) -> bool:
        return False

    async def _pass(self, force: bool) -> Step | None:
        utterance = self.port.open_utterance()
        if utterance is None:
            return None
        self._partial_id, self._partial_len = utterance.id, len(utterance.audio)
        start, audio = self._window(utterance)
        result = await self._call(utterance, start, audio, final=False)
        if not result.speech:
            return None
        step = Step(window_s=len(audio) / SAMPLE_RATE)
        self._passed(step, utterance, start, words_on_timeline(result.segments, start / SAMPLE_RATE), force)
        return step

    async def _call(
        self, utterance: Utterance, start: int, audio: np.ndarray, final: bool, recheck: bool = False
    ) -> CallResult:
        """One engine call on `audio` (from timeline index `start`); the speech gate, when due, listens to
        the utterance alone (the window's earlier speech says nothing about it)."""
        start_s = start / SAMPLE_RATE
        request = TranscribeRequest(audio, start_s, final, self._prompt(start_s), self.word_times)
        check = recheck or utterance.id != self._confirmed_id
        result = await self.port.call(request, check, gate_audio=utterance.audio)
        self._called_until = round(self.port.clock_s * SAMPLE_RATE)
        if result.speech:
            self._confirmed_id = utterance.id
        return result

    # ---- what each policy does its own way ----------------------------------------------------------

    @abstractmethod
    def _window(self, utterance: Utterance) -> tuple[int, np.ndarray]:
        """The audio a call on `utterance` hears, and the timeline index it starts at."""

    @abstractmethod
    def _prompt(self, start_s: float) -> str:
        """The text said before a window starting at `start_s`, for the engine's context."""

    @abstractmethod
    def _passed(self, step: Step, utterance: Utterance, start: int, words: list[Word], force: bool) -> None:
        """A pass heard `words` (on the stream timeline) in the window from `start`: what goes out."""

    @abstractmethod
    def _finished(self, utterance: Utterance, start: int, words: list[Word]) -> list[Word]:
        """The final call on the window from `start` heard `words` (or, with no speech left, they were
        tentative): the utterance's final words."""
