"""The one thread that owns a provider: it loads the model and runs every engine call.

The event loop only awaits futures from here, so it never blocks on inference, and the engine's native
context is never touched from two threads.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from statistics import median

import numpy as np

from echotui import SAMPLE_RATE
from echotui.pipeline.vad import Gate
from echotui.providers.base import LoadedModel, Provider, Segment, TranscribeRequest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallResult:
    """One engine call's outcome.

    Attributes:
        speech: False if the speech gate found no speech (then the engine was not called).
        segments: the engine's segments, relative to the audio's start.
        inference_s: wall seconds spent inside the engine.
        notices: what the provider reported during the call (e.g. that it restarted its engine).
    """

    speech: bool
    segments: list[Segment]
    inference_s: float
    notices: tuple[str, ...] = ()


@dataclass(frozen=True)
class FailedCall:
    """An engine call that raised, as `call_with_restart` hands it to a worker's `outage` handler."""

    worker: InferenceWorker
    request: TranscribeRequest
    check_speech: bool
    gate_audio: np.ndarray | None
    error: Exception
    began: float
    """`time.monotonic()` when the call was sent."""


class Overtaken(Exception):
    """A newer engine took over while this call was running (the overload governor's swap does not wait for
    a slow call): ask the `successor` instead. The call itself finishes on its thread, unheard."""


class InferenceWorker:
    """Runs `provider.load()` and `provider.transcribe()` on a dedicated thread."""

    def __init__(self, provider: Provider, gate: Gate) -> None:
        self.provider = provider
        self.gate = gate
        self.loaded: LoadedModel | None = None
        self.load_s: float | None = None
        self.recent: deque[tuple[float, float]] = deque(maxlen=10)
        """(inference seconds, audio seconds) of this engine's latest calls: its own recent RTF."""
        self.ended_calls = 0
        """How many of this engine's calls have ended (`recent` keeps the latest only)."""
        self.split: deque[tuple[float, float]] = deque(maxlen=10)
        """(server seconds, network seconds) of a server engine's latest calls that said their server time:
        the round trip less the server's own `total`."""
        self.calls_since_restart: int | None = None
        """Successful engine calls since the last reload after a failure (None: never reloaded)."""
        self.outage: Callable[[FailedCall], Awaitable[CallResult]] | None = None
        """Who rides out a transcription server's outage (`fallback.ServerFallback`), for a remote engine."""
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"echotui-{provider.name}")
        self._loading: asyncio.Future[tuple[LoadedModel, float]] | None = None
        self._calling: asyncio.Future[CallResult] | None = None
        self.successor: InferenceWorker | None = None
        """The engine that took over from this one mid-call (`overtake`), if one did."""
        self._overtaken = asyncio.Event()
        self._call = (0.0, 0.0)  # when the latest call began, and its audio seconds
        self._cut_short = False  # `overtake` came while a call ran (see `rtf`)

    async def load(self, until: asyncio.Event | None = None) -> LoadedModel | None:
        """Load the model on the engine's thread. None if `until` is set first: the load is then left to
        finish on its own (a download cannot be interrupted) and `close()` does not wait for it."""

        def work() -> tuple[LoadedModel, float]:
            began = time.perf_counter()
            loaded = self.provider.load()
            return loaded, time.perf_counter() - began

        self._loading = loading = asyncio.get_running_loop().run_in_executor(self._executor, work)
        if until is not None:
            stopped = asyncio.ensure_future(until.wait())
            await asyncio.wait((loading, stopped), return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if not loading.done():
                loading.add_done_callback(lambda future: future.cancelled() or future.exception())
                return None
        loaded, self.load_s = await loading
        self.loaded = loaded
        return loaded

    async def restart(self) -> LoadedModel:
        """Release the provider and load it again, on its own thread (after an engine call failed)."""

        def work() -> LoadedModel:
            try:
                self.provider.close()
            except Exception:  # a broken engine may fail to close; the reload decides
                log.warning("closing %s before a reload failed", self.provider.name, exc_info=True)
            return self.provider.load()

        self.loaded = await asyncio.get_running_loop().run_in_executor(self._executor, work)
        return self.loaded

    async def transcribe(
        self, request: TranscribeRequest, check_speech: bool, gate_audio: np.ndarray | None = None
    ) -> CallResult:
        """Call the engine, unless `check_speech` and the gate hears no speech in `gate_audio` (by default
        the request's audio)."""
        listened = request.audio if gate_audio is None else gate_audio

        def work() -> CallResult:
            if check_speech and not self.gate.contains_speech(listened):
                return CallResult(False, [], 0.0)
            began = time.perf_counter()
            segments = self.provider.transcribe(request)
            elapsed = time.perf_counter() - began
            self.recent.append((elapsed, len(request.audio) / SAMPLE_RATE))
            self.ended_calls += 1
            if (server_s := self.provider.server_timing.get("total")) is not None:
                self.split.append((server_s, max(0.0, elapsed - server_s)))
            return CallResult(True, segments, elapsed, tuple(self.provider.drain_notices()))

        if self.successor is not None:
            raise Overtaken
        self._calling = calling = asyncio.get_running_loop().run_in_executor(self._executor, work)
        self._call = (time.perf_counter(), len(request.audio) / SAMPLE_RATE)
        overtaken = asyncio.ensure_future(self._overtaken.wait())
        try:
            await asyncio.wait((calling, overtaken), return_when=asyncio.FIRST_COMPLETED)
        finally:
            overtaken.cancel()
        if not calling.done():
            calling.add_done_callback(lambda future: future.cancelled() or future.exception())
            raise Overtaken
        return calling.result()

    def overtake(self, successor: InferenceWorker) -> None:
        """`successor` takes over now: a call still running here is asked of it instead (`Overtaken`)."""
        self.successor = successor
        self._overtaken.set()
        self._cut_short = self.calling_s > 0  # see `rtf`

    @property
    def calling_s(self) -> float:
        """How long the engine call under way has run so far; 0 when none is."""
        if self._calling is None or self._calling.done():
            return 0.0
        return time.perf_counter() - self._call[0]

    @property
    def calling_audio_s(self) -> float:
        """Seconds of audio the engine call under way hears; 0 when none is."""
        if self._calling is None or self._calling.done():
            return 0.0
        return self._call[1]

    @property
    def rtf(self) -> float | None:
        """Inference seconds ÷ audio seconds over this engine's latest calls; None before any. A call cut
        short by `overtake` counts by its cost so far (a lower bound, rising) while it runs on its thread,
        and by its whole cost once it ended."""
        calls = list(self.recent)
        if self._cut_short and (running_s := self.calling_s) > 0:
            calls.append((running_s, self._call[1]))
        audio = sum(audio for _, audio in calls)
        return sum(spent for spent, _ in calls) / audio if audio else None

    @property
    def server_split(self) -> tuple[float, float] | None:
        """The median server seconds and network seconds of a server engine's latest calls; None for an
        engine in this process or a server that does not say its time."""
        if not self.split:
            return None
        return median([s for s, _ in self.split]), median([n for _, n in self.split])

    async def contains_speech(self, audio: np.ndarray) -> bool:
        """The speech gate's verdict on `audio`, on this thread (where the gate runs for engine calls)."""
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, self.gate.contains_speech, audio
        )

    async def close(self) -> None:
        """Release the engine on its thread. A load or a call still running (a download, a slow disk, a
        session abandoned mid-call) is not waited for: the thread finishes it on its own and the process
        does not wait for it at exit."""
        if any(job is not None and not job.done() for job in (self._loading, self._calling)):
            self._executor.shutdown(wait=False, cancel_futures=True)
            return
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self.provider.close)
        self._executor.shutdown(wait=True)


class IncomingSwap:
    """A provider loading in the background, waiting for an utterance boundary to take over."""

    def __init__(self, worker: InferenceWorker, requested: float) -> None:
        self.worker = worker
        self.requested = requested
        self.task: asyncio.Task[None]
