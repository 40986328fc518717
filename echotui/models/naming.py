"""The name a model goes by on screen: its file or folder name, unless that name says nothing (a folder
called `model`, say) — then the Whisper size read from the model's own header or config, else the name of
the folder around it."""

from __future__ import annotations

import json
from pathlib import Path

from echotui.errors import EchoError

GENERIC_NAMES = {"model", "models", "weights", "ct2", "checkpoint", "ggml-model.bin", "model.bin"}
# Whisper sizes by decoder depth (large-v3-turbo: a 4-layer decoder under large-v3's 32-layer encoder).
SIZES_BY_DECODER_LAYERS = {4: "tiny", 6: "base", 12: "small", 24: "medium", 32: "large"}
ENGLISH_VOCAB = 51864  # the ".en" models' vocabulary; multilingual ones have 51865 or more
TURBO_BYTES = 500_000_000  # a 4-layer decoder with more weights than tiny could ever have


def whisper_name(decoder_layers: int, vocab: int, encoder_layers: int | None, size_bytes: int) -> str | None:
    """ "tiny.en", "base", "large-v3-turbo", ... from a model's own dimensions; None when they fit none."""
    size = SIZES_BY_DECODER_LAYERS.get(decoder_layers)
    if size is None:
        return None
    if size == "tiny" and (encoder_layers == 32 or (encoder_layers is None and size_bytes > TURBO_BYTES)):
        return "large-v3-turbo"
    return f"{size}.en" if vocab == ENGLISH_VOCAB and size != "large" else size


def _ggml_name(path: Path) -> str | None:
    from echotui.models.ggml_models import read_ggml_header

    try:
        header = read_ggml_header(path)
    except (EchoError, OSError):
        return None
    return whisper_name(header.n_text_layer, header.n_vocab, header.n_audio_layer, path.stat().st_size)


def _ct2_name(folder: Path) -> str | None:
    """From config.json's alignment heads (they lie in the decoder's layers, the last one included) and
    the vocabulary's size."""
    try:
        config = json.loads((folder / "config.json").read_text())
        layers = 1 + max(layer for layer, _ in config["alignment_heads"])
        if (folder / "vocabulary.txt").is_file():
            vocab = len((folder / "vocabulary.txt").read_text(encoding="utf-8").splitlines())
        else:
            vocab = len(json.loads((folder / "vocabulary.json").read_text(encoding="utf-8")))
        size = (folder / "model.bin").stat().st_size
    except (OSError, ValueError, KeyError, TypeError):
        return None
    depth = min((d for d in SIZES_BY_DECODER_LAYERS if d >= layers), default=None)
    return whisper_name(depth, vocab, None, size) if depth else None


def own_name(path: Path) -> str | None:
    """The Whisper size of the model at `path` ("tiny.en"), read from its header or config; None when
    they fit no size or cannot be read."""
    return _ct2_name(path) if path.is_dir() else _ggml_name(path)


def model_label(path: Path) -> str:
    """What to call the model at `path` on screen."""
    if path.name.lower() not in GENERIC_NAMES:
        return path.name
    return own_name(path) or path.parent.name or path.name
