"""Auto-selection on real speech: once the user has spoken, the engines that have the model decode the same
speech and the faster one runs; the reason shown gives both figures."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from echotui import SAMPLE_RATE
from echotui.audio.file_source import DecodedFile
from echotui.config import Settings
from echotui.selection.decode import Decode, faster_on_speech, measure_decode
from echotui.selection.select import Recommendation

BY_ENCODER = Recommendation(
    "whispercpp", "tiny.en", "cpu", "default", 1.0, 0.39, "tiny.en predicts RTF 0.39 (measured)", True
)
SPEECH = np.zeros(10 * SAMPLE_RATE, dtype=np.float32)


def timed(figures: dict[str, float | None]) -> Decode:
    """A decode timer that answers with known figures (the real one is tested below)."""
    return lambda settings, provider, model, speech: figures[provider]


def test_the_engine_faster_on_real_speech_runs_and_the_reason_gives_both_figures() -> None:
    decode = timed({"whispercpp": 0.31, "faster-whisper": 0.12})
    best = faster_on_speech(Settings(), BY_ENCODER, ["whispercpp", "faster-whisper"], SPEECH, decode)
    assert (best.provider, best.model, best.compute) == ("faster-whisper", "tiny.en", "int8")
    assert best.predicted_rtf == 0.12 and best.measured
    assert "whispercpp RTF 0.31" in best.reason and "faster-whisper RTF 0.12" in best.reason
    assert "10.0 s of your speech" in best.reason and "encoder pass" in best.reason


def test_the_encoder_choice_stays_when_it_is_also_faster_on_speech() -> None:
    decode = timed({"whispercpp": 0.08, "faster-whisper": 0.12})
    best = faster_on_speech(Settings(), BY_ENCODER, ["faster-whisper"], SPEECH, decode)
    assert best.provider == "whispercpp" and best.predicted_rtf == 0.08
    assert best.reason.startswith(BY_ENCODER.reason) and "faster-whisper RTF 0.12" in best.reason


@pytest.mark.parametrize(
    ("speech", "recommendation", "figures"),
    [
        (SPEECH[: 3 * SAMPLE_RATE], BY_ENCODER, {"whispercpp": 0.3, "faster-whisper": 0.1}),  # too little
        (SPEECH, BY_ENCODER, {"whispercpp": 0.3, "faster-whisper": None}),  # only one engine could run
        (SPEECH, Recommendation("whispercpp", "small.en", "metal", "default", 1.0, 0.1, "GPU"), {}),
    ],
)
def test_nothing_changes_without_two_timings_of_enough_speech_on_the_cpu(
    speech: np.ndarray, recommendation: Recommendation, figures: dict[str, float | None]
) -> None:
    best = faster_on_speech(Settings(), recommendation, ["faster-whisper"], speech, timed(figures))
    assert best == recommendation


@pytest.mark.parametrize("provider", ["whispercpp", "faster-whisper"])
def test_a_real_decode_is_timed_on_real_weights(
    provider: str, real_models_dir: Path, sentence_wav: Path
) -> None:
    """On one spoken sentence (the length of the speech is not the point: each run decodes all of it)."""
    audio = np.concatenate(list(DecodedFile(sentence_wav).blocks()))
    settings = Settings(models_dir=real_models_dir, threads=2)
    began = time.perf_counter()
    rtf = measure_decode(settings, provider, "tiny.en", audio)
    outside = time.perf_counter() - began  # load, warm-up and two timed decodes, by the test's own clock
    assert rtf is not None and rtf > 0
    assert 2 * rtf * (len(audio) / SAMPLE_RATE) < outside, "each timed decode lies inside the call"
