"""Which providers exist: name → class, each class declaring its `Capabilities`; the names the seed server
used; and building a provider from settings. The one place provider names are listed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from echotui.errors import EchoError
from echotui.providers.base import Capabilities, Provider
from echotui.providers.fasterwhisper import FasterWhisperProvider
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
AUTO = "auto"
AUTO_MEANS = WhisperCppProvider.name
"""What "auto" means when nothing measured or chose otherwise: whisper.cpp, which runs everywhere."""
SEED_NAMES = {"whisper_cpp": "whispercpp", "faster_whisper": "faster-whisper", "voxtral_realtime": "voxtral"}
"""The spellings of the seed server's documented ECHOPANEL_ASR_PROVIDER values."""


def provider_names(auto: bool = False) -> tuple[str, ...]:
    """The providers' names as `--provider` takes them, "auto" first when asked for."""
    return (AUTO, *PROVIDERS) if auto else tuple(PROVIDERS)


def canonical_name(name: str) -> str:
    """The provider's own name for `name` (the seed's spellings and any case accepted; "auto" kept)."""
    key = name.strip().lower()
    key = SEED_NAMES.get(key, key)
    if key != AUTO and key not in PROVIDERS:
        raise EchoError(f"unknown provider {name!r}: choose one of {', '.join(provider_names(auto=True))}")
    return key


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
