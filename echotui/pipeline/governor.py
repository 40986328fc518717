"""The overload governor's decisions: when the engine cannot keep up, step down a ladder, one rung at a time,
and back up once the headroom has lasted; one episode per stretch of falling behind.

The ladder, cheapest for the reader first (what they already saw never changes):

1. pause the revision layer (the live words stay as they are; only the later rewrite is skipped);
2. thin the passes over the open window (each covers `thin_factor` × the chunk, counted from the end of
   the last engine call, and windows leave out the context before their utterance: the words come later,
   the engine does less work; behind, calls otherwise run back to back, whatever the step). Skipped
   when the model itself is slower than real time (RTF ≥ `hopeless_rtf`): fewer passes cannot make it
   keep up;
3. a smaller model on disk, through the hot swap that loses no audio (again, while one is smaller).

Back up, the last step first, once nothing has been behind for `headroom_s`; a model only when its cost
predicted from measurements (its RTF when it ran, scaled by how the smaller one's RTF changed since it took
over) is at most `up_rtf`, and never sooner than `swap_gap_s` after the last swap. While the model may not
come back, the rungs taken before it are undone on the smaller model, when it has the headroom.

Pure logic on samples (`Load`), with their own clock: `governing.Governing` feeds it from the pipeline and
carries the steps out. Its numbers are `GovernorTuning`.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field, replace

from echotui.pipeline.governor_tuning import GOVERNOR, GovernorTuning, Load
from echotui.pipeline.overload import Change, GovernorStepped, OverloadEpisode, StepName


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
    samples: deque[Load] = field(default_factory=deque)
    episode: _Episode | None = None
    last_step: float | None = None
    last_swap: float | None = None
    calm_since: float | None = None

    def observe(self, load: Load) -> list[OverloadEpisode | GovernorStepped]:
        """Take one sample; the episode's news and the steps to carry out now (at most one)."""
        self.samples.append(load)
        trend_s = self._trend_s(load)  # (once: it reads every sample kept)
        while load.now - self.samples[0].now > trend_s:
            self.samples.popleft()
        self._measure_cost(load)
        if load.swapping:
            self.last_step = load.now  # the swap's effect is awaited from when it takes over
        evidence = self.behind()
        behind = evidence
        if behind is None and self.episode is not None and not self._judged(load):
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

    # ---- measures ----------------------------------------------------------------------------------

    def behind(self) -> str | None:
        """Why the engine is behind now (the first measure that says so), or None. Measured since the last
        step at the earliest: what came before it says nothing of its effect. Drops, a busy server and late
        words over the last `window_s`; the queue by its low points, where a pass begins."""
        tuning, since = self.tuning, self.last_step if self.last_step is not None else -1.0
        stretch = [sample for sample in self.samples if sample.now >= since] or [self.samples[-1]]
        last = stretch[-1]
        quick = [sample for sample in stretch if sample.now >= last.now - tuning.window_s]
        first = quick[0]
        dropped = last.dropped_s - first.dropped_s
        if dropped >= tuning.episode_drop_s:
            return f"{dropped:.1f} s of audio dropped in {last.now - first.now:.0f} s"
        if last.busy_s > first.busy_s:
            return "the server answered busy"
        if last.calling_s > tuning.latency_goal_s:  # no low point to see; its words come this late at best
            return f"a pass running for {last.calling_s:.0f} s"
        if last.now - first.now < tuning.window_s * 0.8:
            return None  # too short a stretch to tell a trend from one slow call
        # the queue fills during a pass, and the next pass starts once the consumer took the audio: the fills
        # at the pass starts are its low points. The trend compares the lowest in the stretch's first third
        # with the last third's (no pass start in one of them: no trend to tell). An utterance's final call
        # starts wherever the utterance ends, and is no low point; a call that runs on is told above.
        span, pass_s = last.now - stretch[0].now, self._pass_s(last)
        third = max(span / 3, pass_s)
        lows = [(s.now, s.pass_fill_s) for s in self._pass_starts() if s.now >= stretch[0].now]
        early = min((fill for at, fill in lows if at <= stretch[0].now + third), default=None)
        late = min((fill for at, fill in lows if at >= last.now - third), default=None)
        rise = None if early is None or late is None else late - early
        if rise is not None and span >= self._trend_s(last) * 0.8 and rise >= tuning.growth_s:
            return f"backlog growing ({late:.0f} s)"
        draining = rise is not None and span >= 2 * pass_s and rise < -tuning.growth_s / 2
        # a backlog: the queue never below `backlog_s` over the last third, pass starts or none
        floor = min(
            [s.fill_s for s in stretch if s.now >= last.now - third] + ([late] if late is not None else [])
        )
        if span >= pass_s and floor >= tuning.backlog_s and not draining:
            return f"backlog of {floor:.0f} s"
        latencies = [s.word_latency_s for s in quick if s.word_latency_s is not None]
        late_words = len(latencies) >= tuning.late_batches and min(latencies) > tuning.latency_goal_s
        if late_words and not draining:  # every word late, more than one batch of them
            return f"words {min(latencies):.0f} s late"
        return None

    def _pass_s(self, load: Load) -> float:
        """The longest the queue has lately gone without a low point: the longest engine call, or the
        longest stretch without a pass start (a pass and an utterance's final call back to back: at most two
        calls), and a tick."""
        call_s = load.longest_call_s or 0.0
        return max(call_s, min(self._pass_gap_s(), 2 * call_s)) + self.tuning.tick_s

    def _pass_starts(self) -> list[Load]:
        """The samples kept in which a pass began (since the sample before)."""
        return [now for before, now in itertools.pairwise(self.samples) if now.passes > before.passes]

    def _pass_gap_s(self) -> float:
        """The longest stretch of the samples kept without a pass start (tick resolution), the one under way
        too."""
        marks = [self.samples[0].now, *(sample.now for sample in self._pass_starts()), self.samples[-1].now]
        return max(b - a for a, b in itertools.pairwise(marks))

    def _trend_s(self, load: Load) -> float:
        """The stretch the queue's trend is judged over: `window_s`, or longer for slow passes."""
        tuning = self.tuning
        return min(tuning.trend_max_s, max(tuning.window_s, tuning.trend_passes * self._pass_s(load)))

    def _judged(self, load: Load) -> bool:
        """Long enough since the last step to tell calm from a trend."""
        since = max(self.samples[0].now, self.last_step if self.last_step is not None else -1.0)
        return load.now - since >= self._trend_s(load) * 0.8

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
        """A model that was just swapped out ran at `rtf` over its last calls."""
        rung = self.taken[-1] if self.taken else None
        if rung is not None and rung.step == "model" and rung.model == model and rung.smaller_rtf is None:
            rung.rtf = rtf

    # ---- the episode -------------------------------------------------------------------------------

    def _track_episode(self, load: Load, behind: str | None) -> list[OverloadEpisode | GovernorStepped]:
        episode, tuning = self.episode, self.tuning
        if episode is None:
            if behind is None:
                return []
            self.episode = _Episode(load.clock_s, self.samples[0].dropped_s, behind)
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

    def _step_down(self, load: Load, reason: str) -> GovernorStepped | None:
        if not self.steps or not self._settled(load):
            return None
        taken = {rung.step for rung in self.taken}
        hopeless = load.rtf is not None and load.rtf >= self.tuning.hopeless_rtf
        if "revision" in load.can and "revision" not in taken:
            rung, what = _Rung("revision"), "revision paused"
        elif "passes" in load.can and "passes" not in taken and not hopeless:
            rung, what = _Rung("passes"), "passes thinned"
        elif load.smaller is not None and self._swap_allowed(load):
            rung, what = _Rung("model", load.model, load.rtf), f"stepped down to {load.smaller}"
            self.last_swap = load.now
        else:
            return None
        self.taken.append(rung)
        self.last_step = load.now
        return GovernorStepped(load.clock_s, rung.step, True, what, reason, load.smaller)

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
        self.samples.append(load)
        ended = replace(self._episode_event("ended", load), ended_s=load.clock_s)
        self.episode = None
        return ended

    def forget_models(self) -> None:
        """The user picked a model themselves: it stands; the model steps taken are not undone."""
        self.taken = [rung for rung in self.taken if rung.step != "model"]

    @property
    def in_force(self) -> list[StepName]:
        return [rung.step for rung in self.taken]
