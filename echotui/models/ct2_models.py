"""faster-whisper (CTranslate2) models: the catalogue, folder checks, downloads into the Hugging Face cache.

The counterpart of `ggml_models` for whisper.cpp. A CTranslate2 model is a folder holding at least
`model.bin` and `config.json`; faster-whisper knows its models by name (`faster_whisper.utils._MODELS`) and
fetches them as whole repositories with `snapshot_download`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from echotui.errors import EchoError
from echotui.models.bundled import bundled_ct2_model
from echotui.models.choice import ModelChoice
from echotui.models.hub import (
    check_reachable,
    download_failed,
    progress_bar,
    quiet_hub_logging,
    unknown_model,
)

log = logging.getLogger(__name__)

CT2_FILES = ("model.bin", "config.json")
FOLDER_PREFIX = "faster-whisper-"

# name -> approximate download size in MB (model.bin in float16 plus the small files next to it)
SIZES_MB: dict[str, int] = {
    "tiny": 75, "tiny.en": 75, "base": 145, "base.en": 145, "small": 484, "small.en": 484,
    "medium": 1530, "medium.en": 1530, "large-v1": 3090, "large-v2": 3090, "large-v3": 3090, "large": 3090,
    "distil-small.en": 336, "distil-medium.en": 789, "distil-large-v2": 1510, "distil-large-v3": 1510,
    "distil-large-v3.5": 1510, "large-v3-turbo": 1620, "turbo": 1620,
}  # fmt: skip


def known_models() -> dict[str, str]:
    """Model name -> Hugging Face repository, as faster-whisper knows them."""
    from faster_whisper.utils import _MODELS

    return dict(_MODELS)


def repo_for(name: str) -> str | None:
    """The repository of a known name; a name with a slash is taken as a repository id itself."""
    return known_models().get(name, name if "/" in name else None)


def is_ct2_model(path: Path) -> bool:
    """A folder with `model.bin` and `config.json`: what CTranslate2 loads."""
    return path.is_dir() and all((path / name).is_file() for name in CT2_FILES)


def models_dir_ct2_model(name: str, models_dir: Path | None) -> Path | None:
    """`models_dir/<name>` or `models_dir/faster-whisper-<name>`, if it is a CTranslate2 folder."""
    if models_dir is None:
        return None
    for candidate in (models_dir / name, models_dir / f"{FOLDER_PREFIX}{name}"):
        if is_ct2_model(candidate):
            return candidate
    return None


def cached_ct2_model(name: str) -> Path | None:
    """The complete snapshot of a model in the Hugging Face cache, without any network access."""
    repo = repo_for(name)
    if repo is None:
        return None
    from huggingface_hub import snapshot_download

    quiet_hub_logging()
    try:
        folder = Path(snapshot_download(repo, local_files_only=True))
    except Exception:  # not cached, or an incomplete snapshot
        return None
    return folder if is_ct2_model(folder) else None


def local_ct2_model(name: str, models_dir: Path | None) -> Path | None:
    """A model of that name already on disk: in `models_dir`, in the Hugging Face cache, or installed by
    the `echotui[tiny]` extra."""
    return models_dir_ct2_model(name, models_dir) or cached_ct2_model(name) or bundled_ct2_model(name)


def download_ct2_model(name: str, token: str | None = None) -> Path:
    """Download a model into the Hugging Face cache, with huggingface_hub's progress bars on stderr.

    One quick request first, so that offline or with a bad token the user learns it at once."""
    repo = repo_for(name)
    if repo is None:
        raise unknown_model("faster-whisper", name)
    from huggingface_hub import snapshot_download

    size = check_reachable(repo, "model.bin", "faster-whisper", name, token)
    log.info("downloading %s (model.bin %s bytes)", repo, size)
    try:
        return Path(snapshot_download(repo, token=token, tqdm_class=progress_bar(name)))
    except Exception as error:  # network, auth, disk: all end the same way for the user
        raise download_failed("faster-whisper", name, error) from None


def resolve_ct2_model(choice: ModelChoice) -> Path:
    """The folder for a model choice: an explicit path (checked), else local if present (`--models-dir`,
    the Hugging Face cache, the `echotui[tiny]` extra), else downloaded.

    Unknown names fail fast, before any network access."""
    if choice.path is not None:
        if not is_ct2_model(choice.path):
            raise EchoError(
                f"{choice.path} is not a CTranslate2 model folder (needs model.bin and "
                "config.json): pass a faster-whisper model folder with --model-path"
            )
        return choice.path
    found = models_dir_ct2_model(choice.name, choice.models_dir)
    if found is not None:
        return found
    if repo_for(choice.name) is None:
        raise unknown_model("faster-whisper", choice.name)
    local = cached_ct2_model(choice.name) or bundled_ct2_model(choice.name)
    return local or download_ct2_model(choice.name, choice.token)
