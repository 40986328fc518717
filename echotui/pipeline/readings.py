"""Whether the engine is behind, and why: the overload governor's readings of its recent samples (`Load`).

Drops, a busy server and late words over the last `window_s`; a call that runs on; a model slower than
real time (its first call, or its RTF over three calls ended since the last step); and the queue, by its
low points: it fills during a pass, and the next pass starts once the consumer took the audio, so the fills
at the pass starts say whether a backlog builds up. The governor (`governor.Governor`) decides what to do.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field

from echotui.pipeline.governor_tuning import GOVERNOR, GovernorTuning, Load


@dataclass(frozen=True)
class Behind:
    """Why the engine is behind, and what fewer passes cannot help, whatever the first reading was:
    `late_words`, its words are late too (every one over the latency goal, tick after tick, or a call under
    way for longer than that: fewer passes would bring them later still); `hopeless`, the model is slower
    than real time (its RTF at `hopeless_rtf` or more, or its first call already so)."""

    why: str
    late_words: bool = False
    hopeless: bool = False


@dataclass
class Readings:
    """The samples of the stretch the queue's trend is judged over (`trend_s`), and what they say."""

    tuning: GovernorTuning = GOVERNOR
    samples: deque[Load] = field(default_factory=deque)
    measured: set[str] = field(default_factory=set)
    """The models whose RTF was measured in this session (`cost_calls` calls): one that comes back (the
    ladder's step up) is not judged by its first call."""

    def add(self, load: Load) -> None:
        """One more sample; the ones older than the trend's stretch go."""
        self.samples.append(load)
        if load.calls >= self.tuning.cost_calls:
            self.measured.add(load.model)
        trend_s = self.trend_s(load)  # (once: it reads every sample kept)
        while load.now - self.samples[0].now > trend_s:
            self.samples.popleft()

    def behind(self, last_step: float | None) -> Behind | None:
        """Why the engine is behind now (the first measure that says so), or None, and whether its words are
        late too (whatever the first measure was). Measured since the last step (`last_step`) at the
        earliest: what came before it says nothing of its effect."""
        late_words = self._late_words(last_step)
        why = self._why(last_step, late_words)
        if why is None:
            return None
        last, tuning = self.samples[-1], self.tuning
        running_on = last.calling_s > tuning.latency_goal_s  # its words: this late at best
        hopeless = (last.rtf is not None and last.rtf >= tuning.hopeless_rtf) or self._slow_first_call(last)
        return Behind(why, late_words=running_on or bool(late_words), hopeless=hopeless)

    def _slow_first_call(self, load: Load) -> bool:
        """`Load.slow_call` for a model not measured before in this session: one that comes back up the
        ladder has a known cost, and its first call on a short window pays a fixed share too."""
        return load.model not in self.measured and load.slow_call(self.tuning)

    def _why(self, last_step: float | None, late_words: list[float]) -> str | None:
        tuning, since = self.tuning, last_step if last_step is not None else -1.0
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
        if self._slow_first_call(last):  # audio comes faster than this call hears it
            call_s, heard_s = last.calling_s, last.calling_audio_s
            return f"a call slower than real time ({call_s:.0f} s on {heard_s:.1f} s of audio)"
        if (
            last.rtf is not None
            and last.rtf >= tuning.hopeless_rtf
            and self._calls_since(last_step) >= tuning.cost_calls
        ):
            return f"slower than real time (RTF {last.rtf:.2f} over {last.calls} calls)"
        if last.now - first.now < tuning.window_s * 0.8:
            return None  # too short a stretch to tell a trend from one slow call
        # the queue fills during a pass, and the next pass starts once the consumer took the audio: the fills
        # at the pass starts are its low points. The trend compares the lowest in the stretch's first third
        # with the last third's (no pass start in one of them: no trend to tell). An utterance's final call
        # starts wherever the utterance ends, and is no low point; a call that runs on is told above.
        span, pass_s = last.now - stretch[0].now, self.pass_s(last)
        third = max(span / 3, pass_s)
        lows = [(s.now, s.pass_fill_s) for s in self._pass_starts() if s.now >= stretch[0].now]
        early = min((fill for at, fill in lows if at <= stretch[0].now + third), default=None)
        late = min((fill for at, fill in lows if at >= last.now - third), default=None)
        rise = None if early is None or late is None else late - early
        if rise is not None and span >= self.trend_s(last) * 0.8 and rise >= tuning.growth_s:
            return f"backlog growing ({late:.0f} s)"
        draining = rise is not None and span >= 2 * pass_s and rise < -tuning.growth_s / 2
        # a backlog: the queue never below `backlog_s` over the last third, pass starts or none
        floor = min(
            [s.fill_s for s in stretch if s.now >= last.now - third] + ([late] if late is not None else [])
        )
        if span >= pass_s and floor >= tuning.backlog_s and not draining:
            return f"backlog of {floor:.0f} s"
        if late_words and not draining:  # every word late, more than one batch of them
            return f"words {min(late_words):.0f} s late"
        return None

    def _late_words(self, last_step: float | None) -> list[float]:
        """The per-word latencies (p95 a tick) of the latest batches of words when every one of them is over
        the latency goal, and there are `late_batches` of them at least; else []. Words spoken before the
        last step went out late because of what came before it (a model swapped out, its backlog): only the
        words spoken since tell the step's effect. Words go out at most once a pass: with slow passes, the
        batches are looked for over that many passes."""
        tuning, since = self.tuning, last_step if last_step is not None else -1.0
        last = self.samples[-1]
        words_s = max(tuning.window_s, tuning.late_batches * self.pass_s(last))
        latencies = [
            s.word_latency_s
            for s in self.samples
            if s.now >= max(since, last.now - words_s)
            and s.word_latency_s is not None
            and s.now - s.word_latency_s >= since
        ]
        late = len(latencies) >= tuning.late_batches and min(latencies) > tuning.latency_goal_s
        return latencies if late else []

    def _calls_since(self, last_step: float | None) -> int:
        """The running model's calls that ended since the last step (its RTF is over its latest calls, some
        of them before the step: the step's effect shows once enough have ended after it)."""
        last = self.samples[-1]
        if last_step is None:
            return last.calls
        at_step = [s for s in self.samples if s.now <= last_step and s.model == last.model]
        return last.ended_calls - (at_step[-1].ended_calls if at_step else 0)

    def pass_s(self, load: Load) -> float:
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

    def trend_s(self, load: Load) -> float:
        """The stretch the queue's trend is judged over: `window_s`, or longer for slow passes."""
        tuning = self.tuning
        return min(tuning.trend_max_s, max(tuning.window_s, tuning.trend_passes * self.pass_s(load)))

    def judged(self, load: Load, last_step: float | None) -> bool:
        """Long enough since the last step to tell calm from a trend."""
        since = max(self.samples[0].now, last_step if last_step is not None else -1.0)
        return load.now - since >= self.trend_s(load) * 0.8
