"""A first run on a machine with no network and no microphone (a fresh server over SSH): the `tiny` extra's
model is on disk and used, `--demo` shows real captions, and where something is missing, the ways forward
are named (a model to pull, a models folder, the sound server)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Static

from echotui.app import EchoApp
from echotui.audio.clock import CLOCK_ENV
from echotui.cli.app import session_from_args
from echotui.cli.parser import build_parser
from echotui.config import Settings
from echotui.providers.base import LoadedModel
from echotui.session import Session
from echotui.widgets.captions import CaptionView
from tests.cli import AWARE, Run, echotui
from tests.doubles import QuietSource, ReadyProvider


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """No network, nothing in the Hugging Face cache, a machine never measured (here and in subprocesses)."""
    import huggingface_hub.constants

    cache = tmp_path / "hf-cache"
    env = {
        "HF_HUB_OFFLINE": "1",
        "HF_HUB_CACHE": str(cache),
        "HF_ENDPOINT": "http://127.0.0.1:9",
        "ECHOTUI_CACHE_DIR": str(tmp_path / "timings"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    yield env


@pytest.fixture
def no_microphone(tmp_path: Path) -> dict[str, str]:
    """PortAudio that lists no device at all, as on a server without a sound server (a stand-in
    `sounddevice` module first on the path; the shared PulseAudio is left alone)."""
    fake = tmp_path / "no-devices"
    fake.mkdir()
    (fake / "sounddevice.py").write_text(
        "class PortAudioError(Exception):\n    pass\n\n\n"
        "class default:\n    device = (-1, -1)\n\n\n"
        "def query_devices():\n    return []\n\n\n"
        "def query_hostapis():\n    return []\n"
    )
    return {"PYTHONPATH": f"{fake}:{Path.cwd()}"}


def words(text: str) -> str:
    return " ".join(re.findall(r"[a-z']+", text.lower()))


def one_line_error(run: Run) -> str:
    assert run.code != 0 and "Traceback" not in run.stderr, run.stderr
    assert len(run.stderr_lines) == 1, run.stderr
    assert run.stderr_lines[0].startswith("echotui: error: ")
    return run.stderr_lines[0]


def test_the_tiny_extra_is_listed_as_tiny_en_on_disk(offline: dict[str, str]) -> None:
    run = echotui("models", "--provider", "faster-whisper", env=offline)
    assert run.code == 0, run.stderr
    row = next(line for line in run.stdout.splitlines() if line.split()[1:2] == ["tiny.en"])
    assert row.split()[0] == "faster-whisper"
    assert row.split()[-2:] == ["yes", "echotui[tiny]"], "on disk, from the extra"
    base = next(line for line in run.stdout.splitlines() if line.split()[1:2] == ["base.en"])
    assert " yes " not in base, "nothing else is on disk here"


def test_the_demo_offline_transcribes_the_clip_with_the_extras_model(
    offline: dict[str, str], no_microphone: dict[str, str], tmp_path: Path
) -> None:
    """Auto finds nothing it would rather run on disk and takes the extra's tiny.en: no download is tried
    (offline, a download would end the run with "cannot download")."""
    stats = tmp_path / "stats.json"
    # the computation-aware clock: a real engine's live layer as on a user's first run (passes thin out while
    # one computes), without waiting idle for the clip (no latency is measured here)
    env = {**offline, **no_microphone, **AWARE}
    run = echotui("transcribe", "--demo", "--stats-json", stats, env=env)
    assert run.code == 0, run.stderr
    assert "cannot download" not in run.stderr
    report = json.loads(stats.read_text())
    assert (report["provider"], report["model"]) == ("faster-whisper", "tiny.en")
    heard = words(run.stdout)
    for phrase in ("fellow americans", "ask not what your country can do for you", "for your country"):
        assert phrase in heard, heard


def test_demo_with_a_file_or_a_device_is_one_line(sentence_wav: Path) -> None:
    for args in (("--demo", "--file", sentence_wav), ("transcribe", "--demo", "--device", "0")):
        assert "--demo plays its own clip" in one_line_error(echotui(*args))
    assert "--demo plays its own clip" in one_line_error(echotui("transcribe", sentence_wav, "--demo"))


def test_providers_says_when_the_recommended_model_is_not_on_disk(
    offline: dict[str, str], models_dir: Path, measured_here: Path
) -> None:
    offline = {**offline, "ECHOTUI_CACHE_DIR": str(measured_here)}  # timed once per run: not the point here
    run = echotui("providers", "--provider", "whispercpp", "--model", "small.en", env=offline)
    assert run.code == 0, run.stderr
    last = run.stdout.splitlines()[-1]
    assert last.startswith("whispercpp small.en is not on disk: it downloads on first use"), last
    for way in ("echotui models pull small.en", "--models-dir", "ECHOTUI_MODELS_DIR", "echotui[tiny]"):
        assert way in last

    here = ("providers", "--provider", "whispercpp", "--model", "tiny.en", "--models-dir", models_dir)
    run = echotui(*here, env=offline)
    assert run.code == 0, run.stderr
    assert "not on disk" not in run.stdout
    report = json.loads(echotui(*here, "--json", env=offline).stdout)
    assert report["recommended_on_disk"] and report["not_on_disk"] is None


def test_no_input_device_names_the_sound_server_and_the_way_out(no_microphone: dict[str, str]) -> None:
    line = one_line_error(echotui("devices", env=no_microphone))
    for hint in ("PortAudio lists none", "PulseAudio or PipeWire", "`audio` group", "Microphone", "--demo"):
        assert hint in line, line
    line = one_line_error(echotui("--model", "tiny.en", env=no_microphone))  # the app, on no device
    assert "PulseAudio or PipeWire" in line and "echotui --demo" in line


def captions_text(app: EchoApp) -> str:
    return " ".join(entry.text for entry in app.query_one(CaptionView).entries)


async def wait_for(condition: object, timeout: float = 90.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting for the screen"
        await asyncio.sleep(0.05)


def test_the_demo_in_the_app_shows_the_clips_words(
    offline: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the computation-aware clock: a real engine's live layer as at real time, without the idle waits
    monkeypatch.setenv(CLOCK_ENV, AWARE[CLOCK_ENV])
    session, choice = session_from_args(build_parser().parse_args(["--demo", "--threads", "2"]))
    assert (session.settings.provider, session.settings.model) == ("faster-whisper", "tiny.en")
    assert session.refine is None, "the demo does not measure the machine while it plays"
    app = EchoApp(session, choice=choice)

    async def story() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(lambda: "end of audio" in captions_text(app))
            finals = words(" ".join(final.text for final in session.finals))
            assert "ask not what your country can do for you" in finals, finals
            assert "your country can do" in words(captions_text(app))
            await pilot.press("q")

    asyncio.run(story())


def test_a_model_that_cannot_be_downloaded_shows_the_ways_forward_in_the_app(
    offline: dict[str, str], sentence_wav: Path
) -> None:
    args = ["--file", str(sentence_wav), "--provider", "faster-whisper", "--model", "small.en"]
    session, choice = session_from_args(build_parser().parse_args(args))
    app = EchoApp(session, choice=choice)

    async def story() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(lambda: session.failure is not None)
            await pilot.pause(0.5)
            shown = captions_text(app) + str(app.query_one("#health-state", Static).visual)
            ways = ("echotui models pull small.en", "--models-dir", "ECHOTUI_MODELS_DIR", "echotui[tiny]")
            for way in ways:
                assert way in shown, shown
            await pilot.press("q")

    asyncio.run(story())


def test_the_device_picker_with_no_device_says_what_to_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """PortAudio lists nothing (a stand-in for the listing; the shared PulseAudio is left alone): `d`
    answers with the sound server and permissions to check, not a bare "no input devices"."""
    import echotui.audio.devices

    monkeypatch.setattr(echotui.audio.devices, "list_input_devices", lambda: [])
    loaded = LoadedModel("ready", "tiny.en", "cpu", "-")
    session = Session(Settings(), QuietSource("file talk.wav"), provider=ReadyProvider(loaded), journal=False)
    app = EchoApp(session)

    async def story() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("d")
            await wait_for(lambda: bool(app._notifications))
            message = str(list(app._notifications)[-1].message)
            assert "PulseAudio or PipeWire" in message and "echotui --demo" in message, message
            assert len(app.screen_stack) == 1, "no empty picker opened"
            await pilot.press("q")

    asyncio.run(story())
