"""Every number of the revision layer (`revision.Reviser`), in one place."""

from __future__ import annotations

from dataclasses import dataclass

from echotui.pipeline.stretches import STRETCH, StretchTuning


@dataclass(frozen=True)
class RevisionTuning:
    """Every number of the revision layer.

    Attributes:
        stretch: when a stretch of committed words is finished.
        catch_up_s: the most speech one revision takes when several finished stretches wait (the layer
            fell behind): one window revises them together, where one each would cost a full window each.
        context_s: already-revised speech before a stretch that its window hears too.
        lookahead_s: speech after a stretch that its window hears too (its words are left to the next),
            at most: the window ends with the last word known there (heard by the live layer).
        tail_s: audio after the last word known that a window hears (a word's end may run later than
            its time says); what lies beyond it no pass has heard, and a word cut there would be misheard.
        pad_s: audio before a stretch's first word that its window hears, when there is no context, and
            before each stretch of speech the VAD passed.
        bridge_s: a pause shorter than this between two stretches of speech stays in the window (a longer
            one is left out, as faster-whisper's own VAD filter leaves out pauses of 2 s and more).
        reach_s: how much recent audio the layer keeps; a stretch that starts before it is skipped.
        behind_s: a stretch that ended this long before the clock is skipped: the layer fell behind.
        busy_s: while more audio than this waits for the live layer, no revision starts.
        nice: the revision engine's CPU priority (Linux nice value): the live engine's threads go first.
        thread_share: the revision engine's CPU threads, as a share of the live engine's (at least one):
            it leaves the live engine cores of its own, and one thread wastes nothing waiting for others.
        growth: a revision with more than `growth` × the words (plus `slack` words) is an invention
            (whisper loops on a repeated phrase): the committed words stay.
    """

    stretch: StretchTuning = STRETCH
    catch_up_s: float = 16.0
    context_s: float = 12.0
    lookahead_s: float = 1.0
    tail_s: float = 0.3
    pad_s: float = 0.4
    bridge_s: float = 2.0
    reach_s: float = 60.0
    behind_s: float = 30.0
    busy_s: float = 2.0
    nice: int = 10
    thread_share: float = 0.5
    growth: float = 2.0
    slack: int = 4


REVISION = RevisionTuning()
