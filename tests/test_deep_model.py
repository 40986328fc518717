"""The governor benchmark's bigger sibling: tiny.en deepened by layers that change nothing reads as base.en
and says tiny.en's words, word for word and at the same times, with more layers to compute."""

from __future__ import annotations

import re
from pathlib import Path

from faster_whisper import WhisperModel

from echotui.models.naming import own_name
from tests.support.corpus import Speech
from tests.support.deep_model import deepen_ct2_model
from tests.support.real_model import read_ct2_model


def _words(folder: Path, speech: Speech) -> list[tuple[str, float, float]]:
    model = WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=2)
    segments, _ = model.transcribe(str(speech.path), beam_size=1, word_timestamps=True)
    return [(w.word, round(w.start, 2), round(w.end, 2)) for s in segments for w in s.words or []]


def test_a_deepened_tiny_en_says_tiny_ens_words_at_the_same_times(
    real_models: dict[str, Path], short_speech: Speech, tmp_path: Path
) -> None:
    tiny = real_models["faster-whisper"]
    deep = deepen_ct2_model(tiny, tmp_path / "model", encoder_layers=9, decoder_layers=10, decoder_lead=2)
    assert own_name(deep) == "base.en" and own_name(tiny) == "tiny.en"

    names = read_ct2_model(deep / "model.bin")
    for stack, depth in (("encoder", 9), ("decoder", 10)):
        layers = {n.split("/")[1] for n in names if re.match(rf"{stack}/layer_\d+/", n)}
        assert layers == {f"layer_{i}" for i in range(depth)}
    tiny_words, deep_words = _words(tiny, short_speech), _words(deep, short_speech)
    assert len(tiny_words) >= 8
    assert deep_words == tiny_words
