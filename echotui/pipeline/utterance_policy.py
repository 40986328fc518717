"""The utterance policy, for engines that give no word times (Voxtral, a server that sends text alone).

Nothing can be committed before an utterance ends: each pass hears the open utterance alone and its text
goes out as tentative (partials, each replacing the one before); the final call's text, when the utterance
ends, is final. The prompt is the end of the final text so far.
"""

from __future__ import annotations

import numpy as np

from echotui.pipeline.captioning import text_of
from echotui.pipeline.port import Partial, Step
from echotui.pipeline.segmenter import Utterance
from echotui.pipeline.streaming_policy import StreamingPolicy
from echotui.providers.base import Word


class UtterancePolicy(StreamingPolicy):
    """Partials while an utterance goes on, its final when it ends."""

    word_times = False
    _said = ""
    """The end of the final text so far (`prompt_chars` of it)."""

    def _window(self, utterance: Utterance) -> tuple[int, np.ndarray]:
        return utterance.start, utterance.audio

    def _prompt(self, start_s: float) -> str:
        return self._said

    def _passed(self, step: Step, utterance: Utterance, start: int, words: list[Word], force: bool) -> None:
        step.texts.append(Partial(utterance, words))

    def _finished(self, utterance: Utterance, start: int, words: list[Word]) -> list[Word]:
        if text := text_of(words):
            self._said = (self._said + " " + text)[-self.tuning.prompt_chars :].lstrip()
        return words
