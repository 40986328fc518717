"""The revision layer's own engine: `--revise-model` (a name or a path), else the live model loaded again,
on a thread of its own whose CPU priority is lowered, so a revision never holds up a live pass: the live
engine's threads take the cores first, and the revision runs in the time they leave. It follows the live
engine: after a swap it is made again for the model the live engine runs then (`RevisionEngines`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

from echotui.errors import EchoError
from echotui.pipeline.vad import NoGate
from echotui.pipeline.worker import InferenceWorker
from echotui.providers.base import LoadedModel, Provider

if TYPE_CHECKING:
    from echotui.config import Settings

log = logging.getLogger(__name__)

RevisionEngine = Callable[[Provider, LoadedModel | None, float], Provider]
"""Makes the revision's engine from the live one, the model it runs, and the share of the live engine's
threads it may use."""


def revision_engine_for(settings: Settings) -> RevisionEngine:
    """The revision's engine as `settings` ask for it (`--revise-model`, `--threads`)."""

    def make(live: Provider, loaded: LoadedModel | None, thread_share: float) -> Provider:
        return revision_provider(settings, live, loaded, max(1, int(settings.threads * thread_share)))

    return make


def revision_provider(
    settings: Settings, live: Provider, loaded: LoadedModel | None, threads: int
) -> Provider:
    """An engine of the live one's kind, for the revision alone, on `threads` CPU threads (never the live
    engine itself: its native context belongs to the live thread). Without `--revise-model` it loads the
    model the live engine runs now (`loaded`), which a swap since the start (a model picked after a failed
    load, a governor's step) may have changed from the one the settings named."""
    wanted = settings.for_revision()
    if not settings.revise_model and loaded is not None and Path(loaded.path).exists():
        check_memory(loaded)  # a second copy nobody named: said before it is loaded, not after
        wanted = replace(wanted, model=loaded.model, model_path=Path(loaded.path))
    return type(live).from_settings(replace(wanted, threads=threads))


MEMORY_MARGIN = 1.25
"""A second copy of a model takes about its size on disk, and a quarter more for its buffers."""


def model_bytes(loaded: LoadedModel) -> int:
    """The size on disk of what the engine loaded: its file (the copy it runs, where it runs one), or the
    files of its folder (CTranslate2)."""
    path = Path(loaded.runs or loaded.path)
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size


def check_memory(loaded: LoadedModel) -> None:
    """Refuse the revision its own copy of the live model where the memory free now cannot hold it: the
    live words go on and are kept, and the machine does not swap for a revision the user did not ask for
    by name."""
    needed, free = model_bytes(loaded) * MEMORY_MARGIN, psutil.virtual_memory().available
    if needed > free:
        raise EchoError(
            f"no memory for the revision's own copy of {loaded.model} (about {needed / 2**30:.1f} GB, "
            f"{free / 2**30:.1f} GB free): name a smaller one with --revise-model, or --no-revise"
        )


def lower_priority(nice: int) -> None:
    """Lower the calling thread's CPU priority to `nice` (on Linux a thread has its own nice value, and
    the threads it starts, the engine's own pool, inherit it). Elsewhere nothing changes."""
    if not sys.platform.startswith("linux"):
        return
    thread = threading.get_native_id()
    with contextlib.suppress(OSError):  # not allowed here: the revision runs at the live engine's priority
        os.setpriority(os.PRIO_PROCESS, thread, max(nice, os.getpriority(os.PRIO_PROCESS, thread)))


class RevisionWorker(InferenceWorker):
    """An `InferenceWorker` for the revision: no speech gate (the VAD already chose the audio), and its
    thread's priority lowered before the model loads (so the engine's threads are started lowered too)."""

    def __init__(self, provider: Provider, nice: int) -> None:
        super().__init__(provider, NoGate())
        self.nice = nice

    async def load(self, until: asyncio.Event | None = None) -> LoadedModel | None:
        await asyncio.get_running_loop().run_in_executor(self._executor, lower_priority, self.nice)
        return await super().load(until)


class RevisionEngines:
    """The revision's worker, made for the model the live engine runs now: at the first revision, and
    again after a swap (a model or provider picked while capturing, a governor's step), so what the user
    keeps is revised by the engine they chose. A `provider` given to it is used whatever the live engine
    runs (a test's double)."""

    def __init__(self, make: RevisionEngine | None, nice: int, thread_share: float) -> None:
        self.make, self.nice, self.thread_share = make, nice, thread_share
        self.provider: Provider | None = None
        self.worker: RevisionWorker | None = None
        self._made_for: LoadedModel | None = None  # the live model the worker's engine was made for

    async def follow(self, live: Provider, loaded: LoadedModel | None) -> None:
        """Have a worker for `loaded`, the model `live` runs: the one there, or a new one loaded."""
        if self.worker is not None and (self.provider is not None or loaded == self._made_for):
            return
        if self.provider is None and self.make is None:
            raise EchoError("no engine for the revision: build the pipeline from the settings")
        if self.worker is not None:
            log.info("the live engine now runs %s: the revision follows", loaded)
            await self.worker.close()
        provider = self.provider or self.make(live, loaded, self.thread_share)  # type: ignore[misc]
        self.worker, self._made_for = RevisionWorker(provider, self.nice), loaded
        await self.worker.load()

    async def close(self) -> None:
        if self.worker is not None:
            await self.worker.close()
