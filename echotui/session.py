"""One live-transcription session: the source, the pipeline, the whole transcript, and the changes a user
asks for while it runs (device, provider, model, pause). It is the one way in to the engine: the app,
`echotui transcribe`, `bench` and `replay` all run through it (its pipeline is built in `assembly`), and
the app asks it for devices, providers and models (`choices`). Never imports Textual."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from echotui import SAMPLE_RATE
from echotui.assembly import build_pipeline
from echotui.audio.recording import start_recording
from echotui.audio.source import AudioSource
from echotui.audio.switching import SwitchableSource
from echotui.choices import Choices
from echotui.config import Settings as Settings
from echotui.local_fallback import watch_server
from echotui.models.catalog import ModelEntry as ModelEntry
from echotui.models.siblings import OnDiskLadder
from echotui.pipeline.events import (
    FinalTranscribed,
    LoadFailed,
    PipelineEvent,
    ProviderSwapped,
    SwapFailed,
    TranscriptRevised,
)
from echotui.pipeline.failures import ENGINE_FAILED_EXIT
from echotui.pipeline.governing import Governing
from echotui.pipeline.journal import Journal, open_journal
from echotui.pipeline.metrics import MetricsSnapshot
from echotui.pipeline.revised import apply_revision
from echotui.pipeline.state import Failure, State
from echotui.providers.base import LoadedModel, Provider
from echotui.providers.registry import catalogue_providers, create_provider
from echotui.refinement import Refinement, adopt, best_for_machine, start_refining
from echotui.selection.select import Recommendation
from echotui.transcript import describe, write_transcript

log = logging.getLogger(__name__)


class Session(Choices):
    """A running transcription the UI (or the headless CLI) watches and steers.

    Attributes:
        settings: what runs now (updated when a swap takes over).
        source: the audio source, switchable while capturing.
        pipeline: the streaming pipeline.
        finals: every final text of the session, revised, kept whole even when the screen is cleared.
        listeners: called with every pipeline event, on the event loop.
        journal: the session's journal on disk (every final, flushed as it arrives), None if the state
            folder could not be written or `journal=False`.
    """

    def __init__(
        self,
        settings: Settings,
        source: AudioSource,
        provider: Provider | None = None,
        journal: bool = True,
        record: bool = False,
        passes: Sequence[int] | None = None,
    ) -> None:
        """`provider`: the engine to run instead of the one `settings` name; `journal`: keep one on disk;
        `record`: keep the captured audio beside it; `passes`: a replay's schedule (`assembly`)."""
        self.settings = settings
        self.source = SwitchableSource(source)
        self.journal: Journal | None = open_journal(settings, source.description) if journal else None
        self.finals: list[FinalTranscribed] = []
        self.listeners: list[Callable[[PipelineEvent], None]] = []
        self._requested: Settings | None = None
        self._woken = asyncio.Event()  # a model took over, or stop(): the wait after a failed load ends
        self.refine: tuple[Settings, set[str]] | None = None
        """The user's own settings and explicit names, when "auto" was decided without measuring."""
        self._refinement: Refinement | None = None
        self.pipeline = build_pipeline(settings, self._on_event, provider=provider, passes=passes)
        self.fallback = watch_server(self.pipeline, settings)
        """With a server as the engine: a local one stands in while it is gone (None otherwise)."""
        ladder = OnDiskLadder(settings.models_dir, lambda model, path: self.swap(None, model, path, True))
        self.pipeline.governing = Governing(self.pipeline, ladder, enabled=settings.governor)
        journal_path = self.journal.path if self.journal else None
        self.recording = start_recording(journal_path, self.pipeline.queue) if record else None
        """`--record`: the captured audio beside the journal (None without)."""

    def _on_event(self, event: PipelineEvent) -> None:
        if self.journal is not None:
            self.journal(event)
        if isinstance(event, FinalTranscribed):
            self.finals.append(event)
        elif isinstance(event, TranscriptRevised):
            self.finals = apply_revision(self.finals, event)
        elif isinstance(event, ProviderSwapped):
            if self._requested is not None:
                self.settings, self._requested = self._requested, None
            self.pipeline.failure = None  # a model runs: a failed load before it is over
            self._woken.set()
        elif isinstance(event, SwapFailed) and self.loaded is None and self._load_failed:
            self.pipeline.failure = Failure(State.LOAD_FAILED, event.message)  # the way out failed too
            event = LoadFailed(event.provider, event.message)
        for listener in list(self.listeners):
            listener(event)

    async def load(self) -> bool:
        """Load the model now, before `run()` (bench times the load apart); False if `stop()` came first."""
        return await self.pipeline.load()

    async def run(self, wait_for_model: bool = False, keep_engine: bool = False) -> None:
        """Transcribe until the source ends or `stop()`; then releases the engine, unless `keep_engine`
        (bench calls it again on its own; `close()` releases it). With `wait_for_model`
        (the app, where the user can pick another), a model that fails to load does not end the session:
        `LoadFailed` says why, and a model the user picks (`swap`) takes over and starts transcribing. A
        quick "auto" start is checked meanwhile by measuring this machine in the background
        (`MachineMeasured` says what came of it)."""
        if self.refine is not None:
            heard_s = lambda: self.pipeline.transcribed / SAMPLE_RATE  # noqa: E731
            say = self._on_event
            self._refinement = start_refining(self.measure_best, heard_s, self.recent_audio, self.adopt, say)
        try:
            while True:
                try:
                    await self.pipeline.run(self.source)
                    return
                except Exception:
                    failed_load = self.loaded is None and self._load_failed
                    if not (wait_for_model and failed_load and await self._wait_for_model()):
                        raise
        finally:
            if self._refinement is not None:
                self._refinement.stop()
            self._close_journal()
            if self.recording is not None:
                await asyncio.to_thread(self.recording.close)
            if not keep_engine:
                await self.close()

    async def close(self) -> None:
        """Release the engine (and one still loading for a swap)."""
        await self.pipeline.close()

    async def _wait_for_model(self) -> bool:
        """After a failed load: say so, then wait (capturing nothing) until a model the user picks takes
        over (True), or until `stop()` (False: the failure stands)."""
        failure = self.pipeline.failure
        self._on_event(LoadFailed(self.pipeline.worker.provider.name, failure.reason if failure else "?"))
        if not self.stopping:
            await self._woken.wait()
        return self.loaded is not None

    def stop(self) -> None:
        """Stop taking audio; what was captured is still transcribed before `run()` returns. A measurement
        of the machine still running is abandoned."""
        if self._refinement is not None:
            self._refinement.stop()
        self.pipeline.stop()
        self._woken.set()

    def abandon(self) -> None:
        """End now, before what was captured is finished (`Pipeline.abandon`: the words on screen stay),
        and write the journal's end at once: a dead terminal may keep the app from ever getting further."""
        self.pipeline.abandon()
        self._close_journal()

    def _close_journal(self) -> None:
        """The journal's end: the ledger, and why it stopped (idempotent). Kept without words if a
        recording lies beside it."""
        if self.journal is not None:
            why = str(self.failure) if self.failure else None
            self.journal.close(self.pipeline.ledger(), why, keep_empty=self.recording is not None)

    @property
    def measuring(self) -> bool:
        """Whether a quick "auto" start is still being checked by measuring this machine."""
        return self._refinement is not None and self._refinement.running

    @property
    def failure(self) -> Failure | None:
        """Why the session stopped (or, while the user may still pick a model, why none loaded), else None."""
        return self.pipeline.failure

    @property
    def exit_code(self) -> int:
        """What the process exits with: non-zero when the engine (or its model) failed."""
        return ENGINE_FAILED_EXIT if self.failure else 0

    @property
    def _load_failed(self) -> bool:
        return self.failure is not None and self.failure.state is State.LOAD_FAILED

    @property
    def stopping(self) -> bool:
        return self.pipeline.stopping

    @property
    def loaded(self) -> LoadedModel | None:
        """The engine running now, once its model is loaded."""
        return self.pipeline.worker.loaded

    @property
    def engine(self) -> Provider:
        """The engine running now (loaded or not)."""
        return self.pipeline.worker.provider

    @property
    def load_s(self) -> float | None:
        return self.pipeline.worker.load_s

    def snapshot(self) -> MetricsSnapshot:
        return self.pipeline.snapshot()

    def toggle_pause(self) -> bool:
        """Pause or resume capture; True if now paused."""
        if self.pipeline.queue.paused:
            self.pipeline.resume()
            return False
        self.pipeline.pause()
        return True

    def swap(
        self,
        provider: str | None = None,
        model: str | None = None,
        model_path: Path | None = None,
        urgent: bool = False,
    ) -> Settings:
        """Start loading another provider and/or model (by name, or the file or folder `model_path`); it
        takes over at an utterance boundary (`urgent`: between engine calls). Returns the settings it will
        run with."""
        wanted = replace(
            self.settings,
            provider=provider or self.settings.provider,
            model=model or self.settings.model,
            model_path=model_path or (None if (model or provider) else self.settings.model_path),
        )
        self._requested = wanted
        self.pipeline.swap(create_provider(wanted), urgent)
        return wanted

    async def swap_engine(self, provider: str) -> Settings:
        """Swap to another engine with the Whisper size running now (tiny.en stays tiny.en), loaded from
        disk when it is there (`--models-dir`, the Hugging Face cache, beside the running model; the
        folders are read off the event loop)."""
        if provider not in catalogue_providers():  # Voxtral: its one model folder
            return self.swap(provider=provider)
        from echotui.models.local import same_size

        running = self.loaded.path if self.loaded is not None else self.settings.model_path
        now = self.settings
        name, path = await asyncio.to_thread(same_size, provider, running, now.model, now.models_dir)
        return self.swap(provider=provider, model=name, model_path=path)

    def open_model(self, path: Path) -> Settings:
        """Swap to the model file or folder at `path`, the engine worked out from it as `--model-path`
        does (EchoError, with the fix, for anything else)."""
        from echotui.models.local import checked_provider_for_path
        from echotui.models.naming import own_name

        path = path.expanduser()
        provider = checked_provider_for_path(path)
        return self.swap(provider=provider, model=own_name(path) or self.settings.model, model_path=path)

    # ---- measuring the machine after a quick start -------------------------------------------------------

    def measure_best(self, speech: Callable[[], np.ndarray | None] | None = None) -> Recommendation | None:
        """When "auto" was decided at start-up without measuring: the recommendation measured on this
        machine now (slow: off the event loop), `refinement.best_for_machine`; None when nothing to refine."""
        if self.refine is None:
            return None
        asked, explicit = self.refine
        self.refine = None
        return best_for_machine(asked, explicit, self.settings, speech)

    def recent_audio(self) -> np.ndarray:
        """The latest audio the pipeline took (up to its window reach), as a copy. Call on the event loop."""
        recent = self.pipeline.recent
        return recent.slice(recent.start, recent.end)

    def adopt(self, best: Recommendation) -> str | None:
        """Swap to `best` if it differs from what runs (call on the event loop); says what was done
        (`refinement.adopt`)."""
        return adopt(best, self.settings, lambda provider, model: self.swap(provider=provider, model=model))

    def describe(self, fmt: str) -> str:
        """What saving the whole transcript as `fmt` gives, in that format's words ("9 cues", "1 line")."""
        return describe(self.finals, fmt)

    def revision_stats(self) -> dict[str, str | float | int | None]:
        """How far behind the live words the revision ran (`--stats-json`)."""
        return self.pipeline.reviser.stats()

    def save(self, path: Path, fmt: str) -> Path:
        """Write the whole transcript so far, revised (not just what is on screen)."""
        return write_transcript(path, self.finals, fmt)
