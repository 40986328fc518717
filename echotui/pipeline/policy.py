"""Which policy decides what the engine is called on and what text goes out, chosen from the engine's
abilities (and again when a hot swap brings an engine with other abilities):

- `committing_policy.CommittingPolicy`: the engine gives word times (whisper.cpp, faster-whisper): words
  are committed as passes over a window of recent audio agree on them;
- `utterance_policy.UtterancePolicy`: it gives none (Voxtral): partials while an utterance goes on, its
  final when it ends;
- `longform_policy.LongformPolicy`: a file decoded as fast as the engine goes (`--speed 0`) with word
  times: long windows, as offline transcription decodes them.

A policy works through the runner's port (`port.PolicyPort`) and hands back steps (`port.Step`): the runner
sends their text, keeps the counts and the metrics, and swaps engines. It never imports the runner.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from echotui.pipeline.committing_policy import CommittingPolicy
from echotui.pipeline.longform_policy import LongformPolicy
from echotui.pipeline.passes import PassSchedule
from echotui.pipeline.port import PolicyPort, Step
from echotui.pipeline.segmenter import Utterance
from echotui.pipeline.streaming_config import StreamingConfig
from echotui.pipeline.tuning import STREAMING, StreamingTuning
from echotui.pipeline.utterance_policy import UtterancePolicy
from echotui.providers.base import Word


class Policy(Protocol):
    """What the runner calls. Each call yields the steps it made, in order, as it makes them."""

    @property
    def word_times(self) -> bool:
        """Its words carry their times (the engine gives them)."""
        ...

    @property
    def per_engine(self) -> bool:
        """Chosen again when a swap brings an engine with other abilities (else kept for the stream)."""
        ...

    @property
    def revisable(self) -> bool:
        """The revision layer may revise its words."""
        ...

    @property
    def untouched(self) -> bool:
        """Nothing of the open utterance was shown yet: a swap may take over now."""
        ...

    @property
    def tentative(self) -> list[Word]:
        """The words on screen as tentative now."""
        ...

    def after_block(self) -> AsyncIterator[Step]:
        """A block was pushed to the segmenter."""
        ...

    def when_idle(self) -> AsyncIterator[Step]:
        """The queue is empty (and once more at the end of the stream)."""
        ...

    def finalize(self, utterance: Utterance) -> AsyncIterator[Step]:
        """`utterance` closed: its text goes out (or is gathered, or it held no speech)."""
        ...


def choose_policy(
    word_times: bool,
    flat_out: bool,
    port: PolicyPort,
    config: StreamingConfig,
    passes: PassSchedule,
    tuning: StreamingTuning = STREAMING,
) -> Policy:
    """The policy for an engine that gives word times (or not); `flat_out`: a file decoded as fast as the
    engine goes, in long windows unless the passes follow a recording (`echotui replay`)."""
    if word_times and flat_out and passes.live:
        return LongformPolicy(port)
    if word_times:
        return CommittingPolicy(port, config, passes, tuning)
    return UtterancePolicy(port, config, passes, tuning)
