"""Which providers exist, and building one from settings."""

from __future__ import annotations

from echotui.config import Settings
from echotui.providers.base import Provider
from echotui.providers.whispercpp import WhisperCppProvider


def create_provider(settings: Settings) -> Provider:
    """The provider the settings ask for ("auto" picks whisper.cpp, which runs everywhere)."""
    name = "whispercpp" if settings.provider == "auto" else settings.provider
    if name == "whispercpp":
        return WhisperCppProvider(
            settings.model,
            settings.model_path,
            models_dir=settings.models_dir,
            token=settings.hf_token,
            threads=settings.threads,
            use_gpu=settings.whisper_device != "cpu",
            language=settings.language,
        )
    raise ValueError(f"unknown provider {name!r}")  # Settings.validate() rejects this first
