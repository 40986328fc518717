"""The model catalogue behind `echotui models`: known names per provider, what is on disk, and pulls.

A model is "present" when the provider would load it without the network: from `--models-dir`, or from the
Hugging Face cache. Scanning a models folder reads only headers (a ggml file's first 48 bytes; a CTranslate2
folder's file names), never whole multi-GB weights.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from echotui.config import Settings
from echotui.errors import EchoError
from echotui.models import bundled, ct2_models, ggml_models
from echotui.models.choice import ModelChoice
from echotui.models.hub import unknown_model
from echotui.providers.names import FASTER_WHISPER, WHISPERCPP
from echotui.providers.registry import capabilities, catalogue_providers, provider_class
from echotui.providers.voxtral import VoxtralProvider

HF_CACHE = "Hugging Face cache"
BUNDLED = bundled.EXTRA
CATALOGUE = "catalogue"
MODELS_DIR = "models-dir"
MB = 1_000_000


@dataclass(frozen=True)
class ModelEntry:
    """One row of `echotui models`.

    Attributes:
        provider: "whispercpp" or "faster-whisper".
        name: what `--model` accepts (with the same `--models-dir` for models found there).
        size_mb: approximate download size for catalogue names, size on disk for models found in the folder;
            None when unknown.
        present: usable without the network.
        location: the file or folder, "Hugging Face cache", or "echotui[tiny]" (the extra's tiny.en);
            None when not present.
        source: "catalogue" (a known name) or "models-dir" (found by scanning `--models-dir`); in the
            app also "running" (the running model, opened by its path) and "server" (a model a server
            engine's server lists; `location` is where it runs).
        running: the app runs this model now.
    """

    provider: str
    name: str
    size_mb: int | None
    present: bool
    location: str | None
    source: str
    running: bool = False


def catalogue_provider(provider: str) -> str:
    """The provider whose catalogue serves `provider` ("auto" as for transcribing)."""
    try:
        name = provider_class(provider).name
    except EchoError:
        name = provider
    if name == VoxtralProvider.name:
        raise EchoError(
            "Voxtral has no model catalogue: download its model folder yourself and set ECHOTUI_VOXTRAL_MODEL"
        )
    if name not in catalogue_providers():
        raise EchoError(
            f"no model catalogue for provider {provider!r}: use {' or '.join(catalogue_providers())}"
        )
    return name


def _check_models_dir(models_dir: Path | None) -> None:
    if models_dir is not None and not models_dir.is_dir():
        raise EchoError(
            f"models folder {models_dir} is not a folder: pass an existing folder with --models-dir"
        )


def _where(path: Path, models_dir: Path | None) -> str:
    """The path itself when it lies in the models folder, else the Hugging Face cache."""
    return str(path) if models_dir is not None and path.parent == models_dir else HF_CACHE


def _ggml_catalogue(provider: str, models_dir: Path | None) -> list[tuple[ModelEntry, Path | None]]:
    rows: list[tuple[ModelEntry, Path | None]] = []
    for name, size in ggml_models.KNOWN_MODELS.items():
        path = ggml_models.local_model(name, models_dir)
        where = _where(path, models_dir) if path is not None else None
        rows.append((ModelEntry(provider, name, size, path is not None, where, CATALOGUE), path))
    return rows


def _ct2_catalogue(provider: str, models_dir: Path | None) -> list[tuple[ModelEntry, Path | None]]:
    rows: list[tuple[ModelEntry, Path | None]] = []
    for name in ct2_models.known_models():
        size = ct2_models.SIZES_MB.get(name)
        path = ct2_models.models_dir_ct2_model(name, models_dir)
        where = str(path) if path is not None else None
        if path is None:
            path = ct2_models.cached_ct2_model(name)
            where = HF_CACHE if path is not None else None
        if path is None:
            path = bundled.bundled_ct2_model(name)
            where = BUNDLED if path is not None else None
        rows.append((ModelEntry(provider, name, size, path is not None, where, CATALOGUE), path))
    return rows


def is_ggml_file(path: Path) -> bool:
    """A whisper.cpp model, recognised by its magic and a plausible header (whatever the file is called)."""
    try:
        ggml_models.read_ggml_header(path)  # reads the first 48 bytes only
    except (EchoError, OSError):
        return False
    return True


def _megabytes(size: int) -> int:
    return math.ceil(size / MB)


def _folder_bytes(folder: Path) -> int:
    return sum(item.stat().st_size for item in folder.iterdir() if item.is_file())


def _strip(text: str, prefix: str = "", suffix: str = "") -> str:
    if prefix and text.startswith(prefix) and len(text) > len(prefix):
        text = text[len(prefix) :]
    if suffix and text.endswith(suffix) and len(text) > len(suffix):
        text = text[: -len(suffix)]
    return text


def scan_models_dir(models_dir: Path, providers: Sequence[str] | None = None) -> list[ModelEntry]:
    """Every model directly inside `models_dir`: ggml files by their magic, CTranslate2 folders by
    `model.bin` + `config.json`. Each is named as `--model` finds it with this `--models-dir`:
    `ggml-<name>.bin` → name, `faster-whisper-<name>/` → name, anything else by its own file name."""
    _check_models_dir(models_dir)
    formats = {capabilities(p).model_format: p for p in providers or catalogue_providers()}
    try:
        paths = sorted(models_dir.iterdir())
    except OSError as error:
        raise EchoError(
            f"cannot read models folder {models_dir} ({error.strerror}): check --models-dir"
        ) from None
    found: list[ModelEntry] = []
    for path in paths:
        if path.name.startswith("."):
            continue
        if "ct2" in formats and ct2_models.is_ct2_model(path):
            name = _strip(path.name, prefix=ct2_models.FOLDER_PREFIX)
            size = _megabytes(_folder_bytes(path))
            found.append(ModelEntry(formats["ct2"], name, size, True, str(path), MODELS_DIR))
        elif "ggml" in formats and path.is_file() and is_ggml_file(path):
            name = path.name
            if name.startswith("ggml-") and name.endswith(".bin"):
                name = _strip(name, prefix="ggml-", suffix=".bin")
            size = _megabytes(path.stat().st_size)
            found.append(ModelEntry(formats["ggml"], name, size, True, str(path), MODELS_DIR))
    return found


def list_models(models_dir: Path | None, providers: Sequence[str] | None = None) -> list[ModelEntry]:
    """All known names of each provider with size and presence, then the other models in `models_dir`
    (those a catalogue row already points at are not repeated)."""
    _check_models_dir(models_dir)
    chosen = [catalogue_provider(provider) for provider in providers or catalogue_providers()]
    rows: list[tuple[ModelEntry, Path | None]] = []
    for provider in chosen:
        listing = _ggml_catalogue if capabilities(provider).model_format == "ggml" else _ct2_catalogue
        rows += listing(provider, models_dir)
    entries = [entry for entry, _ in rows]
    if models_dir is not None:
        listed = {(entry.provider, path) for entry, path in rows if path is not None}
        for entry in scan_models_dir(models_dir, chosen):
            if (entry.provider, Path(str(entry.location))) not in listed:
                entries.append(entry)
    return entries


def pull_model(name: str, provider: str, token: str | None, models_dir: Path | None) -> Path:
    """The model on disk, downloaded into the Hugging Face cache (with a progress bar) unless it is already
    present in `models_dir` or the cache, in which case no network is used."""
    model_format = capabilities(catalogue_provider(provider)).model_format
    _check_models_dir(models_dir)
    if model_format == "ggml":
        return ggml_models.resolve_model(name, models_dir, token)
    return ct2_models.resolve_ct2_model(ModelChoice(name, models_dir=models_dir, token=token))


def is_local(name: str, provider: str, models_dir: Path | None) -> bool:
    """Whether `--model name` would load without the network (from `models_dir` or the cache)."""
    if capabilities(catalogue_provider(provider)).model_format == "ggml":
        return ggml_models.local_model(name, models_dir) is not None
    return ct2_models.local_ct2_model(name, models_dir) is not None


def check_model_name(settings: Settings) -> None:
    """EchoError (the one line `--model` would get at load) unless the settings' provider can load the
    model they name: a name its catalogue knows, or one on disk. A `--model-path` and engines without a
    catalogue are not checked here (the engine checks a path when it loads)."""
    provider, name, models_dir = provider_class(settings.provider).name, settings.model, settings.models_dir
    if settings.model_path is not None or provider not in catalogue_providers():
        return
    if capabilities(provider).model_format == "ggml":
        known = name in ggml_models.KNOWN_MODELS
        what = "whisper.cpp"
    else:
        known = ct2_models.repo_for(name) is not None
        what = "faster-whisper"
    if not known and not is_local(name, provider, models_dir):
        raise unknown_model(what, name)


def provider_for_path(path: Path) -> str:
    """The engine that loads the model at `path`: a CTranslate2 folder is faster-whisper's, anything else
    is taken for a whisper.cpp ggml file (which the engine checks when it loads)."""
    return FASTER_WHISPER if ct2_models.is_ct2_model(path) else WHISPERCPP
