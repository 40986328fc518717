"""Build random-weight CTranslate2 Whisper models of real size for faster-whisper tests.

The spec is filled the way CTranslate2's Transformers converter fills ``WhisperSpec`` (fused self-attention
qkv, cross-attention q and fused kv, output projection tied to the token embedding). Weights are seeded
N(0, 0.02); layer norms are identity. Next to ``model.bin`` go ``config.json``, ``vocabulary.json``,
``preprocessor_config.json`` and a byte-level BPE ``tokenizer.json``, so faster-whisper never asks the Hub.
Regular tokens: the 256 byte tokens (GPT-2 order, so " " is id 220 as in Whisper), then pseudo-syllables.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np

SAMPLE_RATE = 16000
N_MELS = 80
N_AUDIO_CTX = 1500
N_TEXT_CTX = 448
N_VOCAB_EN = 51864
EOT = 50256  # <|endoftext|>: the first special token; ids below it are text

# arch -> (d_model, heads, layers); encoder and decoder have the same sizes.
ARCHS: dict[str, tuple[int, int, int]] = {
    "tiny.en": (384, 6, 4),
    "base.en": (512, 8, 6),
}

# Whisper's language tokens, in token-id order (99 in the English-only vocab, from 50258).
LANGUAGES = (
    "en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he uk el ms cs ro da hu ta no th ur hr bg "
    "lt la mi ml cy sk te fa lv bn sr az sl kn et mk br eu is hy ne mn bs kk sq sw gl mr pa si km sn yo so "
    "af oc ka be tg sd gu am yi lo uz fo ht ps tk nn mt sa lb my bo tl mg as tt haw ln ha ba jw su"
).split()

# Single-byte symbols Whisper suppresses (its generation config's suppress_tokens start with these).
_SUPPRESSED_SYMBOLS = '"#()*+/:;<=>@[\\]^_`{|}~'

PREPROCESSOR_CONFIG = {
    "chunk_length": 30,
    "feature_extractor_type": "WhisperFeatureExtractor",
    "feature_size": N_MELS,
    "hop_length": 160,
    "n_fft": 400,
    "n_samples": 480000,
    "nb_max_frames": 3000,
    "padding_side": "right",
    "padding_value": 0.0,
    "return_attention_mask": False,
    "sampling_rate": SAMPLE_RATE,
}


def special_tokens() -> list[str]:
    """Whisper's English-only special tokens from id 50256 on: eot, sot, languages, tasks, timestamps."""
    tokens = ["<|endoftext|>", "<|startoftranscript|>"]
    tokens += [f"<|{lang}|>" for lang in LANGUAGES]
    tokens += ["<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nocaptions|>"]
    tokens += ["<|notimestamps|>"]
    tokens += [f"<|{i * 0.02:.2f}|>" for i in range(N_AUDIO_CTX + 1)]  # <|0.00|> ... <|30.00|>
    return tokens


def byte_tokens() -> list[str]:
    """The 256 byte-level BPE tokens in GPT-2 order (printable bytes first, so " " -> "Ġ" is id 220)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAC + 1), *range(0xAE, 0xFF + 1)]
    chars = {b: chr(b) for b in printable}
    extra = (b for b in range(256) if b not in chars)
    chars.update((b, chr(256 + n)) for n, b in enumerate(extra))
    return [chars[b] for b in printable] + [chars[b] for b in range(256) if b not in printable]


def text_vocab(n: int = EOT) -> tuple[list[str], list[tuple[str, str]]]:
    """``n`` byte-level BPE tokens and the merges that build them: bytes, then pseudo-syllables and words.

    Every merged token is a merge of two earlier tokens, so ``tokenizers`` accepts the vocab and merges.
    """
    space = byte_tokens()[220]
    vocab = byte_tokens()
    merges: list[tuple[str, str]] = []
    consonants, vowels = "bdfghjklmnprstvwz", "aeiou"

    def add(left: str, right: str) -> None:
        if len(vocab) < n:
            vocab.append(left + right)
            merges.append((left, right))

    for c in "-'" + consonants:  # " -" and " '" are single tokens in Whisper, as faster-whisper assumes
        add(space, c)
    syllables = [c + v for v in vowels for c in consonants]
    for syl in syllables:
        add(syl[0], syl[1])
        add(space + syl[0], syl[1])
    words = [space + syl for syl in syllables] + syllables
    while len(vocab) < n:
        longer = []
        for word, syl in itertools.product(words, syllables):
            add(word, syl)
            longer.append(word + syl)
            if len(vocab) >= n:
                break
        words = longer
    return vocab, merges


def vocabulary() -> list[str]:
    """All ``N_VOCAB_EN`` tokens by id, as written to ``vocabulary.json``."""
    vocab = text_vocab()[0] + special_tokens()
    assert len(vocab) == N_VOCAB_EN, len(vocab)
    return vocab


def write_tokenizer(path: Path) -> None:
    """Write a byte-level BPE ``tokenizer.json`` whose ids match :func:`vocabulary`."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

    vocab, merges = text_vocab()
    tokenizer = Tokenizer(models.BPE(vocab={tok: i for i, tok in enumerate(vocab)}, merges=merges))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    specials = [AddedToken(tok, special=True, normalized=False) for tok in special_tokens()]
    tokenizer.add_special_tokens(specials)
    if tokenizer.get_vocab_size() != N_VOCAB_EN or tokenizer.token_to_id("<|notimestamps|>") != 50362:
        raise RuntimeError("tokenizer ids do not match the Whisper English-only vocabulary")
    tokenizer.save(str(path))


def _whisper_config(layers: int, heads: int) -> dict[str, list]:
    """config.json fields as the converter sets them (alignment heads: all heads of the last half)."""
    vocab = vocabulary()
    ids = {tok: i for i, tok in enumerate(vocab)}
    byte_ids = {tok: i for i, tok in enumerate(byte_tokens())}
    tasks = ["<|startoftranscript|>", "<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>"]
    suppress = [byte_ids[s] for s in _SUPPRESSED_SYMBOLS] + [ids[t] for t in [*tasks, "<|nocaptions|>"]]
    return {
        "alignment_heads": [[layer, head] for layer in range(layers // 2, layers) for head in range(heads)],
        "lang_ids": [ids[f"<|{lang}|>"] for lang in LANGUAGES],
        "suppress_ids": sorted(suppress),
        "suppress_ids_begin": [byte_ids["Ġ"], EOT],
    }


class _Init:
    """Seeded N(0, 0.02) float32 arrays."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def __call__(self, *shape: int) -> np.ndarray:
        data = self.rng.standard_normal(shape, dtype=np.float32)
        data *= 0.02
        return data


def _set_layer_norm(spec: Any, d: int) -> None:
    """Identity layer norm: gamma 1, beta 0."""
    spec.gamma = np.ones(d, dtype=np.float32)
    spec.beta = np.zeros(d, dtype=np.float32)


def _set_attention(spec: Any, d: int, w: _Init, self_attention: bool) -> None:
    """Attention as the converter fuses it: q, k (no bias in Whisper) and v into linear[0] for
    self-attention; q in linear[0] and fused kv in linear[1] for cross-attention; out last."""
    q, k, v = w(d, d), w(d, d), w(d, d)
    q_bias, k_bias, v_bias = w(d), np.zeros(d, dtype=np.float32), w(d)
    linear = spec.linear
    if self_attention:
        linear[0].weight = np.concatenate([q, k, v])
        linear[0].bias = np.concatenate([q_bias, k_bias, v_bias])
    else:
        linear[0].weight, linear[0].bias = q, q_bias
        linear[1].weight = np.concatenate([k, v])
        linear[1].bias = np.concatenate([k_bias, v_bias])
    linear[-1].weight, linear[-1].bias = w(d, d), w(d)
    _set_layer_norm(spec.layer_norm, d)


def _set_ffn(spec: Any, d: int, w: _Init) -> None:
    """fc1 (4d x d), fc2 (d x 4d) and the pre-norm."""
    spec.linear_0.weight, spec.linear_0.bias = w(4 * d, d), w(4 * d)
    spec.linear_1.weight, spec.linear_1.bias = w(d, 4 * d), w(d)
    _set_layer_norm(spec.layer_norm, d)


def whisper_spec(arch: str, seed: int = 0) -> Any:
    """A filled ``ctranslate2.specs.WhisperSpec`` of ``arch`` with seeded random weights."""
    from ctranslate2.specs import WhisperSpec

    d, heads, layers = ARCHS[arch]
    w = _Init(seed)
    spec = WhisperSpec(layers, heads, layers, heads)
    enc, dec = spec.encoder, spec.decoder
    enc.conv1.weight, enc.conv1.bias = w(d, N_MELS, 3), w(d)
    enc.conv2.weight, enc.conv2.bias = w(d, d, 3), w(d)
    enc.position_encodings.encodings = w(N_AUDIO_CTX, d)
    _set_layer_norm(enc.layer_norm, d)
    for layer in enc.layer:
        _set_attention(layer.self_attention, d, w, self_attention=True)
        _set_ffn(layer.ffn, d, w)
    dec.embeddings.weight = w(N_VOCAB_EN, d)
    dec.position_encodings.encodings = w(N_TEXT_CTX, d)
    _set_layer_norm(dec.layer_norm, d)
    for layer in dec.layer:
        _set_attention(layer.self_attention, d, w, self_attention=True)
        _set_attention(layer.attention, d, w, self_attention=False)
        _set_ffn(layer.ffn, d, w)
    dec.projection.weight = dec.embeddings.weight  # tied, no bias (HF proj_out)
    for key, value in _whisper_config(layers, heads).items():
        setattr(spec.config, key, value)
    spec.register_vocabulary(vocabulary())
    return spec


def build_ct2_model(folder: Path, arch: str = "tiny.en", seed: int = 0, quantization: str = "int8") -> Path:
    """Write a random-weight English-only CTranslate2 Whisper model of ``arch`` into ``folder``; return it.

    Deterministic for a given ``seed``. ``arch`` is ``"tiny.en"`` or ``"base.en"``. The folder loads with
    ``faster_whisper.WhisperModel(str(folder), device="cpu", compute_type="int8")`` fully offline.
    """
    if arch not in ARCHS:
        raise ValueError(f"unknown arch {arch!r}; expected one of {sorted(ARCHS)}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    spec = whisper_spec(arch, seed)
    spec.validate()
    spec.optimize(quantization=quantization)
    spec.save(str(folder))
    write_tokenizer(folder / "tokenizer.json")
    (folder / "preprocessor_config.json").write_text(json.dumps(PREPROCESSOR_CONFIG, indent=2) + "\n")
    return folder
