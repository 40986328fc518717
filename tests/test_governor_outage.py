"""A team's transcription server has gone away and a local engine stands in for it, on a machine that is
too busy for it. The governor may pause the revision and thin the passes, but it never swaps the model
then: a swap by model name would ask the server that is gone, and the outage handling owns which engine
runs until the server answers again."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

from echotui import SAMPLE_RATE
from echotui.audio.clock import WallClock
from echotui.config import Settings
from echotui.pipeline.events import PipelineEvent, ProviderSwapped
from echotui.pipeline.governing import Governing, Rung
from echotui.pipeline.governor_tuning import GovernorTuning
from echotui.pipeline.overload import OverloadEpisode
from echotui.pipeline.runner import Pipeline
from echotui.pipeline.state import State
from echotui.providers.base import LoadedModel
from tests.doubles import BusyMachine, LiveReplaySource, ModelOnMachine

# The governor's numbers scaled to a replay at 4x real time (its clock is the wall's).
FAST = GovernorTuning(tick_s=0.1, window_s=0.8, episode_drop_s=0.3, backlog_s=2.0, settle_s=0.3,
                      swap_gap_s=0.8, calm_s=0.3, headroom_s=0.6, up_rtf=0.25, cost_calls=2)  # fmt: skip


class StandingIn:
    """The outage handling while a local engine stands in for the server (`fallback.ServerFallback`)."""

    state = State.LOCAL_FALLBACK

    async def close(self) -> None:
        return None


class SmallerOnDisk:
    """A models folder with tiny.en beside base.en; it records every time the governor looks or swaps."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def smaller(self, running: LoadedModel) -> Rung | None:
        self.asked.append(f"smaller than {running.model}")
        return ("tiny.en", None)

    def way_back(self, running: LoadedModel) -> Rung:
        return (running.model, None)

    def swap(self, name: str, path: Path | None) -> None:
        self.asked.append(f"swap to {name}")


def test_a_local_engine_standing_in_for_a_gone_server_is_not_swapped_by_the_governor() -> None:
    machine = BusyMachine(load=4.0)  # base.en at 0.4 s per audio-s: behind a replay at 4x real time
    seen: list[PipelineEvent] = []

    def listen(event: PipelineEvent) -> None:
        seen.append(event)
        if isinstance(event, OverloadEpisode) and event.change == "began":  # a second of governing is enough:
            asyncio.get_running_loop().call_later(1.0, pipeline.stop)  # the swap would come at its first tick

    config = Settings(chunk_seconds=0.5, max_utterance_seconds=2.0, queue_seconds=3.0, vad=False)
    pipeline = Pipeline(ModelOnMachine("base.en", 0.1, machine), config, listen)
    pipeline.fallback = StandingIn()  # type: ignore[assignment]
    disk = SmallerOnDisk()
    pipeline.governing = Governing(pipeline, disk, tuning=FAST)
    audio = (np.random.default_rng(5).standard_normal(SAMPLE_RATE * 16) * 0.1).astype(np.float32)

    async def main() -> None:
        # real time: live audio outrunning the busy engine is the point (a simulated clock never falls behind)
        await pipeline.run(LiveReplaySource(audio, clock=WallClock(speed=4.0)))
        await pipeline.close()

    asyncio.run(main())
    assert pipeline.queue.dropped > 0, "the stand-in could not keep up"
    assert [e.change for e in seen if isinstance(e, OverloadEpisode)][:1] == ["began"], "an episode was seen"
    assert disk.asked == [], "no model step while the server is gone"
    assert not [e for e in seen if isinstance(e, ProviderSwapped)]
