"""Which providers exist: name → class, each class declaring its `Capabilities` and what it knows about
running on a machine; and building a provider from settings. The names are spelled in `providers.names`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from echotui.providers.base import Capabilities, Provider
from echotui.providers.fasterwhisper import FasterWhisperProvider
from echotui.providers.names import AUTO, canonical_name
from echotui.providers.remote import RemoteProvider
from echotui.providers.voxtral import VoxtralProvider
from echotui.providers.whispercpp import WhisperCppProvider
from echotui.providers.wyoming import WyomingProvider

if TYPE_CHECKING:
    from echotui.config import Settings

PROVIDERS: dict[str, type[Provider]] = {
    cls.name: cls
    for cls in (WhisperCppProvider, FasterWhisperProvider, VoxtralProvider, RemoteProvider, WyomingProvider)
}
AUTO_MEANS = WhisperCppProvider.name
"""What "auto" means when nothing measured or chose otherwise: whisper.cpp, which runs everywhere."""


def provider_class(name: str) -> type[Provider]:
    """The class behind a provider name; "auto" is whisper.cpp here (the CLI resolves "auto" first)."""
    name = canonical_name(name)
    return PROVIDERS[AUTO_MEANS if name == AUTO else name]


def capabilities(name: str) -> Capabilities:
    return provider_class(name).capabilities


def catalogue_providers() -> tuple[str, ...]:
    """The providers whose models the catalogue lists and downloads."""
    return tuple(name for name, cls in PROVIDERS.items() if cls.capabilities.model_format is not None)


def create_provider(settings: Settings) -> Provider:
    """The provider the settings ask for, configured by them."""
    return provider_class(settings.provider).from_settings(settings)
