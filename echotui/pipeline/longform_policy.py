"""`echotui transcribe FILE --speed 0`: nothing is live, so nothing is decoded in short windows.

The user asks for the best transcript of a file as fast as the engine goes. Every utterance the VAD closes
is checked for speech by the speech gate (silence and noise give no text) and handed to the long-window
decoder (`longform.LongWindowDecoder`), which decodes the speech in windows of up to 30 s, each with the
text before it as the prompt, as offline transcription does. Each window's words go out as one final,
with their times. No partials: no text is tentative.

An utterance stays in flight (pending in the ledger) until the window holding the end of its speech is
decoded; then it counts as transcribed. The runner picks this policy once, when the source is a file at
speed 0 and the engine gives word times (`choose_policy`); `echotui replay` keeps the streaming policy it
reproduces.
"""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from echotui import SAMPLE_RATE
from echotui.audio.source import AudioSource
from echotui.pipeline.captioning import CaptionOutput
from echotui.pipeline.events import EngineNotice
from echotui.pipeline.failures import call_with_restart
from echotui.pipeline.longform import LongWindowDecoder
from echotui.pipeline.policy import StreamingPolicy
from echotui.pipeline.segmenter import Utterance
from echotui.providers.base import Segment, TranscribeRequest, Word

if TYPE_CHECKING:
    from echotui.pipeline.runner import Pipeline


def choose_policy(pipeline: Pipeline, source: AudioSource) -> StreamingPolicy | LongformPolicy:
    """The long-window policy for a file at speed 0 on an engine that gives word times, else the
    pipeline's streaming policy as it is (a replay's pass schedule included; Voxtral, a streaming model,
    keeps its own streaming)."""
    policy = pipeline.policy
    replaying = isinstance(policy, StreamingPolicy) and policy.schedule is not None
    timed = pipeline.worker.provider.capabilities.word_timestamps
    if timed and not replaying and not source.live and pipeline.config.speed == 0:
        return LongformPolicy(pipeline)
    return policy


class LongformPolicy:
    """Utterances gathered and decoded in long windows; the same calls from the runner as
    `StreamingPolicy`."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.decoder = LongWindowDecoder()
        self.out = CaptionOutput(pipeline, lambda: True)
        self._held: deque[tuple[int, Utterance]] = deque()
        """Utterances whose speech is gathered and not yet decoded, with where their speech ends."""

    def keep_shown(self) -> None:
        """Nothing tentative is ever shown: nothing to keep when the session is abandoned."""

    async def after_block(self) -> None:
        """Nothing is shown while speech goes on."""

    async def when_idle(self) -> None:
        """Nothing more is coming (the source ended or stop was asked, and all it gave is in): decode what
        is gathered. The runner calls this once more after the last utterance closed."""
        if self._ended():
            await self._decode(ended=True)

    async def finalize(self, utterance: Utterance) -> None:
        """A closed utterance: gathered if the gate hears speech in it, else counted as skipped."""
        pipeline = self.pipeline
        if not await pipeline.worker.contains_speech(utterance.audio):
            pipeline.gate_skipped += len(utterance.audio)
            pipeline.release_inflight(len(utterance.audio))
            return
        end = utterance.end
        if utterance.speech_end is not None:  # the pause that closed it is left out, but for its start
            end = min(end, utterance.speech_end + round(self.decoder.tuning.tail_s * SAMPLE_RATE))
        self.decoder.add(utterance.start, utterance.audio[: end - utterance.start])
        self._held.append((end, utterance))
        await self._decode(ended=self._ended())

    def _ended(self) -> bool:
        pipeline = self.pipeline
        queue, framing = pipeline.queue, pipeline.framing
        return queue.closed and not queue.fill and not framing.is_open and not framing.in_flight

    async def _decode(self, ended: bool) -> None:
        while self.decoder.ready(ended):
            last = self._held[-1][1]
            decoded = await self.decoder.decode(self._call, ended)
            while self._held and self._held[0][0] <= decoded.done_until:
                _, utterance = self._held.popleft()
                self.pipeline.transcribed += len(utterance.audio)
                self.pipeline.release_inflight(len(utterance.audio))
            self._emit(decoded.words, last)

    async def _call(self, audio: np.ndarray, start_s: float, prompt: str) -> list[Segment]:
        """One engine call as offline transcription makes it: the full 30 s window, with the prompt."""
        pipeline = self.pipeline
        request = TranscribeRequest(audio, start_s, True, prompt, word_timestamps=True, full_window=True)
        result = await call_with_restart(pipeline.worker, request, False, pipeline.on_event)
        pipeline.metrics.record_call(result.inference_s, len(audio))
        for notice in result.notices:
            pipeline.on_event(EngineNotice(pipeline.worker.provider.name, notice))
        return result.segments

    def _emit(self, words: list[Word], utterance: Utterance) -> None:
        if words:  # a window's words, as one final with their times
            latency = time.monotonic() - utterance.last_arrival
            self.out.final(utterance, words, latency=latency, closes=True)
