"""The smaller sibling of the running model, on disk: where the overload governor steps down to (small.en →
base.en → tiny.en), found without the network. Reads headers and configs only, never whole weights."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from echotui.models.catalog import is_local, scan_models_dir
from echotui.models.naming import own_name
from echotui.providers.base import LoadedModel
from echotui.providers.registry import catalogue_providers

SIZES = ("tiny", "base", "small", "medium", "large")
"""Whisper sizes, smallest first (large-v3, large-v3-turbo count as large)."""


def smaller_names(name: str) -> list[str]:
    """The Whisper sizes below `name`, the nearest first, in the same language kind: "small.en" →
    ["base.en", "tiny.en"], "medium" → ["small", "base", "tiny"]; [] for a name that is no size."""
    english = name.endswith(".en")
    stem = name.removesuffix(".en")
    size = next((size for size in SIZES if stem == size or stem.startswith(f"{size}-")), None)
    if size is None:
        return []
    below = SIZES[: SIZES.index(size)]
    return [f"{smaller}.en" if english else smaller for smaller in reversed(below)]


def smaller_on_disk(running: LoadedModel, models_dir: Path | None) -> tuple[str, Path | None] | None:
    """The nearest smaller Whisper size than the running model that its engine can load without the
    network: one `--model NAME` finds (in `models_dir`, the Hugging Face cache or the `echotui[tiny]`
    extra: returned with path None, loaded by name), else a file or folder of that size (by its header) in
    `models_dir` or beside the running model.
    None when there is none, or the engine has no model catalogue (a remote server, Voxtral)."""
    provider = running.provider
    if provider not in catalogue_providers():
        return None
    here = Path(running.path)
    size = (own_name(here) if here.exists() else None) or running.model
    folders = [folder for folder in (models_dir, here.parent if here.exists() else None) if folder]
    found = {
        own_name(Path(str(entry.location))): Path(str(entry.location))
        for folder in dict.fromkeys(folders)
        if folder.is_dir()
        for entry in scan_models_dir(folder, (provider,))
    }
    for name in smaller_names(size):
        if is_local(name, provider, models_dir):  # by its name: shown as such once loaded
            return name, None
        if name in found:
            return name, found[name]
    return None


def way_back(running: LoadedModel, models_dir: Path | None) -> tuple[str, Path | None]:
    """How to load the running model again: by its name where `--model NAME` finds it (then it comes back
    under that name, not its folder's), else by its file or folder (None for a server's model)."""
    path = Path(running.path)
    if running.provider in catalogue_providers() and is_local(running.model, running.provider, models_dir):
        return running.model, None
    return running.model, path if path.exists() else None


class OnDiskLadder:
    """The governor's `ModelLadder` for a session: smaller models on disk, swapped in by `swap`."""

    def __init__(self, models_dir: Path | None, swap: Callable[[str, Path | None], object]) -> None:
        self.models_dir = models_dir
        self._swap = swap

    def smaller(self, running: LoadedModel) -> tuple[str, Path | None] | None:
        return smaller_on_disk(running, self.models_dir)

    def way_back(self, running: LoadedModel) -> tuple[str, Path | None]:
        return way_back(running, self.models_dir)

    def swap(self, name: str, path: Path | None) -> None:
        self._swap(name, path)
