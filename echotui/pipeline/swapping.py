"""Hot swap: another provider (or model) loads on its own thread while the current one keeps transcribing,
and takes over at an utterance boundary, so no audio is lost; a load that fails leaves the current one
running and says why (`SwapFailed`). When the engine is behind (`SwapHost.behind`) the next boundary may be
many slow calls away, and a user swapping for a faster model is swapping because of that: the swap then
takes over between engine calls, as the overload governor's does. So does a swap that has waited
`BOUNDARY_WAIT_S` for a boundary: someone who talks on without a pause would otherwise wait for it as long as
they talk."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Protocol

from echotui.errors import one_line
from echotui.pipeline import events
from echotui.pipeline.worker import IncomingSwap, InferenceWorker
from echotui.providers.base import Provider

log = logging.getLogger(__name__)

BOUNDARY_WAIT_S = 2.0
"""How long a loaded swap waits for an utterance boundary before it takes over between engine calls."""


class SwapHost(Protocol):
    """What a hot swap needs of the pipeline: the worker running now (replaced at the swap), its event
    listener, whether no utterance is open or being transcribed (a swap may take over now), and whether
    the engine is behind (a swap need not wait for the next boundary)."""

    worker: InferenceWorker
    on_event: Callable[[events.PipelineEvent], None]

    @property
    def idle(self) -> bool: ...

    @property
    def behind(self) -> bool: ...


class HotSwap:
    """The provider loading to take over at the next boundary (`incoming`), if any, and the workers it
    replaced that are still closing."""

    def __init__(self, pipeline: SwapHost) -> None:
        self.pipeline = pipeline
        self.incoming: IncomingSwap | None = None
        self.urgent = False
        """The incoming swap takes over as soon as it is loaded, mid-utterance and mid-call (the overload
        governor's: the words already committed stay; a call still running is asked of the new model)."""
        self._retiring: set[asyncio.Task[None]] = set()

    def request(self, provider: Provider, urgent: bool = False) -> None:
        """Start loading `provider` (call on the event loop). A newer request replaces one still loading."""
        incoming = IncomingSwap(InferenceWorker(provider, self.pipeline.worker.gate), time.monotonic())
        self.incoming, self.urgent = incoming, urgent
        incoming.task = asyncio.create_task(self._load(incoming))

    async def _load(self, incoming: IncomingSwap) -> None:
        try:
            await incoming.worker.load()
        except Exception as error:  # EchoError carries a one-line fix; anything else is named
            log.warning("loading %s failed", incoming.worker.provider.name, exc_info=True)
            if self.incoming is incoming:
                self.incoming, self.urgent = None, False
                self.pipeline.on_event(events.SwapFailed(incoming.worker.provider.name, one_line(error)))
            await incoming.worker.close()
            return
        if self.incoming is not incoming:  # superseded by a newer request while loading
            await incoming.worker.close()
        elif self.pipeline.idle or self.urgent:
            self.switch()  # idle (silence), or the governor's swap: take over now
        elif self.pipeline.behind:  # the next boundary may be many slow calls away: between two calls
            self.urgent = True
        else:  # speech goes on: the next boundary may be as far away as the speaker's next pause
            asyncio.get_running_loop().call_later(BOUNDARY_WAIT_S, self._waited, incoming)

    def _waited(self, incoming: IncomingSwap) -> None:
        if self.incoming is incoming:  # not taken over (nor superseded) at a boundary meanwhile
            self.urgent = True

    def switch(self) -> None:
        """Hand over to the loaded incoming worker. Only called between engine calls, at a boundary."""
        incoming, pipeline = self.incoming, self.pipeline
        if incoming is None or incoming.worker.loaded is None:
            return
        urgent, self.incoming, self.urgent = self.urgent, None, False
        previous, pipeline.worker = pipeline.worker, incoming.worker
        if urgent:  # a call still running on the old engine is asked of the new one
            previous.overtake(incoming.worker)
        self._retire(previous)
        swap_s = time.monotonic() - incoming.requested
        pipeline.on_event(
            events.ProviderSwapped(
                previous.loaded, incoming.worker.loaded, incoming.worker.load_s or 0.0, swap_s
            )
        )

    def cancel(self) -> None:
        """Drop the incoming provider, loading or loaded: the current one keeps running."""
        incoming, self.incoming, self.urgent = self.incoming, None, False
        if incoming is not None and incoming.task.done():  # still loading: `_load` closes it when done
            self._retire(incoming.worker)

    def _retire(self, worker: InferenceWorker) -> None:
        task = asyncio.create_task(worker.close())
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def close(self) -> None:
        """Release a provider still loading and the ones still closing."""
        if self.incoming is not None:
            incoming, self.incoming = self.incoming, None
            await asyncio.gather(incoming.task, return_exceptions=True)
            await incoming.worker.close()
        await asyncio.gather(*self._retiring, return_exceptions=True)
