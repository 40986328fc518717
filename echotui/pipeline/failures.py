"""Engine failures become events and states, never hangs.

An engine call that raises is logged (traceback in the log file), reported as `EngineFailed`, and the
provider is reloaded on its own thread and the call retried once. If the reload or the retry fails too,
`EngineFailure` stops the session with a one-line reason: the pipeline counts what was still queued as
not transcribed, and `transcribe` exits non-zero.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from echotui.errors import EchoError
from echotui.pipeline.events import EngineFailed, PipelineEvent
from echotui.pipeline.worker import CallResult, InferenceWorker
from echotui.providers.base import TranscribeRequest

log = logging.getLogger(__name__)

ENGINE_FAILED_EXIT = 3


class EngineFailure(EchoError):
    """The session stopped because the engine (or the pipeline itself) failed; `str()` is the state."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ENGINE_FAILED_EXIT)


def describe(error: BaseException) -> str:
    """One line naming an exception: EchoErrors carry their own message, others get their type."""
    if isinstance(error, EchoError):
        return str(error)
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


async def call_with_restart(
    worker: InferenceWorker,
    request: TranscribeRequest,
    check_speech: bool,
    on_event: Callable[[PipelineEvent], None],
    gate_audio: np.ndarray | None = None,
) -> CallResult:
    """One engine call; on an exception reload the provider and retry once, else raise EngineFailure."""
    name = worker.provider.name
    try:
        return await worker.transcribe(request, check_speech=check_speech, gate_audio=gate_audio)
    except Exception as error:
        log.warning("engine %s failed; reloading it and retrying the call", name, exc_info=True)
        on_event(EngineFailed(name, describe(error), fatal=False))
    try:
        await worker.restart()
        return await worker.transcribe(request, check_speech=check_speech, gate_audio=gate_audio)
    except Exception as error:
        log.error("engine %s failed again after a reload; stopping", name, exc_info=True)
        message = describe(error)
        on_event(EngineFailed(name, message, fatal=True))
        raise EngineFailure(f"engine failed: {name}: {message}") from error
