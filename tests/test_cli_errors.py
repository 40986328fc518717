"""Bad input gets one line that says what is wrong and what to do: never a traceback."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from echotui import SAMPLE_RATE
from tests.cli import Run, echotui
from tests.support.speech import write_wav

OFFLINE = {"HF_ENDPOINT": "http://127.0.0.1:9", "HF_HUB_ETAG_TIMEOUT": "2"}


def assert_one_line_error(run: Run, *fragments: str) -> None:
    assert run.code != 0
    assert "Traceback" not in run.stderr
    assert len(run.stderr_lines) == 1, run.stderr
    line = run.stderr_lines[0]
    assert line.startswith("echotui: error: ")
    for fragment in fragments:
        assert fragment in line, line


@pytest.fixture
def offline_cache(tmp_path: Path, measured_here: Path) -> dict[str, str]:
    """Offline with an empty Hugging Face cache, on this machine's encoder timings taken once per run ("auto"
    would otherwise time the local models again before it gets to the error)."""
    return {**OFFLINE, "HF_HUB_CACHE": str(tmp_path / "hf-cache"), "ECHOTUI_CACHE_DIR": str(measured_here)}


def test_missing_file(tiny_model: Path, tmp_path: Path) -> None:
    run = echotui("transcribe", tmp_path / "nope.wav", "--model-path", tiny_model)
    assert_one_line_error(run, "nope.wav", "no such file")


def test_empty_file(tiny_model: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    empty.touch()
    assert_one_line_error(echotui("transcribe", empty, "--model-path", tiny_model), "empty")


def test_header_only_wav(tiny_model: Path, sentence_wav: Path, tmp_path: Path) -> None:
    header_only = tmp_path / "header.wav"
    header_only.write_bytes(sentence_wav.read_bytes()[:44])
    run = echotui("transcribe", header_only, "--model-path", tiny_model, "--speed", "0")
    assert_one_line_error(run, "no audio")


def test_not_audio(tiny_model: Path, tmp_path: Path) -> None:
    text = tmp_path / "notes.wav"
    text.write_text("these are meeting notes, not a recording\n" * 20)
    assert_one_line_error(echotui("transcribe", text, "--model-path", tiny_model), "not an audio file")


def test_truncated_wav_keeps_what_was_transcribed(
    real_models: dict[str, Path], sentence_wav: Path, tmp_path: Path
) -> None:
    """On real weights (faster-whisper's tiny.en: the cheapest real decode here), so the words written are
    the words of the half that was there."""
    data = sentence_wav.read_bytes()
    truncated = tmp_path / "cut.wav"
    truncated.write_bytes(data[: len(data) // 2])
    out = tmp_path / "cut.jsonl"
    run = echotui(
        "transcribe", truncated, "--model-path", real_models["faster-whisper"], "--speed", "0",
        "--format", "jsonl", "--output", out, "--threads", "2",
    )  # fmt: skip
    assert_one_line_error(run, "truncated", "what was there was transcribed")
    written = out.read_text().lower()
    assert "your country can do for you" in written, "the half that was there was transcribed and written"


def test_unknown_model_name(tmp_path: Path, sentence_wav: Path, offline_cache: dict[str, str]) -> None:
    run = echotui("transcribe", sentence_wav, "--model", "huge.en", env=offline_cache)
    assert_one_line_error(run, "unknown whisper.cpp model 'huge.en'", "--model-path")


def test_download_impossible_offline(sentence_wav: Path, offline_cache: dict[str, str]) -> None:
    run = echotui("transcribe", sentence_wav, "--model", "small.en", env=offline_cache, timeout=60)
    assert_one_line_error(run, "cannot download", "small.en", "--model-path")


def test_model_file_that_is_not_a_model(sentence_wav: Path, tmp_path: Path) -> None:
    fake = tmp_path / "ggml-fake.bin"
    fake.write_bytes(b"\0" * 4096)
    run = echotui("transcribe", sentence_wav, "--model-path", fake)
    assert_one_line_error(run, "not a whisper.cpp ggml model")


def test_truncated_model_file(tiny_model: Path, sentence_wav: Path, tmp_path: Path) -> None:
    cut = tmp_path / "ggml-cut.bin"
    with tiny_model.open("rb") as f:
        cut.write_bytes(f.read(20_000_000))
    run = echotui("transcribe", sentence_wav, "--model-path", cut)
    assert_one_line_error(run, "truncated or incomplete")


def test_no_such_input_device(tiny_model: Path) -> None:
    run = echotui("transcribe", "--device", "no-such-microphone", "--model-path", tiny_model)
    assert_one_line_error(run, "input device")


def test_portaudio_missing(tmp_path: Path, tiny_model: Path) -> None:
    # What `import sounddevice` does on Linux without libportaudio2, without uninstalling anything.
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "sounddevice.py").write_text("raise OSError('PortAudio library not found')\n")
    env = {"PYTHONPATH": f"{fake}:{Path.cwd()}"}
    assert_one_line_error(echotui("devices", env=env), "PortAudio", "libportaudio2")
    run = echotui("transcribe", "--device", "0", "--model-path", tiny_model, env=env)
    assert_one_line_error(run, "PortAudio")


def test_file_and_device_together(sentence_wav: Path) -> None:
    assert_one_line_error(echotui("transcribe", sentence_wav, "--device", "0"), "either")


def test_bad_environment_value(sentence_wav: Path) -> None:
    run = echotui("transcribe", sentence_wav, env={"ECHOTUI_ASR_CHUNK_SECONDS": "soon"})
    assert_one_line_error(run, "ECHOTUI_ASR_CHUNK_SECONDS")


def test_unwritable_output(tiny_model: Path, sentence_wav: Path, tmp_path: Path) -> None:
    run = echotui(
        "transcribe", sentence_wav, "--model-path", tiny_model, "--output", tmp_path / "no" / "x.txt"
    )
    assert_one_line_error(run, "cannot write")


def test_espeak_is_installed() -> None:
    """The suite's speech comes from espeak-ng: say so plainly if the machine lacks it."""
    assert shutil.which("espeak-ng"), "install espeak-ng (apt-get install espeak-ng)"


@pytest.mark.parametrize("provider", ["auto", "whispercpp", "faster-whisper"])
def test_a_wrong_model_name_is_caught_before_the_app_opens(
    provider: str, sentence_wav: Path, offline_cache: dict[str, str]
) -> None:
    """`echotui --model nosuch` used to open the app and fail inside it; now it never draws a screen
    (stdin is not a terminal here: had the app started, it would not end on its own)."""
    began = time.monotonic()
    run = echotui("--model", "nosuch", "--provider", provider, "--file", sentence_wav, env=offline_cache)
    assert_one_line_error(run, "unknown", "model 'nosuch'", "echotui models")
    assert time.monotonic() - began < 15, "caught before anything loads"


def test_a_wrong_model_name_is_caught_before_transcribing(
    sentence_wav: Path, offline_cache: dict[str, str]
) -> None:
    run = echotui("transcribe", sentence_wav, "--model", "nosuch", env=offline_cache)
    assert_one_line_error(run, "unknown", "model 'nosuch'")
    assert run.stdout == ""


def test_a_model_name_found_in_the_models_dir_is_not_unknown(models_dir: Path, tmp_path: Path) -> None:
    """A file the catalogue does not know, but that lies in --models-dir, is the user's own model: it loads
    and the run ends well (on two seconds of silence: what it would decode is not the point)."""
    own = models_dir.parent / "own-models"
    own.mkdir(exist_ok=True)
    shutil.copy(models_dir / "ggml-tiny.en.bin", own / "ggml-my-tuned.bin")
    quiet = tmp_path / "quiet.wav"
    write_wav(quiet, np.zeros(2 * SAMPLE_RATE, dtype=np.float32))
    run = echotui(
        "transcribe", quiet, "--provider", "whispercpp", "--model", "my-tuned",
        "--models-dir", own, "--speed", "0", "--threads", "2",
    )  # fmt: skip
    assert run.code == 0, run.stderr
    assert "with my-tuned on cpu" in run.stderr, "the summary names the user's model"
