"""What the overload governor (`governor.Governor`) tells the pipeline's listener: an episode of falling
behind as it stands, and each step it takes down or back up. Plain dataclasses, past tense; each has the one
line a user reads (`episode_text`, `GovernorStepped.text`), so the app and the CLI say the same."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Change = Literal["began", "grew", "ended"]
StepName = Literal["revision", "passes", "model"]
SHOWN_DROP_S = 0.05
"""Less dropped audio than this rounds to "0.0 s": it is never shown as a figure."""


def stream_clock(seconds: float) -> str:
    """A stream time as "hh:mm:ss" (whole seconds), as the captions' timestamps show it."""
    whole = max(0, int(seconds))
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"


@dataclass(frozen=True)
class OverloadEpisode:
    """One episode of the engine falling behind, as it stands: it `began`, `grew` (more audio dropped, or a
    step was taken), or `ended`. Sent at most once a governor tick; the journal and the jsonl stream keep
    only its beginning and its end.

    Attributes:
        since_s: the stream's clock (seconds of audio captured) when it began.
        dropped_s: live audio dropped in it so far, the drops that revealed it included.
        reason: what was measured when it began ("3.2 s of audio dropped in 6 s", "backlog of 9 s").
        step: the step in force, as the user reads it ("stepped down to tiny.en"), None before any.
        ended_s: the stream's clock when it ended (None while it lasts).
    """

    change: Change
    since_s: float
    dropped_s: float
    reason: str
    step: str | None = None
    ended_s: float | None = None

    @property
    def text(self) -> str:
        """ "⚠ behind since 00:03:10: 7.4 s dropped, stepped down to base.en"; closed with its total."""
        since = stream_clock(self.since_s)
        dropped = self.dropped_s >= SHOWN_DROP_S
        if self.ended_s is None:
            what = f"{self.dropped_s:.1f} s dropped" if dropped else self.reason
            head = f"⚠ behind since {since}: {what}"
        else:
            span = f"{since}–{stream_clock(self.ended_s)}"
            what = f"{self.dropped_s:.1f} s dropped in all" if dropped else "nothing dropped"
            head = f"⚠ was behind {span}: {what}"
        return f"{head}, {self.step}" if self.step else head


@dataclass(frozen=True)
class GovernorStepped:
    """The governor took a step down its ladder (`down`) or back up.

    Attributes:
        at_s: the stream's clock when it was taken.
        step: which rung: "revision" (the revision layer paused), "passes" (passes over the open window
            thinned), "model" (a smaller model swapped in, or the bigger one back).
        down: True stepping down (shedding work), False back up.
        what: what was done, as the user reads it ("stepped down to tiny.en", "back to base.en").
        reason: the measurement that decided it.
        model: for a model step, the model swapped in.
    """

    at_s: float
    step: StepName
    down: bool
    what: str
    reason: str
    model: str | None = None

    @property
    def text(self) -> str:
        return f"{self.what} ({self.reason})"
