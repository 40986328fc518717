"""whisper.cpp models: the catalogue, file checks, and downloads into the Hugging Face cache.

pywhispercpp segfaults in `transcribe()` on a file that is not a ggml model, so every file is checked
(magic and header) before it is loaded.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass
from pathlib import Path

from echotui.errors import EchoError
from echotui.models.hub import check_reachable, download_failed, progress_bar, unknown_model

log = logging.getLogger(__name__)

GGML_MAGIC = 0x67676D6C
HF_REPO = "ggerganov/whisper.cpp"

# name -> approximate download size in MB (ggerganov/whisper.cpp on Hugging Face)
KNOWN_MODELS: dict[str, int] = {
    "tiny": 75, "tiny.en": 75, "tiny-q5_1": 31, "tiny.en-q5_1": 31, "tiny-q8_0": 42,
    "base": 142, "base.en": 142, "base-q5_1": 57, "base.en-q5_1": 57, "base-q8_0": 78,
    "small": 466, "small.en": 466, "small-q5_1": 181, "small.en-q5_1": 181, "small-q8_0": 252,
    "medium": 1500, "medium.en": 1500, "medium-q5_0": 514, "medium.en-q5_0": 514, "medium-q8_0": 785,
    "large-v1": 2900, "large-v2": 2900, "large-v2-q5_0": 1100, "large-v2-q8_0": 1500,
    "large-v3": 2900, "large-v3-q5_0": 1100,
    "large-v3-turbo": 1500, "large-v3-turbo-q5_0": 547, "large-v3-turbo-q8_0": 834,
}  # fmt: skip

HPARAM_NAMES = (
    "n_vocab", "n_audio_ctx", "n_audio_state", "n_audio_head", "n_audio_layer",
    "n_text_ctx", "n_text_state", "n_text_head", "n_text_layer", "n_mels", "ftype",
)  # fmt: skip


@dataclass(frozen=True)
class GgmlHeader:
    """The hyper-parameters at the start of a ggml whisper file."""

    n_vocab: int
    n_audio_ctx: int
    n_audio_state: int
    n_audio_head: int
    n_audio_layer: int
    n_text_ctx: int
    n_text_state: int
    n_text_head: int
    n_text_layer: int
    n_mels: int
    ftype: int


def read_ggml_header(path: Path) -> GgmlHeader:
    """Check that `path` is a whisper.cpp ggml model and return its header; EchoError otherwise."""
    fix = "pass a whisper.cpp ggml-*.bin file with --model-path, or a model name such as base.en"
    if not path.exists():
        raise EchoError(f"model file {path} does not exist: {fix}")
    if not path.is_file():
        raise EchoError(f"model path {path} is not a file: {fix}")
    with path.open("rb") as f:
        head = f.read(4 + 4 * len(HPARAM_NAMES))
    if len(head) < 4 or struct.unpack("<I", head[:4])[0] != GGML_MAGIC:
        raise EchoError(f"{path} is not a whisper.cpp ggml model (bad magic): {fix}")
    if len(head) < 4 + 4 * len(HPARAM_NAMES):
        raise EchoError(f"{path} is truncated (incomplete header): download it again")
    values = struct.unpack(f"<{len(HPARAM_NAMES)}i", head[4:])
    header = GgmlHeader(*values)
    sane = (
        50_000 <= header.n_vocab <= 60_000
        and 0 < header.n_audio_ctx <= 1500
        and 0 < header.n_audio_layer <= 64
        and 0 < header.n_text_layer <= 64
        and header.n_mels in (80, 128)
        and header.n_audio_head > 0
        and header.n_audio_state % header.n_audio_head == 0
    )
    if not sane:
        raise EchoError(f"{path} has an implausible whisper header ({header}): {fix}")
    return header


# ggml tensor types whisper.cpp files use: type id -> (elements per block, bytes per block)
GGML_TYPE_SIZES: dict[int, tuple[int, int]] = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34), 9: (32, 36),
}  # fmt: skip


def expected_tensors(header: GgmlHeader) -> int:
    return 7 + 15 * header.n_audio_layer + 4 + 24 * header.n_text_layer


def check_ggml_file(path: Path) -> GgmlHeader:
    """Walk the whole file's structure (without reading weights): a truncated or incomplete model makes
    whisper.cpp crash the process, so it must be refused before loading."""
    header = read_ggml_header(path)
    size = path.stat().st_size
    broken = EchoError(f"{path} is truncated or incomplete: download it again, or pass another --model-path")
    with path.open("rb") as f:

        def ints(count: int) -> tuple[int, ...]:
            raw = f.read(4 * count)
            if len(raw) < 4 * count:
                raise broken
            return struct.unpack(f"<{count}i", raw)

        f.seek(4 + 4 * len(HPARAM_NAMES))
        n_mel, n_fft = ints(2)
        f.seek(4 * n_mel * n_fft, 1)
        (n_tokens,) = ints(1)
        for _ in range(n_tokens):
            (length,) = ints(1)
            f.seek(length, 1)
        if f.tell() > size:
            raise broken
        tensors = 0
        while f.tell() < size:
            n_dims, name_len, ttype = ints(3)
            if not 1 <= n_dims <= 4 or not 0 < name_len < 256:
                raise broken
            elements = 1
            for dim in ints(n_dims):
                elements *= dim
            f.seek(name_len, 1)
            if ttype not in GGML_TYPE_SIZES:
                log.info("%s: tensor type %d not checked; trusting the rest of the file", path, ttype)
                return header
            block, nbytes = GGML_TYPE_SIZES[ttype]
            f.seek(-(-elements // block) * nbytes, 1)
            if f.tell() > size:
                raise broken
            tensors += 1
    if tensors not in (0, expected_tensors(header)):  # 0: whisper.cpp's own header-only test models
        raise broken
    return header


def model_filename(name: str) -> str:
    return f"ggml-{name}.bin"


def local_model(name: str, models_dir: Path | None) -> Path | None:
    """A model of that name already on disk: in `models_dir`, or in the Hugging Face cache."""
    if models_dir is not None:
        for candidate in (models_dir / model_filename(name), models_dir / name):
            if candidate.is_file():
                return candidate
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(HF_REPO, model_filename(name))
    return Path(cached) if isinstance(cached, str) else None


def download_model(name: str, token: str | None = None) -> Path:
    """Download a model into the Hugging Face cache, with huggingface_hub's progress bar on stderr."""
    from huggingface_hub import hf_hub_download

    size = check_reachable(HF_REPO, model_filename(name), "whispercpp", name, token)
    log.info("downloading %s (%s bytes) from %s", model_filename(name), size, HF_REPO)
    try:
        bar = progress_bar(name)
        return Path(hf_hub_download(HF_REPO, model_filename(name), token=token, tqdm_class=bar))
    except Exception as error:  # network, auth, disk: all end the same way for the user
        raise download_failed("whispercpp", name, error) from None


def resolve_model(name: str, models_dir: Path | None = None, token: str | None = None) -> Path:
    """The file for a model name: local if present, else downloaded. Unknown names fail fast."""
    path = local_model(name, models_dir)
    if path is not None:
        return path
    if name not in KNOWN_MODELS:
        raise unknown_model("whisper.cpp", name)
    return download_model(name, token)
