"""What the user can choose from while a session runs: input devices, engines and models, and a device
to capture from instead. Listing is slow (PortAudio, hardware, model folders): the app calls these off the
event loop. Mixed into `Session`. Never imports Textual."""

from __future__ import annotations

import asyncio

from echotui.audio.devices import InputDevice
from echotui.audio.opening import open_source
from echotui.audio.switching import SwitchableSource
from echotui.config import Settings
from echotui.errors import EchoError
from echotui.models.catalog import ModelEntry
from echotui.providers.base import LoadedModel, Provider
from echotui.providers.registry import provider_class
from echotui.selection.status import ProviderStatus


class Choices:
    """The pickers' lists for a session (`Session` provides `settings`, `source` and `loaded`)."""

    settings: Settings
    source: SwitchableSource

    @property
    def loaded(self) -> LoadedModel | None:
        raise NotImplementedError

    @property
    def engine(self) -> Provider:
        raise NotImplementedError

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
        """The provider whose catalogue applies now, and its models, the running one first and marked
        (EchoError for a provider without a catalogue); for a server engine, the models its server lists."""
        from echotui.models.catalog import catalogue_provider
        from echotui.models.local import models_with_running

        served, loaded = self.engine.served_models, self.loaded
        if served is not None and loaded is not None:  # a server engine: the models its server serves
            name, where = self.engine.name, loaded.backend
            return name, [ModelEntry(name, m, None, True, where, "server", m == loaded.model) for m in served]
        provider = catalogue_provider(provider_class(self.settings.provider).name)
        return provider, models_with_running(provider, self.settings.models_dir, self.loaded)

    async def use_device(self, device: str | int) -> None:
        """Capture from another input device from now on (the timeline and the queue go on). PortAudio is
        queried and the stream opened off the event loop."""
        source = await asyncio.to_thread(open_source, None, device, self.settings.speed)
        self.source.switch(source)
