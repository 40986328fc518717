"""Resolving provider "auto" on this machine (measure, recommend, apply)."""

from __future__ import annotations

from dataclasses import replace

from echotui.config import Settings
from echotui.selection.hardware import Hardware, detect_hardware
from echotui.selection.select import CachedEncoderTimer, Recommendation, apply_recommendation, recommend
from echotui.selection.status import ProviderStatus, describe, provider_statuses


def recommend_here(
    settings: Settings, explicit: set[str], measure: bool = True
) -> tuple[Hardware, list[ProviderStatus], Recommendation]:
    """This machine's facts, its providers' status, and the recommendation (EchoError if none runs).
    With `measure` False only timings already cached are used (else estimates): instant, for start-up."""
    hardware = detect_hardware()
    statuses = provider_statuses(hardware, settings)
    timer = CachedEncoderTimer(
        hardware,
        models_dir=settings.models_dir,
        threads=settings.threads,
        measure=None if measure else (lambda provider, model, device: None),
    )
    return hardware, statuses, recommend(hardware, statuses, settings, timer, explicit)


def auto_select(settings: Settings, explicit: set[str], measure: bool = True) -> tuple[Settings, str | None]:
    """Resolve provider "auto": from the model file's kind when one is given, else by recommendation.
    Returns the settings and, when a recommendation decided, the line that says what and why."""
    if settings.provider != "auto":
        return settings, None
    if settings.model_path is not None:
        from echotui.models.ct2_models import is_ct2_model

        provider = "faster-whisper" if is_ct2_model(settings.model_path) else "whispercpp"
        return replace(settings, provider=provider), None
    _, _, recommendation = recommend_here(settings, explicit, measure)
    return apply_recommendation(settings, recommendation, explicit), describe(recommendation)


def needs_refining(settings: Settings) -> bool:
    """Whether an "auto" choice made without measuring should be checked by measuring later."""
    return settings.provider == "auto" and settings.model_path is None
