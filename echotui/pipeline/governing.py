"""The overload governor at work on a running pipeline: every `tick_s` it samples the pipeline's measures,
asks `governor.Governor` what to do, carries the step out and tells the listener (`OverloadEpisode`,
`GovernorStepped`). It runs on the event loop beside the consumer, from the model's load to the stream's
end (`Pipeline.run` starts it when the pipeline has one). It governs live input and files played at real
time; a file at `--speed 0` (long windows), played faster than real time, or replayed is left alone.

A step never touches what the user already saw: pausing the revision layer leaves the live words; thinning
passes only spaces the next ones and shortens their windows; a smaller model comes in through the hot
swap, at an utterance boundary, losing no audio. Models are found and swapped through a `ModelLadder`
(the session's: models on disk), so the pipeline never reads model folders itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from echotui import SAMPLE_RATE
from echotui.pipeline.governor import Governor
from echotui.pipeline.governor_tuning import GOVERNOR, GovernorTuning, Load
from echotui.pipeline.metrics import percentile
from echotui.pipeline.overload import GovernorStepped, StepName
from echotui.providers.base import LoadedModel

if TYPE_CHECKING:
    from echotui.pipeline.events import PipelineEvent
    from echotui.pipeline.metrics import Metrics
    from echotui.pipeline.policy import Policy
    from echotui.pipeline.queue import AudioQueue
    from echotui.pipeline.revision import Reviser
    from echotui.pipeline.state import State
    from echotui.pipeline.streaming_config import StreamingConfig
    from echotui.pipeline.worker import InferenceWorker

log = logging.getLogger(__name__)


Rung = tuple[str, Path | None]
"""A model to swap to: its name, and its file or folder (None: found by name)."""


class ModelLadder(Protocol):
    """Where the governor finds a smaller model and how it swaps (the session's, `models.siblings`)."""

    def smaller(self, running: LoadedModel) -> Rung | None:
        """The next smaller model on disk than `running`, None if none is (slow: read off the loop)."""
        ...

    def way_back(self, running: LoadedModel) -> Rung:
        """How to load `running` again, to step back up to it: by its name where that finds it (it comes
        back under the name it had), else by its file or folder (slow: read off the loop)."""
        ...

    def swap(self, name: str, path: Path | None) -> None:
        """Start the hot swap to that model (on the event loop)."""
        ...


class Outage(Protocol):
    """A remote engine's outage handling, as the governor sees it: `state` is None while the server
    answers (`fallback.ServerFallback`)."""

    @property
    def state(self) -> State | None: ...


class GovernedPipeline(Protocol):
    """What the governor needs of the pipeline: the knobs it changes (`config`), the engine running and
    whether a swap is under way, the measures (metrics, the queue, the live policy, the revision layer),
    and where its events go."""

    config: StreamingConfig
    worker: InferenceWorker
    metrics: Metrics
    queue: AudioQueue
    reviser: Reviser
    on_event: Callable[[PipelineEvent], None]

    @property
    def policy(self) -> Policy: ...

    @property
    def swapping(self) -> bool: ...

    @property
    def fallback(self) -> Outage | None: ...


class Governing:
    """One pipeline's governor and the steps in force.

    Attributes:
        governor: the decisions (`steps=False` with `--governor off`: episodes only).
        ladder: the models it may step through, None for none (then only revision and passes).
    """

    def __init__(
        self,
        pipeline: GovernedPipeline,
        ladder: ModelLadder | None,
        *,
        enabled: bool = True,
        tuning: GovernorTuning = GOVERNOR,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pipeline = pipeline
        self.ladder = ladder
        self.governor = Governor(tuning, steps=enabled)
        self.clock = clock
        self._chosen = pipeline.config  # the revision and the chunk as the user chose them
        self._worker = pipeline.worker
        # by a running model's path: the next smaller model, and the way back up to the running one
        self._rungs: dict[str, tuple[Rung | None, Rung]] = {}
        self._back: list[Rung] = []  # the models stepped down from, the latest last
        self._ours = False  # the swap under way is the governor's
        self._from: InferenceWorker | None = None  # the worker the governor's model step swapped out
        self._target = ""  # the model it swaps to
        self._words_at = 0  # words (or utterances, without word times) whose latency was seen

    def start(self) -> asyncio.Task[None]:
        return asyncio.create_task(self.run())

    async def run(self) -> None:
        """Tick until cancelled; a failure here is logged and ends the governing, never the session."""
        try:
            while True:
                await self.tick()
                await asyncio.sleep(self.governor.tuning.tick_s)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.error("the overload governor failed; the session goes on without it", exc_info=True)

    def finish(self) -> None:
        """The stream ended: an episode still open is closed with its total."""
        loaded = self.pipeline.worker.loaded
        if loaded is not None and (ended := self.governor.end(self._load(loaded, None))) is not None:
            self.pipeline.on_event(ended)

    async def tick(self) -> None:
        pipeline = self.pipeline
        loaded, policy = pipeline.worker.loaded, pipeline.policy
        if loaded is None or not policy.revisable:  # (revisable: live passes, not flat out or a replay)
            return  # a file at --speed 0 is decoded in long windows, a replay passes where it did: not live
        if not 0 < pipeline.config.speed <= 1:
            return  # a file replayed as fast as it goes or faster than real time: behind is no news
        if pipeline.queue.closed:  # the audio has ended: what waits drains, none can come late (an episode
            return  # still open is closed with its total by `finish`)
        if pipeline.worker is not self._worker:  # a swap took over
            previous, self._worker = self._worker, pipeline.worker
            self._from = previous if self._ours and previous.loaded is not None else None
            if not self._ours:  # the user picked it: their choice stands
                self.governor.forget_models()
                self._back.clear()
            self._ours = False
        elif self._ours and not pipeline.swapping:  # its swap failed (SwapFailed said why): the model
            self._ours = False  # running stays, as if chosen; a later swap is the user's, not the governor's
            self.governor.forget_models()
            self._back.clear()
        # the model stepped down from: its last calls, a call the swap cut short by its whole cost once done
        if (stepped := self._from) is not None and stepped.loaded is not None and stepped.rtf is not None:
            self.governor.ran(stepped.loaded.model, stepped.rtf)
        smaller, governor = None, self.governor
        if (
            self.ladder is not None
            and not pipeline.swapping
            and governor.steps
            and governor.episode
            and (pipeline.fallback is None or pipeline.fallback.state is None)
        ):  # (while a server is gone, the outage handling owns which engine runs: no model step then)
            smaller = await self._smaller_of(loaded)  # only when behind: no disk read otherwise
        sample = self._load(loaded, smaller)
        for event in self.governor.observe(sample):
            if isinstance(event, GovernorStepped):
                self._carry_out(event, loaded, smaller)
            pipeline.on_event(event)

    async def _smaller_of(self, loaded: LoadedModel) -> Rung | None:
        ladder = self.ladder
        assert ladder is not None
        if loaded.path not in self._rungs:  # once per model: the folders are read off the loop
            both = await asyncio.to_thread(lambda: (ladder.smaller(loaded), ladder.way_back(loaded)))
            self._rungs[loaded.path] = both
        return self._rungs[loaded.path][0]

    def _load(self, loaded: LoadedModel, smaller: Rung | None) -> Load:
        pipeline = self.pipeline
        metrics, queue = pipeline.metrics, pipeline.queue
        worker = pipeline.worker
        words = metrics.word_latencies if metrics.word_latencies.count else metrics.latencies
        new, self._words_at = min(words.count - self._words_at, len(words.values)), words.count
        return Load(
            now=self.clock(),
            clock_s=queue.captured / SAMPLE_RATE,
            dropped_s=queue.dropped / SAMPLE_RATE,
            fill_s=queue.fill / SAMPLE_RATE,
            rtf=worker.rtf,
            calls=len(worker.recent),
            ended_calls=worker.ended_calls,
            longest_call_s=max([spent for spent, _ in list(worker.recent)] + [worker.calling_s]) or None,
            calling_s=worker.calling_s,
            calling_audio_s=worker.calling_audio_s,
            passes=queue.passes,
            pass_fill_s=queue.pass_fill / SAMPLE_RATE,
            model=loaded.model,
            word_latency_s=percentile(words.tail(new), 95) if new > 0 else None,
            busy_s=worker.provider.busy_waited_s,
            can=self._can(),
            smaller=smaller[0] if smaller is not None else None,
            swapping=pipeline.swapping,
        )

    def _can(self) -> frozenset[StepName]:
        pipeline, taken = self.pipeline, self.governor.in_force
        can: set[StepName] = set()
        if pipeline.config.revise and pipeline.reviser.active:
            can.add("revision")
        if pipeline.policy.revisable and "passes" not in taken and self._can_thin():  # live passes
            can.add("passes")
        return frozenset(can)

    def _can_thin(self) -> bool:
        """Longer steps fit the settings: within the utterance limit, and the queue still holds one more."""
        chosen = self._chosen
        thinned = chosen.chunk_seconds * self.governor.tuning.thin_factor
        limit = min(chosen.max_utterance_seconds, chosen.queue_seconds - chosen.max_utterance_seconds, 30.0)
        return thinned <= limit

    def _carry_out(self, step: GovernorStepped, loaded: LoadedModel, smaller: Rung | None) -> None:
        pipeline, chosen = self.pipeline, self._chosen
        if step.step == "revision":
            pipeline.config = replace(pipeline.config, revise=not step.down and chosen.revise)
        elif step.step == "passes":
            factor = self.governor.tuning.thin_factor if step.down else 1.0
            chunk = chosen.chunk_seconds * factor
            pipeline.config = replace(pipeline.config, chunk_seconds=chunk, thinned=step.down)
        elif self.ladder is not None:
            if step.down:
                assert smaller is not None and loaded.path in self._rungs
                self._back.append(self._rungs[loaded.path][1])
                name, where = smaller
            else:
                name, where = self._back.pop()
            self._ours, self._target = True, name
            self.ladder.swap(name, where)
        log.info("governor: %s", step.text)

    @property
    def behind(self) -> bool:
        """An overload episode is open (the state says overloaded)."""
        return self.governor.episode is not None

    @property
    def status(self) -> str | None:
        """The steps in force, as the panel shows them, with the way back to the user's model."""
        shown = {"revision": "revision paused", "passes": "passes thinned"}
        parts = [shown[step] for step in self.governor.in_force if step in shown]
        if self._ours and self.pipeline.swapping:
            parts.insert(0, f"loading {self._target} to take over")
        elif self._back:
            loaded = self.pipeline.worker.loaded
            running = loaded.model if loaded is not None else "a smaller model"
            parts.insert(0, f"on {running}, not {self._back[0][0]} (m: pick it again)")
        return " · ".join(parts) or None
