"""The overload governor's decisions: when the engine cannot keep up, step down a ladder, one rung at a time,
and back up once the headroom has lasted; one episode per stretch of falling behind.

The ladder, cheapest for the reader first (what they already saw never changes):

1. pause the revision layer (the live words stay as they are; only the later rewrite is skipped);
2. thin the passes over the open window (each covers `thin_factor` × the chunk, counted from the end of
   the last engine call, and windows leave out the context before their utterance: the words come later,
   the engine does less work; behind, calls otherwise run back to back, whatever the step). Skipped
   when the model itself is slower than real time (RTF ≥ `hopeless_rtf`): fewer passes cannot make it
   keep up; and when the words are already late (over the latency goal, tick after tick): fewer passes
   would bring them later still;
3. a smaller model on disk, through the hot swap that loses no audio (again, while one is smaller).

Back up, the last step first, once nothing has been behind for `headroom_s`; a model only when its cost
predicted from measurements (its RTF when it ran, scaled by how the smaller one's RTF changed since it took
over) is at most `up_rtf`, and never sooner than `swap_gap_s` after the last swap. While the model may not
come back, the rungs taken before it are undone on the smaller model, when it has the headroom.

Pure logic on samples (`Load`), with their own clock; whether they say behind, and why, is
`readings.Readings`. `governing.Governing` feeds it from the pipeline and carries the steps out. Its
numbers are `GovernorTuning`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from echotui.pipeline.governor_tuning import GOVERNOR, GovernorTuning, Load
from echotui.pipeline.overload import Change, GovernorStepped, OverloadEpisode, StepName
from echotui.pipeline.readings import Behind, Readings


@dataclass
class _Rung:
    """A step taken down, and what undoing it needs."""

    step: StepName
    model: str | None = None  # for a model step: the model stepped down from
    rtf: float | None = None  # its recent RTF then
    smaller_rtf: float | None = None  # the smaller one's first measured RTF (the same load)


@dataclass
class _Episode:
    since_s: float
    dropped_before_s: float  # the session's dropped audio just before the episode's drops
    reason: str
    step: str | None = None
    calm_since: float | None = None
    shown_dropped_s: float = 0.0


@dataclass
class Governor:
    """Decides, tick by tick, from `Load` samples. `steps=False` (`--governor off`): episodes are still
    told, no step is ever taken."""

    tuning: GovernorTuning = GOVERNOR
    steps: bool = True
    taken: list[_Rung] = field(default_factory=list)
    readings: Readings = field(init=False)
    episode: _Episode | None = None
    last_step: float | None = None
    last_swap: float | None = None
    calm_since: float | None = None

    def __post_init__(self) -> None:
        self.readings = Readings(self.tuning)

    def observe(self, load: Load) -> list[OverloadEpisode | GovernorStepped]:
        """Take one sample; the episode's news and the steps to carry out now (at most one)."""
        self.readings.add(load)
        self._measure_cost(load)
        if load.swapping:
            self.last_step = load.now  # the swap's effect is awaited from when it takes over
        evidence = self.readings.behind(self.last_step)
        behind = evidence.why if evidence is not None else None
        if behind is None and self.episode is not None and not self.readings.judged(load, self.last_step):
            behind = self.episode.reason  # too soon after a step (or mid-swap) to tell: it goes on
        out: list[OverloadEpisode | GovernorStepped] = []
        if behind is not None:
            self.calm_since = None
        elif self.calm_since is None:
            self.calm_since = load.now
        out += self._track_episode(load, behind)
        step = self._step_down(load, evidence) if evidence else None if behind else self._step_up(load)
        if step is not None:
            out.append(step)
            if self.episode is not None and step.down:
                self.episode.step = step.what
                out.append(self._episode_event("grew", load))
        return out

    def _measure_cost(self, load: Load) -> None:
        """The model stepped down from: its RTF until the smaller one takes over; the smaller one: its first
        measured RTF, under the load that made the step."""
        rung = self.taken[-1] if self.taken else None
        if rung is None or rung.step != "model" or rung.smaller_rtf is not None or load.rtf is None:
            return
        if load.model == rung.model:
            rung.rtf = load.rtf
        elif load.calls >= self.tuning.cost_calls:
            rung.smaller_rtf = load.rtf

    def ran(self, model: str, rtf: float) -> None:
        """A model swapped out ran at `rtf` over its last calls; told at the swap, and again while a call the
        swap cut short (counted by its cost so far) ends on its thread with its whole cost."""
        rung = self.taken[-1] if self.taken else None
        if rung is not None and rung.step == "model" and rung.model == model:
            rung.rtf = rtf

    # ---- the episode -------------------------------------------------------------------------------

    def _track_episode(self, load: Load, behind: str | None) -> list[OverloadEpisode | GovernorStepped]:
        episode, tuning = self.episode, self.tuning
        if episode is None:
            if behind is None:
                return []
            self.episode = _Episode(load.clock_s, self.readings.samples[0].dropped_s, behind)
            return [self._episode_event("began", load)]
        if behind is None and self.calm_since is not None and load.now - self.calm_since >= tuning.calm_s:
            ended = replace(self._episode_event("ended", load), ended_s=load.clock_s)
            self.episode = None
            return [ended]
        dropped = load.dropped_s - episode.dropped_before_s
        if round(dropped, 1) != round(episode.shown_dropped_s, 1):
            return [self._episode_event("grew", load)]
        return []

    def _episode_event(self, change: Change, load: Load) -> OverloadEpisode:
        episode = self.episode
        assert episode is not None
        episode.shown_dropped_s = load.dropped_s - episode.dropped_before_s
        return OverloadEpisode(change, episode.since_s, episode.shown_dropped_s, episode.reason, episode.step)

    # ---- the ladder --------------------------------------------------------------------------------

    def _settled(self, load: Load) -> bool:
        return self.last_step is None or load.now - self.last_step >= self.tuning.settle_s

    def _swap_allowed(self, load: Load) -> bool:
        return self.last_swap is None or load.now - self.last_swap >= self.tuning.swap_gap_s

    def _step_down(self, load: Load, behind: Behind) -> GovernorStepped | None:
        if not self.steps or not self._settled(load):
            return None
        taken = {rung.step for rung in self.taken}
        # fewer passes cannot make a model slower than real time keep up, nor bring late words sooner
        thinning_helps = not behind.hopeless and not behind.late_words
        if "revision" in load.can and "revision" not in taken:
            rung, what = _Rung("revision"), "revision paused"
        elif "passes" in load.can and "passes" not in taken and thinning_helps:
            rung, what = _Rung("passes"), "passes thinned"
        elif load.smaller is not None and self._swap_allowed(load):
            rung, what = _Rung("model", load.model, load.rtf), f"stepped down to {load.smaller}"
            self.last_swap = load.now
        else:
            return None
        self.taken.append(rung)
        self.last_step = load.now
        return GovernorStepped(load.clock_s, rung.step, True, what, behind.why, load.smaller)

    def _step_up(self, load: Load) -> GovernorStepped | None:
        """One rung back up, the last taken first, once nothing was behind for `headroom_s`."""
        tuning = self.tuning
        if not self.taken or self.episode is not None or self.calm_since is None:
            return None
        if load.now - self.calm_since < tuning.headroom_s or not self._settled(load):
            return None
        rung = self.taken[-1]
        if rung.step == "model":
            predicted = self.predicted_rtf(load)
            if predicted is None or predicted > tuning.up_rtf or not self._swap_allowed(load):
                # the bigger model may not come back (yet): a rung taken before it is undone instead, on
                # the model running now, when that one has the headroom (else thinned passes would stay
                # thinned behind a model that never comes back)
                earlier = [r for r in self.taken[:-1] if r.step != "model"]
                if not earlier:
                    return None
                rung = earlier[-1]
        if rung.step == "model":
            calm = load.now - self.calm_since
            reason = f"headroom for {calm:.0f} s; {rung.model} predicted at RTF {predicted:.2f}"
            self.last_swap = load.now
            what = f"back to {rung.model}"
        else:
            if load.rtf is not None and load.rtf > tuning.up_rtf:
                return None
            reason = f"headroom for {load.now - self.calm_since:.0f} s"
            what = "revision resumed" if rung.step == "revision" else "passes as chosen"
        self.taken.remove(rung)
        self.last_step = load.now
        self.calm_since = load.now  # the next rung waits for its own headroom
        return GovernorStepped(load.clock_s, rung.step, False, what, reason, rung.model)

    def predicted_rtf(self, load: Load) -> float | None:
        """The RTF the model stepped down from would have now: its RTF when it ran, scaled by how the
        running (smaller) model's RTF changed since its first calls under that load."""
        rung = self.taken[-1] if self.taken else None
        if rung is None or rung.rtf is None or rung.smaller_rtf is None or load.rtf is None:
            return None
        return rung.rtf * load.rtf / rung.smaller_rtf

    def end(self, load: Load) -> OverloadEpisode | None:
        """The stream ended: an episode still open ends here, with its total."""
        if self.episode is None:
            return None
        self.readings.add(load)
        ended = replace(self._episode_event("ended", load), ended_s=load.clock_s)
        self.episode = None
        return ended

    def forget_models(self) -> None:
        """The user picked a model themselves: it stands; the model steps taken are not undone."""
        self.taken = [rung for rung in self.taken if rung.step != "model"]

    @property
    def in_force(self) -> list[StepName]:
        return [rung.step for rung in self.taken]
