"""A user's machine gets busy while they caption live speech: the audio the engine cannot keep up with is
dropped, that is one episode, the governor steps down to the smaller model on disk (through the hot swap:
the drops stop) and, once the load has gone, back up to the model the user chose. The journal and the jsonl
stream keep the episode and each step once. With passes thinned, a saturated engine hears less audio per
second of speech, and the same words."""

from __future__ import annotations

import asyncio
import io
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from echotui import SAMPLE_RATE
from echotui.audio.clock import WallClock
from echotui.audio.file_source import FileSource
from echotui.config import Settings
from echotui.pipeline.events import AudioDropped, FinalTranscribed, PipelineEvent, ProviderSwapped
from echotui.pipeline.governing import Governing, Rung
from echotui.pipeline.governor_tuning import GOVERNOR, GovernorTuning
from echotui.pipeline.journal import Journal
from echotui.pipeline.output import TranscriptWriter
from echotui.pipeline.overload import GovernorStepped, OverloadEpisode
from echotui.pipeline.runner import Pipeline
from echotui.pipeline.streaming_config import StreamingConfig
from echotui.pipeline.vad import NoGate
from echotui.pipeline.worker import InferenceWorker, Overtaken
from echotui.providers.base import LoadedModel, Segment, TranscribeRequest
from tests.doubles import BusyMachine, LiveReplaySource, ModelOnMachine, SlowProvider, TimedWordOracle
from tests.support.pipeline import decode, run_pipeline
from tests.support.speech import WordTiming, write_wav

COSTS = {"base.en": 0.1, "tiny.en": 0.01}
# The governor's numbers scaled to a replay at 4x real time (its clock is the wall's).
FAST = GovernorTuning(tick_s=0.1, window_s=0.8, episode_drop_s=0.3, backlog_s=2.0, settle_s=0.3,
                      swap_gap_s=0.8, calm_s=0.3, headroom_s=0.6, up_rtf=0.25, cost_calls=2)  # fmt: skip


class DiskOfTwo:
    """The models folder: base.en and tiny.en; a swap loads the named one on the same busy machine."""

    def __init__(self, machine: BusyMachine) -> None:
        self.machine = machine
        self.pipeline: Pipeline | None = None

    def smaller(self, running: LoadedModel) -> Rung | None:
        return ("tiny.en", None) if running.model == "base.en" else None

    def way_back(self, running: LoadedModel) -> Rung:
        return (running.model, None)

    def swap(self, name: str, path: Path | None) -> None:
        assert self.pipeline is not None
        self.pipeline.swap(ModelOnMachine(name, COSTS[name], self.machine), urgent=True)


def test_a_busy_machine_steps_down_to_the_smaller_model_and_back_up_when_the_load_goes(
    tmp_path: Path,
) -> None:
    machine = BusyMachine(load=12.0)  # base.en at RTF 1.2, tiny.en at 0.12
    disk = DiskOfTwo(machine)
    seen: list[PipelineEvent] = []
    dropped_when: list[int] = []  # the audio dropped so far at each swap
    journal = Journal({"source": "test"}, tmp_path)
    jsonl = io.StringIO()
    writer = TranscriptWriter(jsonl, "jsonl")

    def listen(event: PipelineEvent) -> None:
        seen.append(event)
        journal(event)
        writer(event)
        if isinstance(event, ProviderSwapped):
            dropped_when.append(pipeline.queue.dropped)
        if isinstance(event, ProviderSwapped) and event.model.model == "tiny.en":
            # tiny.en's first calls are measured under the load that made the step; then the load goes
            asyncio.get_running_loop().call_later(0.3, setattr, machine, "load", 1.0)
        elif isinstance(event, ProviderSwapped):  # base.en is back: the story is told after a while
            asyncio.get_running_loop().call_later(0.5, pipeline.stop)

    config = Settings(chunk_seconds=0.5, max_utterance_seconds=2.0, queue_seconds=3.0, vad=False)
    pipeline = Pipeline(ModelOnMachine("base.en", COSTS["base.en"], machine), config, listen)
    disk.pipeline = pipeline
    pipeline.governing = Governing(pipeline, disk, tuning=FAST)
    noise = np.random.default_rng(3).standard_normal(SAMPLE_RATE * 40)  # the story ends sooner
    audio = noise.astype(np.float32) * 0.1

    async def main() -> None:
        # real time: live audio outrunning the busy engine is the point (a simulated clock never falls behind)
        await pipeline.run(LiveReplaySource(audio, clock=WallClock(speed=4.0)))
        await pipeline.close()

    asyncio.run(main())
    journal.close(pipeline.ledger(), keep_empty=True)

    steps = [e.what for e in seen if isinstance(e, GovernorStepped)]
    # passes may be thinned first (before base.en finished a call its RTF was unknown), and back after
    assert [s for s in steps if "passes" not in s] == ["stepped down to tiny.en", "back to base.en"]
    assert [e.model.model for e in seen if isinstance(e, ProviderSwapped)] == ["tiny.en", "base.en"]
    episodes = [e for e in seen if isinstance(e, OverloadEpisode)]
    assert [e.change for e in episodes if e.change != "grew"] == ["began", "ended"], "one episode"
    ended = episodes[-1]
    ledger = pipeline.ledger()
    assert ledger.balanced and ledger.dropped > 0
    assert abs(ended.dropped_s - ledger.dropped / SAMPLE_RATE) < 1e-9, "every drop is in the episode"
    assert ended.step == "stepped down to tiny.en" and "dropped in all" in ended.text
    last_drop = max(e.start_s + e.seconds for e in seen if isinstance(e, AudioDropped))
    assert last_drop <= episodes[0].since_s + 15, "drops stop within 15 s (of audio) of the episode's start"
    assert ledger.dropped == dropped_when[1], "base.en back, nothing dropped"
    back_up = next(i for i, e in enumerate(seen) if isinstance(e, GovernorStepped) and not e.down)
    assert not [e for e in seen[back_up:] if isinstance(e, AudioDropped)], "base.en keeps up again"

    records = [json.loads(line) for line in journal.path.read_text().splitlines()]
    assert [(r["change"], r["step"]) for r in records if r["type"] == "overload"] == [
        ("began", None), ("ended", "stepped down to tiny.en")]  # fmt: skip
    assert [r["what"] for r in records if r["type"] == "governor"] == steps
    lines = [json.loads(line) for line in jsonl.getvalue().splitlines()]
    assert [r["overload"] for r in lines if "overload" in r] == ["began", "ended"]
    assert [r["governor"] for r in lines if "governor" in r] == steps


def test_a_file_replayed_faster_than_real_time_is_not_governed(tmp_path: Path) -> None:
    """`--speed 4` asks for a replay at the engine's pace: being behind real time is no episode, and the
    chosen model stays."""
    path = tmp_path / "noise.wav"
    write_wav(path, np.random.default_rng(4).standard_normal(SAMPLE_RATE * 6).astype(np.float32) * 0.1)
    machine = BusyMachine(load=4.0)  # base.en at RTF 0.4: slower than 4x real time
    seen: list[PipelineEvent] = []
    config = Settings(chunk_seconds=0.5, max_utterance_seconds=2.0, queue_seconds=3.0, vad=False, speed=4.0)
    pipeline = Pipeline(ModelOnMachine("base.en", COSTS["base.en"], machine), config, seen.append)
    disk = DiskOfTwo(machine)
    disk.pipeline = pipeline
    pipeline.governing = Governing(pipeline, disk, tuning=FAST)

    async def main() -> None:
        # real time: the file falls behind real time, which is the point
        await pipeline.run(FileSource(path, clock=WallClock(speed=4.0)))
        await pipeline.close()

    asyncio.run(main())
    assert pipeline.snapshot().queue_max_fill_s >= 1.0, "it was behind real time"
    assert not [e for e in seen if isinstance(e, OverloadEpisode | GovernorStepped | ProviderSwapped)]


def test_the_backlog_left_when_the_audio_ends_is_no_new_episode() -> None:
    """A file at real time has ended with audio still waiting for the engine: it drains, and no audio can
    come late any more, so the governor tells nothing (no "behind since" the last second of the file). The
    same backlog while the audio still flows is an episode."""

    async def told(closed: bool) -> list[PipelineEvent]:
        seen: list[PipelineEvent] = []
        config = Settings(chunk_seconds=0.5, max_utterance_seconds=2.0, queue_seconds=10.0, vad=False)
        pipeline = Pipeline(ModelOnMachine("base.en", 0.1, BusyMachine(load=1.0)), config, seen.append)
        now = [0.0]
        governing = Governing(pipeline, None, tuning=FAST, clock=lambda: now[0])
        await pipeline.worker.load()
        pipeline.queue.offer(np.zeros(SAMPLE_RATE * 5, dtype=np.float32))  # 5 s waiting: over FAST's 2 s
        if closed:
            pipeline.queue.close()
        for tick in range(15):  # 1.4 s: longer than the window
            now[0] = tick * FAST.tick_s
            await governing.tick()
        await pipeline.close()
        return [event for event in seen if isinstance(event, (OverloadEpisode, GovernorStepped))]

    flowing = [e.change for e in asyncio.run(told(closed=False)) if isinstance(e, OverloadEpisode)]
    assert flowing[:1] == ["began"]
    assert asyncio.run(told(closed=True)) == []


class CostlyOracle(TimedWordOracle):
    """An engine with word times on a busy machine: each call takes `cost` × the seconds of audio it hears
    (as faster-whisper's encoder and decoder do: the window, context included, and every word in it)."""

    def __init__(self, words: list[WordTiming], source: np.ndarray, cost: float) -> None:
        super().__init__(words, source)
        self.cost = cost

    def transcribe(self, request: TranscribeRequest) -> list[Segment]:
        time.sleep(self.cost * len(request.audio) / SAMPLE_RATE)
        return super().transcribe(request)


def test_thinned_passes_make_a_saturated_engine_hear_less_audio_and_the_same_words(
    timed_words: tuple[Path, list[WordTiming]],
) -> None:
    """Behind, passes already run back to back (each takes longer than the step), so a longer step alone
    saves nothing. With the rung in force the engine rests a step after each call and its windows reach
    back no further than their utterance: it hears fewer seconds of audio per second of speech, and every
    word still comes out once, in order."""
    path, words = timed_words
    audio = decode(path)
    chosen = Settings(chunk_seconds=0.5, max_utterance_seconds=6.0, queue_seconds=12).streaming()

    def heard(config: StreamingConfig) -> tuple[float, list[str]]:
        engine = CostlyOracle(words, audio, cost=0.025)  # behind at 32x real time: calls back to back
        # on the wall clock: the engine falling behind the audio is the point (a file waits, drops nothing)
        source = FileSource(path, clock=WallClock(speed=32.0))
        _, recorder = run_pipeline(engine, config, source)  # type: ignore[arg-type]  (the knobs, as thinned)
        assert engine.mismatches == 0, "the engine was given exactly the source's samples"
        return sum(end - start for start, end, _ in engine.requests) / (len(audio) / SAMPLE_RATE), [
            word.text for final in recorder.of(FinalTranscribed) for word in final.words
        ]

    as_chosen = heard(chosen)
    thinned = heard(replace(chosen, chunk_seconds=chosen.chunk_seconds * GOVERNOR.thin_factor, thinned=True))
    assert as_chosen[1] == thinned[1] == [t.word for t in words], "every word once, in order, either way"
    assert thinned[0] < 0.8 * as_chosen[0], (
        f"engine seconds per audio second: {thinned[0]:.2f} vs {as_chosen[0]:.2f}"
    )


def test_a_call_cut_short_by_a_swap_counts_by_its_cost_so_far_then_by_its_whole_cost() -> None:
    """The governor's swap does not wait for a slow call: the engine swapped out counts that call by its
    cost so far (a lower bound), and by its whole cost once it ends on its thread. That cost predicts
    whether the model may come back (measured here on the wall clock: a call's cost is the point)."""

    async def main() -> tuple[float | None, float | None, int]:
        old, new = (
            InferenceWorker(SlowProvider(rtf=0.6), NoGate()),
            InferenceWorker(SlowProvider(0.1), NoGate()),
        )
        await old.load()
        await new.load()
        request = TranscribeRequest(np.zeros(SAMPLE_RATE, dtype=np.float32), 0.0, False, "")
        call = asyncio.ensure_future(old.transcribe(request, check_speech=False))
        await asyncio.sleep(0.15)
        old.overtake(new)
        with pytest.raises(Overtaken):
            await call
        so_far = old.rtf
        began = time.monotonic()
        while old.calling_s > 0 and time.monotonic() - began < 5:  # the cut call ends on its thread
            await asyncio.sleep(0.05)
        whole = old.rtf
        await old.close()
        await new.close()
        return so_far, whole, len(old.recent)

    so_far, whole, counted = asyncio.run(main())
    assert so_far is not None and 0.1 < so_far < 0.45, "its cost so far: at least the 0.15 s it ran"
    assert whole == pytest.approx(0.6, abs=0.1) and counted == 1, "its whole cost, in place of the bound"
