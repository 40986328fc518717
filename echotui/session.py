"""One live-transcription session for the app: the source, the pipeline, the whole transcript, and the
changes a user asks for while it runs (device, provider, model, pause). Never imports Textual."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from echotui.audio.recording import start_recording
from echotui.audio.switching import LoopingSource, Source, SwitchableSource
from echotui.config import Settings
from echotui.pipeline.events import FinalTranscribed, PipelineEvent, ProviderSwapped
from echotui.pipeline.journal import Journal, open_journal
from echotui.pipeline.metrics import MetricsSnapshot
from echotui.pipeline.output import TranscriptWriter
from echotui.pipeline.runner import Pipeline, PipelineConfig
from echotui.providers.base import Provider
from echotui.providers.registry import create_provider
from echotui.providers.select import Recommendation


def open_source(file: Path | None, device: str | None, speed: float, loop: bool) -> Source:
    """A file replayed as live (optionally looping), or a capture device (None = the default one)."""
    if file is not None:
        from echotui.audio.file_source import FileSource

        if loop:
            return LoopingSource(lambda: FileSource(file, speed=speed))
        return FileSource(file, speed=speed)
    from echotui.audio.device_source import DeviceSource
    from echotui.audio.devices import choose_device

    return DeviceSource(choose_device(device))


class Session:
    """A running transcription the UI watches and steers.

    Attributes:
        settings: what runs now (updated when a swap takes over).
        source: the audio source, switchable while capturing.
        pipeline: the streaming pipeline.
        finals: every final text of the session, kept whole even when the screen is cleared.
        journal: the session's journal on disk (every final, flushed as it arrives), None if the state
            folder could not be written or `journal=False`.
    """

    def __init__(
        self,
        settings: Settings,
        source: Source,
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
            provider or create_provider(settings), PipelineConfig.from_settings(settings), self._on_event
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
        self.pipeline.stop()

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

    def measure_best(self) -> Recommendation | None:
        """When "auto" was decided at start-up without measuring: measure this machine now (slow, so off
        the event loop) and return the recommendation. None when there is nothing to refine."""
        if self.refine is None:
            return None
        from echotui.providers.auto import recommend_here

        asked, explicit = self.refine
        self.refine = None
        return recommend_here(asked, explicit, measure=True)[2]

    def adopt(self, best: Recommendation) -> str:
        """Swap to `best` if it differs from what runs (call on the event loop); says what was done."""
        from echotui.providers.availability import describe

        if (best.provider, best.model) == (self.settings.provider, self.settings.model):
            return f"measured this machine: keeping {best.provider} {best.model}"
        self.swap(provider=best.provider, model=best.model)
        return f"measured this machine, switching: {describe(best)}"

    def use_device(self, device: str | int) -> None:
        """Capture from another input device from now on (the timeline and the queue go on)."""
        from echotui.audio.device_source import DeviceSource
        from echotui.audio.devices import choose_device

        self.source.switch(DeviceSource(choose_device(device)))

    def save(self, path: Path, fmt: str) -> Path:
        """Write the whole transcript so far (not just what is on screen)."""
        with path.open("w", encoding="utf-8") as stream:
            writer = TranscriptWriter(stream, fmt)
            for final in self.finals:
                writer(final)
            writer.close()
        return path
