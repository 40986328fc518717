"""Build random-weight whisper.cpp (ggml) models of real size for engine tests.

The file layout follows whisper.cpp's loader: magic, hparams, mel filters, vocab, tensors.
Weights are seeded N(0, 0.02); layer norms are identity. Text comes from a synthetic ASCII vocab.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

GGML_MAGIC = 0x67676D6C
SAMPLE_RATE = 16000
N_FFT = 400
N_MELS = 80
N_VOCAB_EN = 51864
# English-only models store the 50256 text tokens plus <|endoftext|>; whisper.cpp
# derives the remaining special tokens (sot, timestamps, ...) from n_vocab.
N_STORED_TOKENS = 50257

_F32 = 0
_F16 = 1

# arch -> (n_audio_state, n_audio_head, n_audio_layer); text side has the same sizes.
ARCHS: dict[str, tuple[int, int, int]] = {
    "tiny.en": (384, 6, 4),
    "base.en": (512, 8, 6),
}

_TensorSpec = tuple[str, tuple[int, ...], int, str]  # name, numpy shape, ttype, init


def _hz_to_mel(freq: np.ndarray) -> np.ndarray:
    """Slaney mel scale: linear below 1 kHz, logarithmic above."""
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    logstep = np.log(6.4) / 27.0
    mels = freq / f_sp
    log_part = min_log_hz / f_sp + np.log(np.maximum(freq, min_log_hz) / min_log_hz) / logstep
    return np.where(freq >= min_log_hz, log_part, mels)


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    """Inverse of :func:`_hz_to_mel`."""
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    freqs = f_sp * mels
    log_part = min_log_hz * np.exp(logstep * (np.maximum(mels, min_log_mel) - min_log_mel))
    return np.where(mels >= min_log_mel, log_part, freqs)


def mel_filters(sr: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """Slaney-normalised mel filterbank, shape (n_mels, n_fft // 2 + 1), like librosa.filters.mel."""
    fft_freqs = np.linspace(0.0, sr / 2, n_fft // 2 + 1)
    mel_pts = np.linspace(_hz_to_mel(np.array(0.0)), _hz_to_mel(np.array(sr / 2.0)), n_mels + 2)
    mel_f = _mel_to_hz(mel_pts)
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels]))[:, None]
    return weights.astype(np.float32)


def synthetic_vocab(n: int = N_STORED_TOKENS) -> list[bytes]:
    """Printable ASCII tokens: the 95 single characters, then pseudo-syllables, then <|endoftext|>.

    whisper.cpp looks up the token " " (blank suppression) and throws ``map::at`` without it.
    """
    consonants = "bcdfghjklmnprstvwz"
    vowels = "aeiou"
    tokens = [bytes([c]) for c in range(32, 127)]
    for i in range(n - 1 - len(tokens)):
        text = ""
        k = i
        while True:
            text += consonants[k % len(consonants)] + vowels[(k // len(consonants)) % len(vowels)]
            k //= len(consonants) * len(vowels)
            if k == 0:
                break
        tokens.append(((" " if i % 3 == 0 else "") + text).encode("ascii"))
    tokens.append(b"<|endoftext|>")
    return tokens


def _attention(prefix: str, s: int) -> list[_TensorSpec]:
    """One attention set (no key bias, as in Whisper)."""
    return [
        (f"{prefix}.query.weight", (s, s), _F16, "w"),
        (f"{prefix}.query.bias", (s,), _F32, "w"),
        (f"{prefix}.key.weight", (s, s), _F16, "w"),
        (f"{prefix}.value.weight", (s, s), _F16, "w"),
        (f"{prefix}.value.bias", (s,), _F32, "w"),
        (f"{prefix}.out.weight", (s, s), _F16, "w"),
        (f"{prefix}.out.bias", (s,), _F32, "w"),
    ]


def _block(prefix: str, s: int, cross: bool) -> list[_TensorSpec]:
    """One encoder block, or a decoder block when ``cross``."""
    specs: list[_TensorSpec] = [
        (f"{prefix}.attn_ln.weight", (s,), _F32, "one"),
        (f"{prefix}.attn_ln.bias", (s,), _F32, "zero"),
        *_attention(f"{prefix}.attn", s),
    ]
    if cross:
        specs += [
            (f"{prefix}.cross_attn_ln.weight", (s,), _F32, "one"),
            (f"{prefix}.cross_attn_ln.bias", (s,), _F32, "zero"),
            *_attention(f"{prefix}.cross_attn", s),
        ]
    specs += [
        (f"{prefix}.mlp_ln.weight", (s,), _F32, "one"),
        (f"{prefix}.mlp_ln.bias", (s,), _F32, "zero"),
        (f"{prefix}.mlp.0.weight", (4 * s, s), _F16, "w"),
        (f"{prefix}.mlp.0.bias", (4 * s,), _F32, "w"),
        (f"{prefix}.mlp.2.weight", (s, 4 * s), _F16, "w"),
        (f"{prefix}.mlp.2.bias", (s,), _F32, "w"),
    ]
    return specs


def tensor_specs(arch: str) -> list[_TensorSpec]:
    """All tensors of ``arch`` as (name, numpy C-order shape, ggml type, init kind)."""
    s, _, layers = ARCHS[arch]
    specs: list[_TensorSpec] = [
        ("encoder.positional_embedding", (1500, s), _F32, "w"),
        ("encoder.conv1.weight", (s, N_MELS, 3), _F16, "w"),
        ("encoder.conv1.bias", (s, 1), _F32, "w"),
        ("encoder.conv2.weight", (s, s, 3), _F16, "w"),
        ("encoder.conv2.bias", (s, 1), _F32, "w"),
        ("encoder.ln_post.weight", (s,), _F32, "one"),
        ("encoder.ln_post.bias", (s,), _F32, "zero"),
    ]
    for i in range(layers):
        specs += _block(f"encoder.blocks.{i}", s, cross=False)
    specs += [
        ("decoder.positional_embedding", (448, s), _F32, "w"),
        ("decoder.token_embedding.weight", (N_VOCAB_EN, s), _F16, "w"),
        ("decoder.ln.weight", (s,), _F32, "one"),
        ("decoder.ln.bias", (s,), _F32, "zero"),
    ]
    for i in range(layers):
        specs += _block(f"decoder.blocks.{i}", s, cross=True)
    return specs


def _tensor_data(rng: np.random.Generator, shape: tuple[int, ...], ttype: int, init: str) -> np.ndarray:
    """Ones, zeros or seeded N(0, 0.02), in the file's little-endian type."""
    if init == "one":
        data = np.ones(shape, dtype=np.float32)
    elif init == "zero":
        data = np.zeros(shape, dtype=np.float32)
    else:
        data = rng.standard_normal(shape, dtype=np.float32)
        data *= 0.02
    return data.astype("<f2" if ttype == _F16 else "<f4", copy=False)


def _header(arch: str) -> Iterator[bytes]:
    """Magic, hparams, mel filters and vocab."""
    s, heads, layers = ARCHS[arch]
    hparams = (N_VOCAB_EN, 1500, s, heads, layers, 448, s, heads, layers, N_MELS, 1)
    yield struct.pack("<I11i", GGML_MAGIC, *hparams)
    filters = mel_filters()
    yield struct.pack("<2i", *filters.shape)
    yield filters.astype("<f4").tobytes()
    vocab = synthetic_vocab()
    yield struct.pack("<i", len(vocab))
    yield b"".join(struct.pack("<I", len(tok)) + tok for tok in vocab)


def _write_tensor(f: BinaryIO, name: str, data: np.ndarray, ttype: int) -> None:
    """Tensor header (n_dims, name length, type, ne) then name and raw data."""
    raw_name = name.encode("ascii")
    ne = tuple(reversed(data.shape))  # ggml ne[0] is the fastest-varying dimension
    f.write(struct.pack(f"<3i{len(ne)}i", len(ne), len(raw_name), ttype, *ne))
    f.write(raw_name)
    f.write(np.ascontiguousarray(data).data)


def build_ggml_model(path: Path, arch: str = "tiny.en", seed: int = 0) -> Path:
    """Write a random-weight English-only whisper.cpp model of ``arch`` to ``path``; return ``path``.

    Deterministic for a given ``seed``. ``arch`` is ``"tiny.en"`` or ``"base.en"``.
    """
    if arch not in ARCHS:
        raise ValueError(f"unknown arch {arch!r}; expected one of {sorted(ARCHS)}")
    path = Path(path)
    rng = np.random.default_rng(seed)
    with path.open("wb") as f:
        for chunk in _header(arch):
            f.write(chunk)
        for name, shape, ttype, init in tensor_specs(arch):
            _write_tensor(f, name, _tensor_data(rng, shape, ttype, init), ttype)
    return path
