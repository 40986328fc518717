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

from echotui.errors import EchoError
from echotui.models import ct2_models, ggml_models

CATALOGUE_PROVIDERS = ("whispercpp", "faster-whisper")
HF_CACHE = "Hugging Face cache"
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
        location: the file or folder, or "Hugging Face cache"; None when not present.
        source: "catalogue" (a known name) or "models-dir" (found by scanning `--models-dir`).
    """

    provider: str
    name: str
    size_mb: int | None
    present: bool
    location: str | None
    source: str


def catalogue_provider(provider: str) -> str:
    """The provider whose catalogue serves `provider` ("auto" means whisper.cpp, as for transcribing)."""
    if provider == "auto":
        return "whispercpp"
    if provider == "voxtral":
        raise EchoError(
            "Voxtral has no model catalogue: download its model folder yourself and set ECHOTUI_VOXTRAL_MODEL"
        )
    if provider not in CATALOGUE_PROVIDERS:
        raise EchoError(
            f"no model catalogue for provider {provider!r}: use {' or '.join(CATALOGUE_PROVIDERS)}"
        )
    return provider


def _check_models_dir(models_dir: Path | None) -> None:
    if models_dir is not None and not models_dir.is_dir():
        raise EchoError(
            f"models folder {models_dir} is not a folder: pass an existing folder with --models-dir"
        )


def _where(path: Path, models_dir: Path | None) -> str:
    """The path itself when it lies in the models folder, else the Hugging Face cache."""
    return str(path) if models_dir is not None and path.parent == models_dir else HF_CACHE


def _ggml_catalogue(models_dir: Path | None) -> list[tuple[ModelEntry, Path | None]]:
    rows: list[tuple[ModelEntry, Path | None]] = []
    for name, size in ggml_models.KNOWN_MODELS.items():
        path = ggml_models.local_model(name, models_dir)
        where = _where(path, models_dir) if path is not None else None
        rows.append((ModelEntry("whispercpp", name, size, path is not None, where, CATALOGUE), path))
    return rows


def _ct2_catalogue(models_dir: Path | None) -> list[tuple[ModelEntry, Path | None]]:
    rows: list[tuple[ModelEntry, Path | None]] = []
    for name in ct2_models.known_models():
        size = ct2_models.SIZES_MB.get(name)
        path = ct2_models.models_dir_ct2_model(name, models_dir)
        where = str(path) if path is not None else None
        if path is None:
            path = ct2_models.cached_ct2_model(name)
            where = HF_CACHE if path is not None else None
        rows.append((ModelEntry("faster-whisper", name, size, path is not None, where, CATALOGUE), path))
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


def scan_models_dir(models_dir: Path, providers: Sequence[str] = CATALOGUE_PROVIDERS) -> list[ModelEntry]:
    """Every model directly inside `models_dir`: ggml files by their magic, CTranslate2 folders by
    `model.bin` + `config.json`. Each is named as `--model` finds it with this `--models-dir`:
    `ggml-<name>.bin` → name, `faster-whisper-<name>/` → name, anything else by its own file name."""
    _check_models_dir(models_dir)
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
        if "faster-whisper" in providers and ct2_models.is_ct2_model(path):
            name = _strip(path.name, prefix=ct2_models.FOLDER_PREFIX)
            size = _megabytes(_folder_bytes(path))
            found.append(ModelEntry("faster-whisper", name, size, True, str(path), MODELS_DIR))
        elif "whispercpp" in providers and path.is_file() and is_ggml_file(path):
            name = path.name
            if name.startswith("ggml-") and name.endswith(".bin"):
                name = _strip(name, prefix="ggml-", suffix=".bin")
            size = _megabytes(path.stat().st_size)
            found.append(ModelEntry("whispercpp", name, size, True, str(path), MODELS_DIR))
    return found


def list_models(models_dir: Path | None, providers: Sequence[str] = CATALOGUE_PROVIDERS) -> list[ModelEntry]:
    """All known names of each provider with size and presence, then the other models in `models_dir`
    (those a catalogue row already points at are not repeated)."""
    _check_models_dir(models_dir)
    chosen = [catalogue_provider(provider) for provider in providers]
    rows: list[tuple[ModelEntry, Path | None]] = []
    if "whispercpp" in chosen:
        rows += _ggml_catalogue(models_dir)
    if "faster-whisper" in chosen:
        rows += _ct2_catalogue(models_dir)
    entries = [entry for entry, _ in rows]
    if models_dir is not None:
        listed = {(entry.provider, path) for entry, path in rows if path is not None}
        for entry in scan_models_dir(models_dir, chosen):
            if (entry.provider, Path(str(entry.location))) not in listed:
                entries.append(entry)
    return entries


def unknown_model(name: str, provider: str) -> EchoError:
    label = "whisper.cpp" if provider == "whispercpp" else provider
    return EchoError(
        f"unknown {label} model {name!r}: run `echotui models` to see the names, "
        "or pass a local model with --model-path"
    )


def pull_model(name: str, provider: str, token: str | None, models_dir: Path | None) -> Path:
    """The model on disk, downloaded into the Hugging Face cache (with a progress bar) unless it is already
    present in `models_dir` or the cache, in which case no network is used."""
    provider = catalogue_provider(provider)
    _check_models_dir(models_dir)
    if provider == "whispercpp":
        path = ggml_models.local_model(name, models_dir)
        if path is not None:
            return path
        if name not in ggml_models.KNOWN_MODELS:
            raise unknown_model(name, provider)
        return ggml_models.download_model(name, token)
    path = ct2_models.local_ct2_model(name, models_dir)
    if path is not None:
        return path
    if ct2_models.repo_for(name) is None:
        raise unknown_model(name, provider)
    return ct2_models.download_ct2_model(name, token)


def format_size(size_mb: int | None) -> str:
    if size_mb is None:
        return "?"
    return f"{size_mb} MB" if size_mb < 1000 else f"{size_mb / 1000:.1f} GB"


def format_models(entries: Sequence[ModelEntry]) -> str:
    """A plain-text table for the terminal: provider, name, size, present, where."""
    header = ("provider", "name", "size", "here", "where")
    rows = [
        (e.provider, e.name, format_size(e.size_mb), "yes" if e.present else "-", e.location or "")
        for e in entries
    ]
    if not rows:
        return "no models"
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    lines = []
    for provider, name, size, here, where in [header, *rows]:
        line = (
            f"{provider:<{widths[0]}}  {name:<{widths[1]}}  {size:>{widths[2]}}  {here:<{widths[3]}}  {where}"
        )
        lines.append(line.rstrip())
    return "\n".join(lines)
