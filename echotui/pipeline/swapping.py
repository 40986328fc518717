"""Hot swap: another provider (or model) loads on its own thread while the current one keeps transcribing,
and takes over at an utterance boundary, so no audio is lost; a load that fails leaves the current one
running and says why (`SwapFailed`)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from echotui.errors import one_line
from echotui.pipeline import events
from echotui.pipeline.worker import InferenceWorker, PendingSwap
from echotui.providers.base import Provider

if TYPE_CHECKING:
    from echotui.pipeline.runner import Pipeline

log = logging.getLogger(__name__)


class HotSwap:
    """The pipeline's pending provider, if any, and the workers it replaced that are still closing."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.pending: PendingSwap | None = None
        self.urgent = False
        """The pending swap takes over as soon as it is loaded, mid-utterance and mid-call (the overload
        governor's: the words already committed stay; a call still running is asked of the new model)."""
        self._retiring: set[asyncio.Task[None]] = set()

    def request(self, provider: Provider, urgent: bool = False) -> None:
        """Start loading `provider` (call on the event loop). A newer request replaces one still loading."""
        pending = PendingSwap(InferenceWorker(provider, self.pipeline.worker.gate), time.monotonic())
        self.pending, self.urgent = pending, urgent
        pending.task = asyncio.create_task(self._load(pending))

    async def _load(self, pending: PendingSwap) -> None:
        try:
            await pending.worker.load()
        except Exception as error:  # EchoError carries a one-line fix; anything else is named
            log.warning("loading %s failed", pending.worker.provider.name, exc_info=True)
            if self.pending is pending:
                self.pending, self.urgent = None, False
                self.pipeline.on_event(events.SwapFailed(pending.worker.provider.name, one_line(error)))
            await pending.worker.close()
            return
        if self.pending is not pending:  # superseded by a newer request while loading
            await pending.worker.close()
        elif self.pipeline.idle or self.urgent:
            self.switch()  # idle (silence), or the governor's swap: take over now

    def switch(self) -> None:
        """Hand over to the loaded pending worker. Only called between engine calls, at a boundary."""
        pending, pipeline = self.pending, self.pipeline
        if pending is None or pending.worker.loaded is None:
            return
        urgent, self.pending, self.urgent = self.urgent, None, False
        previous, pipeline.worker = pipeline.worker, pending.worker
        if urgent:  # a call still running on the old engine is asked of the new one
            previous.overtake(pending.worker)
        task = asyncio.create_task(previous.close())
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)
        swap_s = time.monotonic() - pending.requested
        pipeline.on_event(
            events.ProviderSwapped(
                previous.loaded, pending.worker.loaded, pending.worker.load_s or 0.0, swap_s
            )
        )

    async def close(self) -> None:
        """Release a provider still loading and the ones still closing."""
        if self.pending is not None:
            pending, self.pending = self.pending, None
            await asyncio.gather(pending.task, return_exceptions=True)
            await pending.worker.close()
        await asyncio.gather(*self._retiring, return_exceptions=True)
