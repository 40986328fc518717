"""The runner's hand on its policy: the policy is chosen from the engine's abilities (and again when a swap
brings an engine with other ones), its steps are counted (`Tally`: where the audio it was given went) and
their text goes out (`CaptionOutput`). The policy itself only sees its port (`port.PolicyPort`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from echotui.pipeline.captioning import CaptionOutput
from echotui.pipeline.events import PipelineEvent
from echotui.pipeline.metrics import Metrics
from echotui.pipeline.passes import PassSchedule
from echotui.pipeline.policy import Policy, choose_policy
from echotui.pipeline.port import PolicyPort, Step
from echotui.pipeline.streaming_config import StreamingConfig
from echotui.pipeline.streaming_policy import StreamingPolicy
from echotui.providers.base import Word


@dataclass
class Tally:
    """Where the audio of closed utterances and released frames went, in samples (the ledger's share)."""

    transcribed: int = 0
    gate_skipped: int = 0
    """Closed utterances the speech gate heard no speech in."""
    inflight: int = 0
    """Closed utterances whose text is not out yet (a policy may hold some)."""


class PolicyHost:
    """Chooses the policy, and takes the steps it hands back."""

    def __init__(
        self,
        port: PolicyPort,
        config: StreamingConfig,
        passes: PassSchedule,
        metrics: Metrics,
        send: Callable[[PipelineEvent], None],
        committed: Callable[[list[Word]], None],
    ) -> None:
        """`send`: the pipeline's events; `committed`: told of committed words before anyone hears of them
        (the revision layer)."""
        self.port, self.config, self.passes = port, config, passes
        self.tally = Tally()
        self.output = CaptionOutput(
            metrics,
            lambda: port.clock_s,
            send,
            word_times=lambda: self.policy.word_times,
            committed=committed,
        )
        self._flat_out = False
        self.policy = self._choose()

    def choose(self, flat_out: bool) -> None:
        """Choose the policy for a source: `flat_out`, a file decoded as fast as the engine goes."""
        self._flat_out = flat_out
        self.policy = self._choose()

    def _choose(self) -> Policy:
        return choose_policy(self.port.word_times, self._flat_out, self.port, self.config, self.passes)

    def reconfigure(self, config: StreamingConfig) -> None:
        """New streaming knobs (the overload governor's steps): the live policy takes them at its next
        pass, and a policy chosen later starts with them."""
        self.config = config
        if isinstance(self.policy, StreamingPolicy):
            self.policy.config = config

    def end(self) -> None:
        """The session is abandoned: the tentative words on screen become final, and no more text goes out."""
        self.output.keep_shown()
        self.output.ended = True

    async def take(self, call: Callable[[Policy], AsyncIterator[Step]]) -> None:
        """Call the policy (chosen again first if a swap brought an engine with other abilities) and take
        its steps as it makes them: the counts first (the ledger holds), then the text, in order."""
        if self.policy.per_engine and self.policy.word_times != self.port.word_times:
            self.policy = self._choose()
        tally = self.tally
        async for step in call(self.policy):
            tally.inflight -= step.landed
            tally.transcribed += step.transcribed
            tally.gate_skipped += step.skipped
            self.output.take(step)
