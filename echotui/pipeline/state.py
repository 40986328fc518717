"""What the pipeline is doing now, typed: a `State` (its value is the word shown on screen) and, for a
failure, a `Failure` that pairs the state with its one-line reason. The panel renders these; nothing parses
them back from text."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class State(str, Enum):
    """The pipeline's state in a `MetricsSnapshot`; `value` is how it is said ("loading model")."""

    LOADING = "loading model"
    LISTENING = "listening"
    PAUSED = "paused"
    OVERLOADED = "overloaded"
    """The backlog keeps growing: the engine cannot keep up."""
    FINISHING = "finishing"
    """The source ended or stop was asked: what is queued is being transcribed."""
    FINISHED = "finished"
    DEVICE_LOST = "device lost"
    """The capture device stopped delivering; it is being reopened."""
    SERVER_UNREACHABLE = "server unreachable"
    """The transcription server does not answer: its windows are being sent again."""
    LOCAL_FALLBACK = "local fallback"
    """A local engine stands in while the server is gone."""
    LOAD_FAILED = "failed to load"
    ENGINE_FAILED = "engine failed"
    PIPELINE_FAILED = "pipeline failed"

    @property
    def failed(self) -> bool:
        """Something broke (a device lost, a model that did not load, an engine or pipeline that failed)."""
        return self in (State.DEVICE_LOST, State.LOAD_FAILED, State.ENGINE_FAILED, State.PIPELINE_FAILED)


@dataclass(frozen=True)
class Failure:
    """Why a session stopped on an error: `str()` says it in one line ("engine failed: whisper.cpp: …").

    Attributes:
        state: LOAD_FAILED, ENGINE_FAILED or PIPELINE_FAILED.
        reason: what went wrong, in one line (an EchoError's own line carries its fix).
    """

    state: State
    reason: str

    def __str__(self) -> str:
        return f"{self.state.value}: {self.reason}"
