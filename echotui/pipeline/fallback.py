"""Riding out a transcription server's outage (`--provider remote`), losing no audio.

A call the server does not answer (`ServerUnreachable`: refused, timed out, 5xx, busy after its retries)
is sent again every `retry_s`, while the source keeps queuing audio as the queue's rules say. Once the
server has been gone for `after_s` (`--fallback-after`), a local engine that can run here loads through
the hot swap (`swapping.HotSwap`) and takes over at once, the failed window first. Meanwhile the server is
asked every `probe_s` whether it answers again; when it does, it loads through the hot swap too and takes
over at the next utterance boundary. Each step is one `EngineNotice` line and the pipeline's state says
what runs ("server unreachable", "local fallback"); the journal marks each engine that takes over. A window
answered after all is `WindowResent` (journaled, and counted in `resent`): a replica killed mid-request
costs a resend, not its words.

No local engine: the window is sent again until the server answers; the session stays up, and a stop
while nothing can transcribe ends it with the server's line (`EngineFailure`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from echotui import SAMPLE_RATE
from echotui.errors import one_line
from echotui.pipeline.events import EngineFailed, EngineNotice, PipelineEvent, WindowResent
from echotui.pipeline.failures import EngineFailure, call_with_restart, describe
from echotui.pipeline.state import Failure, State
from echotui.pipeline.worker import CallResult, FailedCall, InferenceWorker
from echotui.providers.base import Provider
from echotui.providers.remote_http import ServerUnreachable

if TYPE_CHECKING:
    from echotui.pipeline.swapping import HotSwap

log = logging.getLogger(__name__)

UNREACHABLE = State.SERVER_UNREACHABLE
STANDING_IN = State.LOCAL_FALLBACK


@dataclass(frozen=True)
class FallbackTuning:
    """How an outage is ridden out.

    Attributes:
        after_s: seconds without the server before a local engine takes over (`--fallback-after`).
        retry_s: seconds between tries of a window the server did not answer.
        probe_s: seconds between checks whether the server answers again, while a local engine stands in.
    """

    after_s: float = 10.0
    retry_s: float = 1.0
    probe_s: float = 2.0


class FallbackHost(Protocol):
    """What the outage handling needs of the pipeline: the worker running now, its event listener, the hot
    swap (a local engine stands in through it), and whether the session is stopping or abandoned."""

    worker: InferenceWorker
    on_event: Callable[[PipelineEvent], None]
    swapper: HotSwap
    abandoned: bool
    fallback: ServerFallback | None

    @property
    def stopping(self) -> bool: ...

    def swap(self, provider: Provider) -> None: ...


class ServerFallback:
    """The pipeline's answer to an unreachable server: `server()` makes a fresh provider for the server,
    `local()` the local engine to stand in (None when none can run here); both run off the event loop."""

    def __init__(
        self,
        pipeline: FallbackHost,
        server: Callable[[], Provider],
        local: Callable[[], Provider | None],
        tuning: FallbackTuning = FallbackTuning(),
    ) -> None:
        self.pipeline = pipeline
        self.server, self.local = server, local
        self.tuning = tuning
        self.state: State | None = None
        """What the pipeline's state shows: `UNREACHABLE`, `STANDING_IN`, or None (the server answers)."""
        self.no_local = False
        """Set once no local engine could be found: outages are then only waited out."""
        self.resent = 0
        """Windows the server did not answer at first that were sent again and answered."""
        self._standing_in: InferenceWorker | None = None
        self._probe: asyncio.Task[None] | None = None
        pipeline.fallback = self  # its state is the pipeline's while the server is gone
        pipeline.worker.outage = self.ride_out

    async def ride_out(self, failed: FailedCall) -> CallResult:
        """The failed call's result, from the server once it answers again or from the local engine that
        took over meanwhile."""
        pipeline, tuning = self.pipeline, self.tuning
        line = one_line(failed.error)
        log.warning("%s; sending the window again", line)
        self.state = UNREACHABLE
        later = "" if self.no_local else f", a local engine after {tuning.after_s:g} s"
        self._say(f"{line} — trying again{later}")
        local_asked, sends = False, 1
        while True:
            if pipeline.worker is not failed.worker:  # a local engine took over: the window goes to it
                result = await call_with_restart(
                    pipeline.worker, failed.request, failed.check_speech, pipeline.on_event, failed.gate_audio
                )
                self._resent(failed, sends + 1, pipeline.worker.provider.name)
                return result
            if pipeline.abandoned or (pipeline.stopping and local_asked and self._standing_in is None):
                raise EngineFailure(
                    Failure(State.ENGINE_FAILED, f"{UNREACHABLE.value}: {line}")
                )  # nothing can transcribe what is left
            gone_s = time.monotonic() - failed.began
            if not local_asked and (gone_s >= tuning.after_s or pipeline.stopping):
                local_asked = True
                await self._ask_local()
            standing, incoming = self._standing_in, pipeline.swapper.incoming
            if standing is not None and (incoming is None or incoming.worker is not standing):
                self._standing_in = None  # its load failed (SwapFailed said why), or a swap replaced it
            elif standing is not None and standing.loaded is not None:
                pipeline.swapper.switch()  # between engine calls: the failed window goes to it next
                continue
            await asyncio.sleep(tuning.retry_s)
            sends += 1
            try:
                result = await failed.worker.transcribe(
                    failed.request, failed.check_speech, gate_audio=failed.gate_audio
                )
            except ServerUnreachable as error:
                line = one_line(error)
                continue
            except Exception as error:  # the server is back but refuses (a new key?): no use waiting
                name = failed.worker.provider.name
                pipeline.on_event(EngineFailed(name, describe(error), fatal=True))
                raise EngineFailure(Failure(State.ENGINE_FAILED, f"{name}: {describe(error)}")) from error
            if self._standing_in is not None:  # still loading: not needed now
                pipeline.swapper.cancel()
            self._server_back("the server answers again")
            self._resent(failed, sends, failed.worker.provider.name)
            return result

    def _resent(self, failed: FailedCall, sends: int, by: str) -> None:
        self.resent += 1
        request, waited_s = failed.request, round(time.monotonic() - failed.began, 3)
        seconds = len(request.audio) / SAMPLE_RATE
        self.pipeline.on_event(WindowResent(by, request.start_s, seconds, sends, waited_s))

    async def _ask_local(self) -> None:
        provider = await asyncio.to_thread(self.local)
        if provider is None:
            self.no_local = True
            self._say(f"{UNREACHABLE.value}, and no local engine can run here: still trying it")
            return
        self.state = STANDING_IN
        self._say(f"{UNREACHABLE.value} for {self.tuning.after_s:g} s: switching to {provider.name} here")
        self.pipeline.swap(provider)
        incoming = self.pipeline.swapper.incoming
        self._standing_in = incoming.worker if incoming is not None else None
        if self._probe is None or self._probe.done():
            self._probe = asyncio.create_task(self._wait_for_server())

    async def _wait_for_server(self) -> None:
        """While a local engine stands in: ask the server every `probe_s`; once it answers, it loads through
        the hot swap and takes over at the next utterance boundary (asked again if that load fails)."""
        pipeline = self.pipeline
        while self._standing_in is not None:
            await asyncio.sleep(self.tuning.probe_s)
            if self._standing_in is not pipeline.worker or not await asyncio.to_thread(self._answers):
                continue  # not standing in yet (loading), or the server is still gone
            pipeline.swap(self.server())
            incoming = pipeline.swapper.incoming
            if incoming is None:
                continue
            incoming.worker.outage = self.ride_out
            await asyncio.gather(incoming.task, return_exceptions=True)
            while pipeline.swapper.incoming is incoming:  # loaded: waiting for an utterance boundary
                await asyncio.sleep(self.tuning.retry_s / 4)
            if pipeline.worker is incoming.worker:
                self._server_back("the server answers again: it transcribes from here on")

    def _answers(self) -> bool:
        """Whether the server answers now (its model list), on a worker thread."""
        provider = self.server()
        try:
            provider.load()
        except Exception as error:  # EchoError: still unreachable (or refusing): asked again later
            log.info("server still unreachable: %s", one_line(error))
            return False
        finally:
            provider.close()
        return True

    def _server_back(self, line: str) -> None:
        if self.state is not None:
            self._say(line)
        self.state, self._standing_in = None, None

    def _say(self, line: str) -> None:
        self.pipeline.on_event(EngineNotice(self.pipeline.worker.provider.name, line))

    async def close(self) -> None:
        self._standing_in = None
        if self._probe is not None:
            self._probe.cancel()
            await asyncio.gather(self._probe, return_exceptions=True)
