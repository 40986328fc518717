"""One live-transcription session: the source, the pipeline, the whole transcript, and the changes a user
asks for while it runs (device, provider, model, pause). The app and `echotui transcribe` both run through
it, and the app asks it for devices, providers and models. Never imports Textual."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from echotui.audio.devices import InputDevice
from echotui.audio.recording import start_recording
from echotui.audio.source import AudioSource
from echotui.audio.switching import LoopingSource, SwitchableSource
from echotui.config import Settings
from echotui.errors import EchoError
from echotui.models.catalog import ModelEntry
from echotui.models.downloads import describe_download
from echotui.pipeline.events import FinalTranscribed, PipelineEvent, ProviderSwapped
from echotui.pipeline.journal import Journal, open_journal
from echotui.pipeline.metrics import MetricsSnapshot
from echotui.pipeline.output import TranscriptWriter
from echotui.pipeline.runner import Pipeline
from echotui.providers.base import LoadedModel, Provider
from echotui.providers.registry import create_provider, provider_class
from echotui.selection.select import Recommendation
from echotui.selection.status import ProviderStatus


def open_source(
    file: Path | None,
    device: str | int | None,
    speed: float,
    loop: bool = False,
    duration_s: float | None = None,
) -> AudioSource:
    """A file replayed as live (optionally looping), or a capture device (None = the default one),
    optionally for `duration_s` seconds. Opening a device queries PortAudio: call it off the event loop."""
    if file is not None:
        from echotui.audio.file_source import FileSource

        if loop:
            return LoopingSource(lambda: FileSource(file, speed=speed))
        return FileSource(file, speed=speed)
    from echotui.audio.device_source import DeviceSource
    from echotui.audio.devices import choose_device

    return DeviceSource(choose_device(device), duration_s=duration_s)


class Session:
    """A running transcription the UI (or the headless CLI) watches and steers.

    Attributes:
        settings: what runs now (updated when a swap takes over).
        source: the audio source, switchable while capturing.
        pipeline: the streaming pipeline.
        finals: every final text of the session, kept whole even when the screen is cleared.
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
    ) -> None:
        self.settings = settings
        self.source = SwitchableSource(source)
        self.journal: Journal | None = open_journal(settings, source.description) if journal else None
        self.finals: list[FinalTranscribed] = []
        self.listeners: list[Callable[[PipelineEvent], None]] = []
        self._requested: Settings | None = None
        self.refine: tuple[Settings, set[str]] | None = None
        """The user's own settings and explicit names, when "auto" was decided without measuring."""
        self.pipeline = Pipeline(
            provider or create_provider(settings), settings, self._on_event, progress=describe_download
        )
        journal_path = self.journal.path if self.journal else None
        self.recording = start_recording(journal_path, self.pipeline.queue) if record else None
        """`--record`: the captured audio beside the journal (None without)."""

    def _on_event(self, event: PipelineEvent) -> None:
        if self.journal is not None:
            self.journal(event)
        if isinstance(event, FinalTranscribed):
            self.finals.append(event)
        elif isinstance(event, ProviderSwapped) and self._requested is not None:
            self.settings, self._requested = self._requested, None
        for listener in list(self.listeners):
            listener(event)

    async def run(self) -> None:
        """Transcribe until the source ends or `stop()`; always releases the engine."""
        try:
            await self.pipeline.run(self.source)
        finally:
            if self.journal is not None:
                self.journal.close(self.pipeline.ledger(), self.pipeline.failure)
            if self.recording is not None:
                await asyncio.to_thread(self.recording.close)
            await self.pipeline.close()

    def stop(self) -> None:
        """Stop taking audio; what was captured is still transcribed before `run()` returns."""
        self.pipeline.stop()

    @property
    def stopping(self) -> bool:
        return self.pipeline.stopping

    @property
    def loaded(self) -> LoadedModel | None:
        """The engine running now, once its model is loaded."""
        return self.pipeline.worker.loaded

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

    def swap(self, provider: str | None = None, model: str | None = None) -> Settings:
        """Start loading another provider and/or model; it takes over at an utterance boundary.
        Returns the settings it will run with."""
        wanted = replace(
            self.settings,
            provider=provider or self.settings.provider,
            model=model or self.settings.model,
            model_path=None if (model or provider) else self.settings.model_path,
        )
        self._requested = wanted
        self.pipeline.swap(create_provider(wanted))
        return wanted

    # ---- what the user can choose from (slow: the app calls these off the event loop) -----------------

    def devices(self) -> list[InputDevice]:
        """The input devices to choose from; EchoError with what to check when PortAudio lists none."""
        from echotui.audio.devices import NO_DEVICE, list_input_devices

        devices = list_input_devices()
        if not devices:
            raise EchoError(NO_DEVICE)
        return devices

    def providers(self) -> list[ProviderStatus]:
        from echotui.selection.hardware import detect_hardware
        from echotui.selection.status import provider_statuses

        return provider_statuses(detect_hardware(), self.settings)

    def models(self) -> tuple[str, list[ModelEntry]]:
        """The provider whose catalogue applies now, and its models (EchoError for one without)."""
        from echotui.models.catalog import catalogue_provider, list_models

        provider = catalogue_provider(provider_class(self.settings.provider).name)
        return provider, list_models(self.settings.models_dir, (provider,))

    async def use_device(self, device: str | int) -> None:
        """Capture from another input device from now on (the timeline and the queue go on). PortAudio is
        queried and the stream opened off the event loop."""
        source = await asyncio.to_thread(open_source, None, device, self.settings.speed)
        self.source.switch(source)

    # ---- measuring the machine after a quick start -------------------------------------------------------

    def measure_best(self, speech: Callable[[], np.ndarray | None] | None = None) -> Recommendation | None:
        """When "auto" was decided at start-up without measuring: measure this machine now (slow, so off
        the event loop) and return the recommendation; with `speech` (the user's speech, once heard), the
        engines that have the model are also timed decoding it and the faster one is recommended. None
        when there is nothing to refine, or when the session runs a model from `--models-dir` or the
        `echotui[tiny]` extra and the better fit is not on disk (no download unasked)."""
        if self.refine is None:
            return None
        from echotui.selection.auto import on_disk, recommend_here, runs_local_choice

        asked, explicit = self.refine
        self.refine = None
        _, statuses, best = recommend_here(asked, explicit, measure=True)
        heard = speech() if speech is not None and "provider" not in explicit else None
        if heard is not None:  # the engines that have the model, timed on the user's own speech
            from echotui.providers.registry import catalogue_providers
            from echotui.selection.decode import faster_on_speech

            ready = [s.name for s in statuses if s.available and s.name in catalogue_providers()]
            others = [name for name in ready if on_disk(self.settings, name, best.model)]
            best = faster_on_speech(self.settings, best, others, heard)
        now = self.settings
        if runs_local_choice(now):
            return best if on_disk(now, best.provider, best.model) else None
        return best

    def recent_audio(self) -> np.ndarray:
        """The latest audio the pipeline took (up to its window reach), as a copy. Call on the event loop."""
        recent = self.pipeline.recent
        return recent.slice(recent.start, recent.end)

    def adopt(self, best: Recommendation) -> str | None:
        """Swap to `best` if it differs from what runs (call on the event loop); says what was done. None
        when nothing could be measured (no local model to time): the start-up choice stands, unsaid."""
        if not best.measured:
            return None
        if (best.provider, best.model) == (self.settings.provider, self.settings.model):
            return f"measured this machine: keeping {best.provider} {best.model}"
        self.swap(provider=best.provider, model=best.model)
        return f"measured this machine, switching: {best.describe()}"

    def save(self, path: Path, fmt: str) -> Path:
        """Write the whole transcript so far (not just what is on screen)."""
        with path.open("w", encoding="utf-8") as stream:
            writer = TranscriptWriter(stream, fmt)
            for final in self.finals:
                writer(final)
            writer.close()
        return path
