"""faster-whisper (CTranslate2) on the real tiny.en weights, through the same pipeline and stats."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from echotui import SAMPLE_RATE
from echotui.errors import EchoError
from echotui.models.choice import ModelChoice
from echotui.providers.base import TranscribeRequest
from echotui.providers.fasterwhisper import FasterWhisperProvider, one_window_tokens
from echotui.providers.fasterwhisper_abilities import choose_compute, choose_device
from echotui.quality import word_errors
from tests.cli import echotui
from tests.support.corpus import PAUSED, Speech
from tests.support.speech import read_wav


def test_speech_through_faster_whisper_offline(
    real_models_dir: Path, sentence_wav: Path, tmp_path: Path
) -> None:
    out, stats_path = tmp_path / "out.jsonl", tmp_path / "stats.json"
    run = echotui(
        "transcribe", sentence_wav, "--provider", "faster-whisper", "--models-dir", real_models_dir,
        "--model", "tiny.en", "--speed", "0", "--format", "jsonl", "--output", out,
        "--stats-json", stats_path, "--threads", "2",
        env={"HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    assert run.code == 0, run.stderr
    stats = json.loads(stats_path.read_text())
    assert (stats["provider"], stats["model"], stats["backend"]) == ("faster-whisper", "tiny.en", "cpu")
    samples = stats["samples"]
    assert samples["captured"] == samples["transcribed"] + samples["vad_skipped"] + samples["dropped"]
    assert samples["pending"] == 0 and stats["transcribed_s"] > 2
    records = [json.loads(line) for line in out.read_text().splitlines()]
    lines = [record for record in records if "text" in record]  # (not the overload governor's lines)
    assert any(line["final"] and line["text"] for line in lines)
    assert len([line for line in run.stderr.splitlines() if line.strip()]) == 1, run.stderr


def test_model_folder_that_is_not_ctranslate2(sentence_wav: Path, tmp_path: Path) -> None:
    run = echotui("transcribe", sentence_wav, "--provider", "faster-whisper", "--model-path", tmp_path)
    assert run.code != 0 and "Traceback" not in run.stderr
    assert run.stderr.startswith("echotui: error: ") and "not a CTranslate2 model folder" in run.stderr


def test_device_auto_uses_cuda_only_when_ctranslate2_sees_it() -> None:
    assert choose_device("auto", cuda_devices=0) == "cpu"
    assert choose_device("auto", cuda_devices=1) == "cuda"
    assert choose_compute("default", "cuda") == "float16"
    assert choose_compute("default", "cpu") == "int8"
    assert choose_compute("int8_float16", "cuda") == "int8_float16"
    with pytest.raises(EchoError, match="no Metal backend"):
        choose_device("metal", cuda_devices=0)
    with pytest.raises(EchoError, match="no CUDA device"):
        choose_device("cuda", cuda_devices=0)


class _EncoderSpy:
    """Stands between faster-whisper and CTranslate2's model: records how many mel frames each encoder
    call gets, and passes everything through."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.frames: list[int] = []

    def encode(self, features: Any, **options: Any) -> Any:
        self.frames.append(features.shape[-1])
        return self.inner.encode(features, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_short_window_is_encoded_at_its_length_and_heard_right(
    real_models: dict[str, Path], corpus: dict[str, Speech]
) -> None:
    """A streaming pass over 6 s of speech costs 6 s of encoder (plus a margin), not a 30 s window, and the
    words are as right as with the full window; an offline call still gets the engine's 30 s windows."""
    speech = corpus["paused"]
    audio = read_wav(speech.path)[: 6 * SAMPLE_RATE]
    provider = FasterWhisperProvider(ModelChoice(path=real_models["faster-whisper"]), threads=2)
    provider.load()
    spy = _EncoderSpy(provider._model.model)
    provider._model.model = spy
    short = provider.transcribe(TranscribeRequest(audio, 0.0, False, word_timestamps=True))
    full = provider.transcribe(TranscribeRequest(audio, 0.0, True, word_timestamps=True, full_window=True))
    assert spy.frames == [6 * 100 + 256, 3000]  # 100 mel frames a second, 2.56 s of margin; then 30 s
    spoken = " ".join(s.text for s in short)
    assert (
        word_errors(" ".join(PAUSED[:2]), spoken).wer
        <= word_errors(" ".join(PAUSED[:2]), " ".join(s.text for s in full)).wer + 0.1
    ), spoken
    assert all(w.end_s <= 6.0 for s in short for w in s.words), "no word timed past the audio"


def test_speech_cut_mid_sentence_is_decoded_in_one_pass(
    real_models: dict[str, Path], corpus: dict[str, Speech]
) -> None:
    """A live pass ends wherever the speaker is: faster-whisper would decode the tail after its last word
    again (a second encoder run and decoder pass on most streaming calls). Each pass runs the encoder once,
    and still hears the words spoken before the cut as the whole file heard offline has them."""
    audio = read_wav(corpus["continuous"].path)
    provider = FasterWhisperProvider(ModelChoice(path=real_models["faster-whisper"]), threads=2)
    provider.load()
    whole = provider.transcribe(TranscribeRequest(audio, 0.0, True, word_timestamps=True))
    offline = [w for s in whole for w in s.words]
    spy = _EncoderSpy(provider._model.model)
    provider._model.model = spy
    said, before_cut = [], []
    for cut_s in (3.3, 5.1, 7.7, 9.4, 12.2):  # windows from the start: nothing said before them to prompt
        heard = provider.transcribe(
            TranscribeRequest(audio[: round(cut_s * SAMPLE_RATE)], 0.0, False, word_timestamps=True)
        )
        before_cut.append(" ".join(w.text for w in offline if w.end_s < cut_s - 0.3))
        said.append(" ".join(w.text for s in heard for w in s.words))
    assert len(spy.frames) == 5, spy.frames
    pooled = word_errors(" ".join(before_cut), " ".join(said))  # a pass's last words are still tentative
    assert pooled.wer <= 0.25, list(zip(said, before_cut, strict=True))


def test_a_window_heard_to_its_end_is_closed_where_the_audio_ends() -> None:
    """Tokens as the decoder gives them (text 10-12, timestamps from 100): a tail of text is closed at the
    window's end (4 s: 200 steps of 0.02 s), an empty segment opened at the end is dropped, and a finished
    window stays as it is."""
    assert one_window_tokens([100, 10, 11, 150, 150, 12], 100, 4.0) == [100, 10, 11, 150, 150, 12, 300]
    assert one_window_tokens([100, 10, 150, 150], 100, 4.0) == [100, 10, 150]
    assert one_window_tokens([100, 10, 11, 150], 100, 4.0) == [100, 10, 11, 150]
    assert one_window_tokens([100, 10, 11], 100, 40.0) == [100, 10, 11, 1600]  # never past 30 s
    assert one_window_tokens([], 100, 4.0) == []
