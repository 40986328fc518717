"""Which model a provider is asked to load, as the user chose it (a name, a path, a folder to look in)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from echotui.models.naming import GENERIC_NAMES, model_label

if TYPE_CHECKING:
    from echotui.config import Settings


@dataclass(frozen=True)
class ModelChoice:
    """Which model a provider loads: an explicit `path` wins; else `name` is looked up in `models_dir`,
    then the Hugging Face cache, then downloaded with `token`."""

    name: str = "base.en"
    path: Path | None = None
    models_dir: Path | None = None
    token: str | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> ModelChoice:
        return cls(settings.model, settings.model_path, settings.models_dir, settings.hf_token)

    def label(self, resolved: Path) -> str:
        """The model as the user knows it, once resolved to `resolved`: the name asked for, unless a path
        was given or the name says nothing (a folder called `model`), then the model's own name."""
        if self.path is None and self.name.lower() not in GENERIC_NAMES:
            return self.name
        return model_label(resolved)
