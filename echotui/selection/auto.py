"""Resolving provider "auto" on this machine (measure, recommend, apply)."""

from __future__ import annotations

from dataclasses import replace

from echotui.config import Settings
from echotui.models.catalog import is_local, provider_for_path, scan_models_dir
from echotui.providers.registry import AUTO, catalogue_providers
from echotui.selection.hardware import Hardware, detect_hardware
from echotui.selection.select import Recommendation, apply_recommendation, recommend
from echotui.selection.status import ProviderStatus, provider_statuses
from echotui.selection.timing import CachedEncoderTimer


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
    if settings.provider != AUTO:
        return settings, None
    if settings.model_path is not None:
        return replace(settings, provider=provider_for_path(settings.model_path)), None
    _, statuses, recommendation = recommend_here(settings, explicit, measure)
    chosen = apply_recommendation(settings, recommendation, explicit)
    available = [s.name for s in statuses if s.available and s.name in catalogue_providers()]
    if "provider" in explicit:
        available = [name for name in available if name == chosen.provider]
    local = _local_instead(chosen, explicit, available)
    if local is not None:
        return local
    return chosen, recommendation.describe()


def _local_instead(
    settings: Settings, explicit: set[str], available: list[str]
) -> tuple[Settings, str] | None:
    """With `--models-dir` and no model chosen: when the recommended model is not on disk but the folder
    holds a model an available engine loads, that one (and the line that says so), instead of a download."""
    if settings.models_dir is None or explicit & {"model", "model_path"} or not available:
        return None
    if settings.provider in available and is_local(settings.model, settings.provider, settings.models_dir):
        return None
    entries = sorted(
        scan_models_dir(settings.models_dir, available), key=lambda e: e.provider != settings.provider
    )
    if not entries:
        return None
    entry = entries[0]
    note = f"using {entry.provider} {entry.name} from {settings.models_dir} ({settings.model} is not here)"
    return replace(settings, provider=entry.provider, model=entry.name).validate(), note


def on_disk(settings: Settings, provider: str, model: str) -> bool:
    """Whether `provider` runs `model` without a download (engines without a catalogue: always)."""
    if provider not in catalogue_providers():
        return True
    return is_local(model, provider, settings.models_dir)


def needs_refining(settings: Settings) -> bool:
    """Whether an "auto" choice made without measuring should be checked by measuring later."""
    return settings.provider == AUTO and settings.model_path is None
