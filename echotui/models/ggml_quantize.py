"""A q8_0 copy of a float16 whisper.cpp model, for whisper.cpp on a CPU.

whisper.cpp's CPU kernels multiply 8-bit blocks (q8_0) far faster than float16 on x86 (AVX2) and ARM: real
tiny.en on 2 cores, an 8 s streaming pass 1.43 s in float16 and 0.78 s in q8_0, and offline as many words
right (pooled over six files, 11.0 % WER either way; a few words per file differ). Hugging Face's
whisper.cpp repository ships q8_0 files for some models only, and a user who has a float16 file offline
has no way to make one: whisper.cpp's `quantize` tool is not in pywhispercpp. So the file is made here,
once per source file, in the cache folder, as that tool makes it: every 2-D float16 weight becomes q8_0
(the attention and MLP matrices and the token embedding), the convolutions, positional embeddings, norms
and biases keep their types, and the header says q8_0 (with ggml's quantization version). The q8_0 blocks
are computed by the `gguf` package (llama.cpp's own Python reference of ggml's formats).
"""

from __future__ import annotations

import contextlib
import logging
import os
import struct
import threading
from pathlib import Path
from typing import BinaryIO

import numpy as np

from echotui.errors import EchoError
from echotui.folders import cache_dir
from echotui.models.ggml_models import GGML_TYPE_SIZES, HPARAM_NAMES, check_ggml_file

log = logging.getLogger(__name__)

GGML_F16, GGML_Q8_0 = 1, 8  # tensor types
FTYPE_F16 = 1
FTYPE_Q8_0 = 7  # GGML_FTYPE_MOSTLY_Q8_0
QNT_VERSION, QNT_VERSION_FACTOR = 2, 1000  # ggml's quantization version, stored in the header's ftype
Q8_0_BLOCK = 32


def quantized_folder() -> Path:
    """Where the q8_0 copies live: `<cache>/ggml-q8_0`."""
    return cache_dir() / "ggml-q8_0"


def q8_0_path(source: Path, folder: Path) -> Path:
    """The copy's file name names its source by name, size and modification time: a source replaced on
    disk gets a new copy."""
    stat = source.stat()
    return folder / f"{source.stem}-{stat.st_size}-{stat.st_mtime_ns}-q8_0.bin"


def cpu_copy(source: Path, folder: Path | None = None) -> Path:
    """A q8_0 copy of the float16 model `source` (made on first use), or `source` itself when it is not
    float16 or the copy cannot be made (logged: the model still runs, only slower)."""
    if check_ggml_file(source).ftype != FTYPE_F16:
        return source
    folder = folder or quantized_folder()
    copy = q8_0_path(source, folder)
    try:
        if copy.is_file():
            check_ggml_file(copy)
            return copy
    except EchoError:
        log.warning("%s is damaged; making it again", copy)
    pending = copy.with_suffix(f".{os.getpid()}-{threading.get_ident()}.tmp")  # two engines may load at once
    try:
        folder.mkdir(parents=True, exist_ok=True)
        quantize_q8_0(source, pending)
        check_ggml_file(pending)
        os.replace(pending, copy)
    except (OSError, EchoError):
        log.warning("no q8_0 copy of %s in %s: whisper.cpp runs it in float16", source, folder, exc_info=True)
        with contextlib.suppress(OSError):  # (nothing to remove where the folder could not be made)
            pending.unlink(missing_ok=True)
        return source
    log.info("made %s, a q8_0 copy of %s for the CPU", copy, source)
    return copy


def quantize_q8_0(source: Path, dest: Path) -> int:
    """Write `source` (a float16 ggml whisper model) to `dest` with its 2-D float16 weights in q8_0; return
    how many tensors were quantized."""
    from gguf import GGMLQuantizationType
    from gguf.quants import quantize

    with source.open("rb") as src, dest.open("wb") as out:
        out.write(src.read(4))  # magic
        hparams = list(struct.unpack(f"<{len(HPARAM_NAMES)}i", src.read(4 * len(HPARAM_NAMES))))
        hparams[-1] = QNT_VERSION * QNT_VERSION_FACTOR + FTYPE_Q8_0
        out.write(struct.pack(f"<{len(hparams)}i", *hparams))
        n_mel, n_fft = _copy_ints(src, out, 2)
        out.write(src.read(4 * n_mel * n_fft))  # mel filters
        (n_tokens,) = _copy_ints(src, out, 1)
        for _ in range(n_tokens):
            (length,) = _copy_ints(src, out, 1)
            out.write(src.read(length))
        quantized = 0
        while head := src.read(12):
            n_dims, name_len, ttype = struct.unpack("<3i", head)
            shape = struct.unpack(f"<{n_dims}i", src.read(4 * n_dims))  # ne: the fastest dimension first
            name = src.read(name_len)
            block, nbytes = GGML_TYPE_SIZES[ttype]
            raw = src.read(-(-int(np.prod(shape)) // block) * nbytes)
            if ttype == GGML_F16 and n_dims == 2 and shape[0] % Q8_0_BLOCK == 0:
                weights = np.frombuffer(raw, dtype="<f2").astype(np.float32).reshape(shape[::-1])
                raw = quantize(weights, GGMLQuantizationType.Q8_0).tobytes()
                ttype = GGML_Q8_0
                quantized += 1
            out.write(struct.pack(f"<3i{n_dims}i", n_dims, name_len, ttype, *shape))
            out.write(name)
            out.write(raw)
    return quantized


def _copy_ints(src: BinaryIO, out: BinaryIO, count: int) -> tuple[int, ...]:
    raw = src.read(4 * count)
    out.write(raw)
    return struct.unpack(f"<{count}i", raw)
