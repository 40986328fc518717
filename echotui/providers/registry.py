"""Which providers exist, and building one from settings."""

from __future__ import annotations

from echotui.config import Settings
from echotui.providers.base import ModelChoice, Provider


def create_provider(settings: Settings) -> Provider:
    """The provider the settings ask for. The CLI resolves "auto" first (`cli.auto_select`); here it
    falls back to whisper.cpp, which runs everywhere."""
    name = "whispercpp" if settings.provider == "auto" else settings.provider
    choice = ModelChoice(settings.model, settings.model_path, settings.models_dir, settings.hf_token)
    if name == "whispercpp":
        from echotui.providers.whispercpp import WhisperCppProvider

        return WhisperCppProvider(
            choice,
            threads=settings.threads,
            use_gpu=settings.whisper_device != "cpu",
            language=settings.language,
        )
    if name == "faster-whisper":
        from echotui.providers.fasterwhisper import FasterWhisperProvider

        return FasterWhisperProvider(
            choice,
            device=settings.whisper_device,
            compute_type=settings.whisper_compute,
            threads=settings.threads,
            language=settings.language,
        )
    if name == "voxtral":
        from echotui.providers.voxtral import VoxtralProvider

        return VoxtralProvider(
            settings.voxtral_bin, settings.voxtral_model, interval_s=settings.voxtral_interval
        )
    raise ValueError(f"unknown provider {name!r}")  # Settings.validate() rejects this first
