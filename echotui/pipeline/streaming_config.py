"""What the pipeline takes from the settings: the few knobs of streaming, checked once.

`Settings.streaming()` (`config.py`) builds it; `Settings.validate()` checks the settings through it, so a
bad value is refused in one place, with one message, whichever way it came in (flag, environment, a
replayed session's settings).
"""

from __future__ import annotations

from dataclasses import dataclass

from echotui.errors import EchoError


def min_queue_seconds(max_utterance_seconds: float, chunk_seconds: float) -> float:
    """The queue must hold at least one engine call's worth of audio plus one step."""
    return max_utterance_seconds + chunk_seconds


@dataclass(frozen=True)
class StreamingConfig:
    """The streaming knobs (see `Settings` for each).

    Attributes:
        chunk_seconds: new audio that brings the next pass over the open utterance.
        max_utterance_seconds: the longest utterance; longer speech is cut at a quiet point.
        min_silence_seconds: the pause that ends an utterance.
        queue_seconds: capacity of the audio queue.
        vad: skip silence (frame VAD and the speech gate).
        vad_aggressiveness: webrtcvad's, 0 to 3.
        speed: file replay speed (0: as fast as the engine goes, decoded in long windows).
        revise: the revision layer runs behind the live words (for an engine on this machine).
        thinned: the overload governor thinned the passes: a step is counted from the end of the last
            engine call (the engine rests between calls however long they take), and a window reaches back
            only `StreamingTuning.thinned_context_s` before its utterance.

    Raises:
        EchoError: a value out of range, with the fix in one line.
    """

    chunk_seconds: float = 1.0
    max_utterance_seconds: float = 12.0
    min_silence_seconds: float = 0.5
    queue_seconds: float = 30.0
    vad: bool = True
    vad_aggressiveness: int = 2
    speed: float = 1.0
    revise: bool = True
    thinned: bool = False

    def __post_init__(self) -> None:
        if not 0.2 <= self.chunk_seconds <= 30:
            raise EchoError(f"chunk length {self.chunk_seconds:g} s is out of range: use 0.2 to 30 seconds")
        if self.max_utterance_seconds < max(2.0, self.chunk_seconds) or self.max_utterance_seconds > 30:
            raise EchoError("max utterance length must lie between max(2 s, chunk length) and 30 s")
        minimum = min_queue_seconds(self.max_utterance_seconds, self.chunk_seconds)
        if self.queue_seconds < minimum:
            raise EchoError(
                f"queue of {self.queue_seconds:g} s is smaller than one engine call can consume: "
                f"use at least {minimum:g} s"
            )
        if not 0 <= self.vad_aggressiveness <= 3:
            raise EchoError("VAD aggressiveness must be 0, 1, 2 or 3")
        if self.speed < 0:
            raise EchoError("speed must be 0 (as fast as possible) or a positive factor such as 1 or 2")
