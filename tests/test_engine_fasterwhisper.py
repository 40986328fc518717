"""faster-whisper (CTranslate2) on the real tiny.en weights, through the same pipeline and stats."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
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
    assert spy.frames[0] == 6 * 100 + 256  # 100 mel frames a second, 2.56 s of margin
    assert spy.frames[1:] and set(spy.frames[1:]) == {3000}  # then 30 s windows (what follows a stop too)
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


def test_a_sentence_heard_after_the_one_before_it_is_never_left_out(
    real_models: dict[str, Path], corpus: dict[str, Speech]
) -> None:
    """A live window reaches back over the sentence before a short pause (its context). On such a window
    whisper may end after the first sentence: on the paused corpus the last sentence, said just before the
    file ended, was lost (its utterance's final call heard only the one before). Each pair of the paused
    sentences, cut where the whole file's words put them and closed as a final call closes a window (0.2 s
    into the pause after), comes back with the words of both."""
    audio = read_wav(corpus["paused"].path)
    provider = FasterWhisperProvider(ModelChoice(path=real_models["faster-whisper"]), threads=2)
    provider.load()
    whole = provider.transcribe(TranscribeRequest(audio, 0.0, True, word_timestamps=True, full_window=True))
    starts, ends, words = [], [], [w for s in whole for w in s.words]
    for before, word in zip([None, *words], words, strict=False):
        if before is None or before.text.endswith("."):
            starts.append(word.start_s)
        if word.text.endswith("."):
            ends.append(word.end_s)
    assert len(starts) == len(ends) == len(PAUSED), [w.text for w in words]
    heard = []
    for i in range(len(PAUSED) - 1):
        for back_s in (0.0, 0.3):  # the window starts at the sentence, or in the pause before it
            start, end = max(0.0, starts[i] - back_s), ends[i + 1] + 0.2
            window = audio[round(start * SAMPLE_RATE) : round(end * SAMPLE_RATE)]
            request = TranscribeRequest(window, start, True, " ".join(PAUSED[:i]), word_timestamps=True)
            heard.append((i, " ".join(w.text for s in provider.transcribe(request) for w in s.words)))
    for i, text in heard:
        assert word_errors(" ".join(PAUSED[i : i + 2]), text).wer <= 0.2, heard


class _StopsEarly:
    """Stands in for faster-whisper's model: hears the words it is given up to `stop_s` of any audio it
    gets (timed from that audio's start), and records each call's audio length and prompt."""

    def __init__(self, words: list[tuple[float, float, str]], stop_s: float) -> None:
        self.words, self.stop_s = words, stop_s
        self.calls: list[tuple[float, str | None]] = []
        self.encoder_frames: int | None = None
        self.one_window = False

    def transcribe(self, audio: np.ndarray, **options: Any) -> tuple[list[Any], None]:
        offset = self.calls[0][0] - len(audio) / SAMPLE_RATE if self.calls else 0.0  # a later call: the rest
        self.calls.append((len(audio) / SAMPLE_RATE, options.get("initial_prompt")))
        heard = [
            SimpleNamespace(start=a - offset, end=b - offset, word=f" {t}")
            for a, b, t in self.words
            if a >= offset and b - offset <= self.stop_s
        ]
        if not heard:
            return [], None
        text = "".join(w.word for w in heard)
        return [SimpleNamespace(text=text, start=heard[0].start, end=heard[-1].end, words=heard)], None


def test_what_the_decoder_left_after_its_last_word_is_decoded_with_the_words_before_as_prompt() -> None:
    """A decoder that stops 3 s into 7 s of audio: the rest, from its last word on, is decoded once more,
    its words timed on the whole window's clock and the words heard first (after the caller's prompt) as
    its prompt. One that stops within a second of the end, as a window cut mid-word does, is decoded once."""
    words = [(0.2, 1.0, "We"), (1.0, 3.0, "planted."), (4.0, 5.0, "Her"), (5.0, 6.5, "brother.")]
    provider = FasterWhisperProvider(ModelChoice(path=Path("unused")))
    provider._model = _StopsEarly(words, stop_s=3.5)
    audio = np.zeros(7 * SAMPLE_RATE, dtype=np.float32)
    segments = provider.transcribe(TranscribeRequest(audio, 0.0, True, "Open it.", word_timestamps=True))
    assert [(w.start_s, w.end_s, w.text) for s in segments for w in s.words] == words
    assert provider._model.calls == [(7.0, "Open it."), (4.0, "Open it. We planted.")]
    provider._model = _StopsEarly(words, stop_s=6.5)
    segments = provider.transcribe(TranscribeRequest(audio, 0.0, False, word_timestamps=True))
    assert len(provider._model.calls) == 1 and len([w for s in segments for w in s.words]) == 4
