"""Resolving provider "auto" on this machine (measure, recommend, apply)."""

from __future__ import annotations

from dataclasses import replace

from echotui.config import Settings
from echotui.models import bundled
from echotui.models.catalog import is_local, provider_for_path, scan_models_dir
from echotui.models.hub import ways_forward
from echotui.providers.names import AUTO
from echotui.providers.registry import catalogue_providers
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
    local = _local_instead(chosen, explicit, _loaders(statuses, chosen, explicit))
    if local is not None:
        return local
    return chosen, recommendation.describe()


def not_on_disk(
    settings: Settings, explicit: set[str], statuses: list[ProviderStatus], recommendation: Recommendation
) -> str | None:
    """For `echotui providers`: None when the recommended model is on disk, else what runs instead or how
    to get it, in one line."""
    chosen = apply_recommendation(settings, recommendation, explicit)
    if chosen.model_path is not None or on_disk(chosen, chosen.provider, chosen.model):
        return None
    local = _local_instead(chosen, explicit, _loaders(statuses, chosen, explicit))
    if local is not None:
        return local[1]
    what = f"{chosen.provider} {chosen.model} is not on disk: it downloads on first use"
    return f"{what}; {ways_forward(chosen.provider, chosen.model)}"


def _loaders(statuses: list[ProviderStatus], chosen: Settings, explicit: set[str]) -> list[str]:
    """The available engines that load models from disk (only the chosen one when the user named it)."""
    available = [s.name for s in statuses if s.available and s.name in catalogue_providers()]
    if "provider" in explicit:
        available = [name for name in available if name == chosen.provider]
    return available


def _local_instead(
    settings: Settings, explicit: set[str], available: list[str]
) -> tuple[Settings, str] | None:
    """With no model chosen and the recommended one not on disk: a model that is, instead of a download (and
    the line that says so). First one an available engine loads from `--models-dir`, then the tiny.en of the
    `echotui[tiny]` extra."""
    if explicit & {"model", "model_path"} or not available:
        return None
    if settings.provider in available and is_local(settings.model, settings.provider, settings.models_dir):
        return None
    entries = []
    if settings.models_dir is not None:
        entries = sorted(
            scan_models_dir(settings.models_dir, available), key=lambda e: e.provider != settings.provider
        )
    if entries:
        provider, model, where = entries[0].provider, entries[0].name, str(settings.models_dir)
    elif bundled.PROVIDER in available and bundled.bundled_folder() is not None:
        provider, model, where = bundled.PROVIDER, bundled.MODEL, bundled.EXTRA
    else:
        return None
    wanted = f"{settings.provider} {settings.model}"
    pull = f"echotui models pull {settings.model} --provider {settings.provider}"
    note = f"using {provider} {model} from {where} ({wanted} is not on disk"
    note += f": `{pull}` gets it)" if where == bundled.EXTRA else ")"
    chosen = replace(settings, provider=provider, model=model)
    if provider != settings.provider:  # the recommended engine's device and compute type may not apply
        keep = {"whisper_device", "whisper_compute"} & explicit
        chosen = replace(
            chosen,
            whisper_device=settings.whisper_device if "whisper_device" in keep else "auto",
            whisper_compute=settings.whisper_compute if "whisper_compute" in keep else "default",
        )
    return chosen.validate(), note


def on_disk(settings: Settings, provider: str, model: str) -> bool:
    """Whether `provider` runs `model` without a download (engines without a catalogue: always)."""
    if provider not in catalogue_providers():
        return True
    return is_local(model, provider, settings.models_dir)


def runs_local_choice(settings: Settings) -> bool:
    """Whether `settings` run a model from `--models-dir` or the `echotui[tiny]` extra: a better fit measured
    later is then adopted only if it too is on disk (no download unasked)."""
    if settings.models_dir is not None:
        return on_disk(settings, settings.provider, settings.model)
    extra = (settings.provider, settings.model) == (bundled.PROVIDER, bundled.MODEL)
    return extra and bundled.bundled_folder() is not None


def needs_refining(settings: Settings) -> bool:
    """Whether an "auto" choice made without measuring should be checked by measuring later."""
    return settings.provider == AUTO and settings.model_path is None
