"""Engine failures become events and states, never hangs.

An engine call that raises is logged (traceback in the log file), reported as `EngineFailed`, and the
provider is reloaded on its own thread and the call retried once. If the reload or the retry fails too,
or the engine fails again within `HEALTHY_CALLS` calls of a reload, `EngineFailure` stops the session
with a one-line reason: the pipeline counts what was still queued as not transcribed, and `transcribe`
exits non-zero. (An engine that then ran well for a long while gets another reload.)

A transcription server that is unreachable (`ServerUnreachable`) is no broken engine: when the worker has an
`outage` handler (`fallback.ServerFallback`), the call goes to it instead (sent again, or to a local engine).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np

from echotui.errors import EchoError
from echotui.pipeline.events import EngineFailed, PipelineEvent
from echotui.pipeline.state import Failure, State
from echotui.pipeline.worker import CallResult, FailedCall, InferenceWorker, Overtaken
from echotui.providers.base import TranscribeRequest
from echotui.providers.remote_http import ServerUnreachable

log = logging.getLogger(__name__)

ENGINE_FAILED_EXIT = 3
HEALTHY_CALLS = 20
"""Successful calls after a reload before another failure may be answered with another reload."""


class EngineFailure(EchoError):
    """The session stopped because the engine (or the pipeline itself) failed; `str()` says the failure."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(str(failure), ENGINE_FAILED_EXIT)
        self.failure = failure


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
    """One engine call; on an exception reload the provider and retry once, else raise EngineFailure. An
    engine that took over mid-call (`Overtaken`) is asked instead; an unreachable server goes to the
    worker's `outage` handler when it has one."""
    began = time.monotonic()
    while True:
        try:
            result = await worker.transcribe(request, check_speech=check_speech, gate_audio=gate_audio)
        except Overtaken:
            assert worker.successor is not None
            worker = worker.successor
            continue
        except ServerUnreachable as error:
            if worker.outage is None:
                return await _retry(worker, request, check_speech, on_event, gate_audio, error)
            failed = FailedCall(worker, request, check_speech, gate_audio, error, began)
            return await worker.outage(failed)
        except Exception as error:
            return await _retry(worker, request, check_speech, on_event, gate_audio, error)
        if worker.calls_since_restart is not None:
            worker.calls_since_restart += 1
        return result


async def _retry(
    worker: InferenceWorker,
    request: TranscribeRequest,
    check_speech: bool,
    on_event: Callable[[PipelineEvent], None],
    gate_audio: np.ndarray | None,
    error: Exception,
) -> CallResult:
    """The call raised `error`: reload the provider and try once more (unless it failed soon after a
    reload already)."""
    name = worker.provider.name
    if worker.calls_since_restart is not None and worker.calls_since_restart < HEALTHY_CALLS:
        return _stop(name, error, on_event)  # failed again soon after a reload
    log.warning("engine %s failed; reloading it and retrying the call", name, exc_info=error)
    on_event(EngineFailed(name, describe(error), fatal=False))
    try:
        await worker.restart()
        result = await worker.transcribe(request, check_speech=check_speech, gate_audio=gate_audio)
    except Exception as again:
        return _stop(name, again, on_event)
    worker.calls_since_restart = 1
    return result


def _stop(name: str, error: Exception, on_event: Callable[[PipelineEvent], None]) -> CallResult:
    log.error("engine %s failed again after a reload; stopping", name, exc_info=error)
    message = describe(error)
    on_event(EngineFailed(name, message, fatal=True))
    raise EngineFailure(Failure(State.ENGINE_FAILED, f"{name}: {message}")) from error
