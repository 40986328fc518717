"""Models the user already has, from inside the app: the engine a model file or folder is for, the same
Whisper size for another engine (found on disk when it is there), and the running model among the
catalogue's rows. Reads headers and configs only, never whole weights."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from echotui.errors import EchoError
from echotui.models.catalog import (
    HF_CACHE,
    ModelEntry,
    is_ggml_file,
    list_models,
    provider_for_path,
    scan_models_dir,
)
from echotui.models.ct2_models import is_ct2_model
from echotui.models.naming import own_name
from echotui.providers.base import LoadedModel

RUNNING = "running"
"""`ModelEntry.source` of the running model when no catalogue or `--models-dir` row is it."""
MB = 1_000_000


def checked_provider_for_path(path: Path) -> str:
    """The engine that loads the model at `path` (`catalog.provider_for_path`), once it is seen to be a
    ggml file or a CTranslate2 folder; anything else is refused with the fix."""
    if is_ct2_model(path) or is_ggml_file(path):
        return provider_for_path(path)
    what = "neither a whisper.cpp ggml file nor a model folder" if path.exists() else "no such file or folder"
    raise EchoError(
        f"{path}: {what}: give a ggml-*.bin file or a CTranslate2 folder (model.bin and config.json)"
    )


def _existing(path: str | Path | None) -> Path | None:
    return Path(path) if path is not None and Path(path).exists() else None


def same_size(
    provider: str, running: str | Path | None, name: str, models_dir: Path | None
) -> tuple[str, Path | None]:
    """What `provider` loads to carry on with the model running at `running` (known as `name`): the same
    Whisper size, read from the running model's own header, else `name`. Returned as (name, path) for a
    model of that size found by its header in `models_dir` or beside the running model, whatever its file
    or folder is called (the user's own folders first); else as (name, None): the name then loads from the
    Hugging Face cache or the `echotui[tiny]` extra, or is downloaded."""
    here = _existing(running)
    size = (own_name(here) if here is not None else None) or name
    folders = [folder for folder in (models_dir, here.parent if here else None) if folder and folder.is_dir()]
    for folder in dict.fromkeys(folders):
        for entry in scan_models_dir(folder, (provider,)):
            path = Path(str(entry.location))
            if own_name(path) == size:
                return size, path
    return size, None


def _size_mb(path: Path) -> int | None:
    try:
        files = [path] if path.is_file() else [item for item in path.iterdir() if item.is_file()]
        return -(-sum(item.stat().st_size for item in files) // MB)
    except OSError:
        return None


def is_running(entry: ModelEntry, loaded: LoadedModel) -> bool:
    """Whether a catalogue row is the model `loaded` runs."""
    if entry.provider != loaded.provider or entry.location is None:
        return False
    if entry.location == HF_CACHE:
        return entry.name == loaded.model
    return Path(entry.location).resolve() == Path(loaded.path).resolve()


def models_with_running(
    provider: str, models_dir: Path | None, loaded: LoadedModel | None
) -> list[ModelEntry]:
    """The catalogue of `provider` with `models_dir`'s models, the running model first (its own row,
    source `RUNNING`, when no row is it: a model opened by its path)."""
    entries = list_models(models_dir, (provider,))
    if loaded is None or loaded.provider != provider:
        return entries
    running = [entry for entry in entries if is_running(entry, loaded)]
    if not running:
        here = _existing(loaded.path)
        size = _size_mb(here) if here is not None else None
        running = [ModelEntry(provider, loaded.model, size, True, loaded.path, RUNNING)]
    first = running[0]
    return [replace(first, running=True), *(entry for entry in entries if entry is not first)]
