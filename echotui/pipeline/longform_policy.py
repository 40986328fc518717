"""`echotui transcribe FILE --speed 0`: nothing is live, so nothing is decoded in short windows.

The user asks for the best transcript of a file as fast as the engine goes. Every utterance the VAD closes
is checked for speech by the speech gate (silence and noise give no text) and handed to the long-window
decoder (`longform.LongWindowDecoder`), which decodes the speech in windows of up to 30 s, each with the
text before it as the prompt, as offline transcription does. Each window's words go out as one final,
with their times. No partials: no text is tentative.

An utterance stays in flight (pending in the ledger) until the window holding the end of its speech is
decoded; then it counts as transcribed. The runner picks this policy once, when the source is a file at
speed 0 and the engine gives word times (`policy.choose_policy`), and keeps it for the whole file (a swap
included); `echotui replay` keeps the streaming policy it reproduces. Like the live policies it works
through the runner's port (`port.PolicyPort`) and hands back steps.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import AsyncIterator
from typing import ClassVar

import numpy as np

from echotui import SAMPLE_RATE
from echotui.pipeline.longform import LongWindowDecoder
from echotui.pipeline.port import Commit, PolicyPort, Step
from echotui.pipeline.segmenter import Utterance
from echotui.providers.base import Segment, TranscribeRequest, Word


class LongformPolicy:
    """Utterances gathered and decoded in long windows; the same calls from the runner as the live
    policies."""

    word_times = True
    per_engine: ClassVar[bool] = False
    revisable = False  # it is the offline decode already
    untouched = False  # utterances are held across boundaries: a swap waits for one to close

    def __init__(self, port: PolicyPort) -> None:
        self.port = port
        self.decoder = LongWindowDecoder()
        self._held: deque[tuple[int, Utterance]] = deque()
        """Utterances whose speech is gathered and not yet decoded, with where their speech ends."""

    @property
    def tentative(self) -> list[Word]:
        return []  # nothing tentative is ever shown

    async def after_block(self) -> AsyncIterator[Step]:
        """Nothing is shown while speech goes on."""
        return
        yield

    async def when_idle(self) -> AsyncIterator[Step]:
        """Nothing more is coming (the source ended or stop was asked, and all it gave is in): decode what
        is gathered. The runner calls this once more after the last utterance closed."""
        if self.port.drained:
            async for step in self._decode(ended=True):
                yield step

    async def finalize(self, utterance: Utterance) -> AsyncIterator[Step]:
        """A closed utterance: gathered if the gate hears speech in it, else counted as skipped."""
        if not await self.port.contains_speech(utterance.audio):
            yield Step(silent=[utterance])
            return
        end = utterance.end
        if utterance.speech_end is not None:  # the pause that closed it is left out, but for its start
            end = min(end, utterance.speech_end + round(self.decoder.tuning.tail_s * SAMPLE_RATE))
        self.decoder.add(utterance.start, utterance.audio[: end - utterance.start])
        self._held.append((end, utterance))
        async for step in self._decode(ended=self.port.drained):
            yield step

    async def _decode(self, ended: bool) -> AsyncIterator[Step]:
        while self.decoder.ready(ended):
            last = self._held[-1][1]
            decoded = await self.decoder.decode(self._call, ended)
            step = Step()
            while self._held and self._held[0][0] <= decoded.done_until:
                step.done.append(self._held.popleft()[1])
            if decoded.words:  # a window's words, as one final with their times
                latency = time.monotonic() - last.last_arrival
                step.texts.append(Commit(last, decoded.words, latency=latency, closes=True))
            yield step

    async def _call(self, audio: np.ndarray, start_s: float, prompt: str) -> list[Segment]:
        """One engine call as offline transcription makes it: the full 30 s window, with the prompt."""
        request = TranscribeRequest(audio, start_s, True, prompt, word_timestamps=True, full_window=True)
        return (await self.port.call(request, False)).segments
