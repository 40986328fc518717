"""What the overload governor (`governor.Governor`) reads at each tick (`Load`) and its numbers
(`GovernorTuning`, in one place)."""

from __future__ import annotations

from dataclasses import dataclass

from echotui.pipeline.overload import StepName


@dataclass(frozen=True)
class GovernorTuning:
    """The governor's numbers, in one place (seconds unless named otherwise).

    Attributes:
        tick_s: how often the pipeline is sampled.
        window_s: the recent stretch the quick measures (drops, a busy server, late words) are taken over.
        trend_passes: the queue's trend is judged over a stretch of at least this many of the running
            model's longest recent passes (and `window_s`): the queue fills during a pass and empties when
            the next one takes the audio, so only a stretch that holds a pass start sees its low point.
        trend_max_s: the longest stretch the trend is judged over, however slow the passes.
        episode_drop_s: live audio dropped within `window_s` that makes an episode (one device block of
            0.1 s or so never does).
        backlog_s: a queue whose low point (at a pass start) is at least this full, and is not draining, is
            behind.
        growth_s: a queue whose low point rose this much over the trend's stretch is behind.
        latency_goal_s: per-word latency p95 above this all over the window is behind (unless the backlog
            drains); so is an engine call under way for longer (its words cannot come sooner).
        late_batches: words out at this many ticks at least within `window_s`, every one over the latency
            goal, are behind; one late batch is not (an utterance's final call commits its words at once,
            a whole utterance late: whisper.cpp tiny.en keeping up at RTF 0.3 on this 2-core host).
        hopeless_rtf: a model at or above this recent RTF skips the thinning rung.
        slow_call_s: a model's first engine call under way this long, and already at `hopeless_rtf` or
            more on the audio it hears, is behind (the model is slower than real time: no need to wait for
            `latency_goal_s`) and makes the thinning rung pointless, before any call has ended to measure
            the RTF by.
        settle_s: after a step, its effect is awaited this long before the next.
        swap_gap_s: at most one model swap per this long, down or up.
        calm_s: nothing behind for this long ends an episode.
        headroom_s: nothing behind for this long (after the episode) steps one rung back up.
        up_rtf: the bigger model comes back only if its predicted RTF is at most this (auto-selection's
            "keeps up" bound).
        thin_factor: the chunk, thinned, is this many times the chosen one.
        cost_calls: engine calls of a newly swapped model before its cost counts as measured.
    """

    tick_s: float = 0.5
    window_s: float = 6.0
    trend_passes: float = 3.0
    trend_max_s: float = 30.0
    episode_drop_s: float = 1.0
    backlog_s: float = 4.0
    growth_s: float = 1.0
    latency_goal_s: float = 6.0
    late_batches: int = 2
    hopeless_rtf: float = 1.0
    slow_call_s: float = 3.0
    settle_s: float = 3.0
    swap_gap_s: float = 30.0
    calm_s: float = 8.0
    headroom_s: float = 20.0
    up_rtf: float = 0.5
    thin_factor: float = 2.0
    cost_calls: int = 3


GOVERNOR = GovernorTuning()


@dataclass(frozen=True)
class Load:
    """The pipeline's measures at one tick.

    Attributes:
        now: the governor's clock (monotonic seconds).
        clock_s: the stream's clock (seconds of audio captured).
        dropped_s: live audio dropped so far in the session.
        fill_s: audio waiting in the queue.
        rtf: the running model's RTF over its latest calls, None before any.
        calls: the running model's calls that `rtf` is over.
        ended_calls: the running model's calls ended so far.
        longest_call_s: the longest of those calls and the one under way (seconds), None before any.
        calling_s: how long the engine call under way has run, 0 when none is.
        calling_audio_s: seconds of audio that call hears, 0 when none is (or unknown).
        passes: passes over the open utterance begun so far (not an utterance's final calls).
        pass_fill_s: audio waiting in the queue when the latest of them began: a low point of the queue.
        model: the running model's name.
        word_latency_s: per-word latency p95 of the words that went out since the last tick, None for none.
        busy_s: seconds a remote server answered "busy" (429/503) so far: back-pressure.
        can: the rungs that can be stepped down now (revision on, passes not thinned yet).
        smaller: the next smaller model on disk, None if there is none (or a swap is under way).
        swapping: a model swap is under way: its effect is awaited before anything else is done.
    """

    now: float
    clock_s: float
    dropped_s: float
    fill_s: float
    rtf: float | None
    calls: int
    model: str
    word_latency_s: float | None = None
    ended_calls: int = 0
    longest_call_s: float | None = None
    calling_s: float = 0.0
    calling_audio_s: float = 0.0
    passes: int = 0
    pass_fill_s: float = 0.0
    busy_s: float = 0.0
    can: frozenset[StepName] = frozenset()
    smaller: str | None = None
    swapping: bool = False

    def slow_call(self, tuning: GovernorTuning) -> bool:
        """The model's first call (none has ended to measure its RTF by) has run for `slow_call_s` at least,
        and is already at `hopeless_rtf` or more on the audio it hears. Once calls have ended, their RTF
        says it better: a call pays a fixed share too (the prompt, the decoder's start), so one short window
        can cost more than its audio in a model well within real time (measured: a base.en keeping up at
        RTF 0.2-0.3, one call of 3 s on 2 s of audio)."""
        running = self.rtf is None and self.calling_s >= tuning.slow_call_s and self.calling_audio_s > 0
        return running and self.calling_s / self.calling_audio_s >= tuning.hopeless_rtf
