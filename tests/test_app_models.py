"""A user with models on disk, from inside the app: a model that fails to load is said once and the picker
is the way out; `p` keeps the model's size and finds it on disk for the other engine; `m` shows the running
model and opens a model file or folder by its path. Real engines: the suite's random-weight models, and real
tiny.en weights where an engine transcribes speech for a while (random weights decode garbage to the
longest text: each call costs seconds, and a swap waits for an utterance's end)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from textual.pilot import Pilot

from echotui import SAMPLE_RATE
from echotui.app import EchoApp
from echotui.audio.clock import WallClock
from echotui.audio.file_source import FileSource
from echotui.audio.switching import LoopingSource
from echotui.config import Settings
from echotui.session import Session
from echotui.widgets.captions import CaptionView
from echotui.widgets.pickers import ModelScreen, PickerScreen
from tests.doubles import BrokenProvider
from tests.support.app import options, shown, wait_for
from tests.support.speech import write_wav


def notices(app: EchoApp) -> list[str]:
    return [e.text for e in app.query_one(CaptionView).entries if e.kind == "notice"]


def toasts(app: EchoApp) -> list[str]:
    return [n.message for n in app._notifications]


def engine(session: Session) -> str | None:
    return session.loaded.provider if session.loaded is not None else None


@pytest.fixture
def shelf(real_models: dict[str, Path], tmp_path: Path) -> Path:
    """A user's folder: a ggml file and a CTranslate2 folder of the real tiny.en, under names of their own."""
    folder = tmp_path / "shelf"
    (folder / "ct2-real-tiny.en").mkdir(parents=True)
    for item in real_models["faster-whisper"].iterdir():
        (folder / "ct2-real-tiny.en" / item.name).symlink_to(item)
    (folder / "ggml-real-tiny.en.bin").symlink_to(real_models["whispercpp"])
    return folder


def test_a_failed_load_is_said_once_and_a_model_picked_on_disk_starts_transcribing(
    models_dir: Path, sentence_wav: Path
) -> None:
    settings = Settings(provider="whispercpp", model="tiny.en", models_dir=models_dir, threads=2)
    # unpaced: the file is heard once the picked model is ready, with no pass to wait for between blocks
    session = Session(settings, FileSource(sentence_wav, speed=0), provider=BrokenProvider())
    app = EchoApp(session)

    async def story() -> None:
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_for(pilot, lambda: "failed to load" in shown(app, "#health-state"))
            await pilot.pause(0.5)
            assert shown(app, "#health-state") == "● failed to load"
            assert shown(app, "#health-backend") == "no model", "not 'loading…' beside a failure"
            said = [n for n in notices(app) if "model file is corrupt" in n]
            assert len(said) == 1 and "press m" in said[0], notices(app)
            assert not [t for t in toasts(app) if "corrupt" in t], "said once, in the captions"

            await pilot.press("m")
            await wait_for(pilot, lambda: isinstance(app.screen, ModelScreen))
            await pilot.press("down", "enter")  # on disk, by name: base.en, tiny.en
            loading = next(t for t in toasts(app) if t.startswith("loading"))
            assert loading.startswith("loading whispercpp tiny.en…")
            assert "transcription starts when it is ready" in loading, "nothing transcribes meanwhile"
            await wait_for(pilot, lambda: session.loaded is not None, timeout=60)
            assert session.loaded is not None and session.loaded.model == "tiny.en"
            await wait_for(pilot, lambda: any(n.startswith("loaded whispercpp") for n in notices(app)))
            await wait_for(pilot, lambda: session.snapshot().state == "finished", timeout=90)
            assert session.pipeline.transcribed > 0, "the picked model transcribed the file"
            assert shown(app, "#health-backend") == "CPU"
            await pilot.press("q")
        assert app.return_code == 0, "recovered: the session did not fail"

    asyncio.run(story())


def test_provider_key_keeps_the_size_and_finds_it_on_disk_for_the_other_engine(
    shelf: Path, sentence_wav: Path
) -> None:
    settings = Settings(provider="whispercpp", model="real-tiny.en", models_dir=shelf, threads=2)
    # on the wall clock: the new engine loads in wall time while the speech plays
    session = Session(settings, FileSource(sentence_wav, clock=WallClock(speed=1.0)))
    app = EchoApp(session)

    async def story() -> None:
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_for(pilot, lambda: session.loaded is not None, timeout=60)
            await pilot.press("p")
            await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen))
            await pilot.press("down", "enter")  # whispercpp, faster-whisper, voxtral
            await wait_for(pilot, lambda: engine(session) == "faster-whisper")
            loaded = session.loaded
            assert loaded is not None and loaded.provider == "faster-whisper"
            assert Path(loaded.path) == shelf / "ct2-real-tiny.en", "the folder on disk, no download"
            assert session.settings.model == "tiny.en", "tiny.en stays tiny.en"
            assert any(t.startswith("loading faster-whisper tiny.en (") for t in toasts(app))
            await pilot.press("q")

    asyncio.run(story())


def test_provider_key_finds_the_ggml_file_beside_a_folder_opened_by_its_path(
    shelf: Path, sentence_wav: Path
) -> None:
    settings = Settings(provider="faster-whisper", model_path=shelf / "ct2-real-tiny.en", threads=2)
    # on the wall clock: the new engine loads in wall time while the speech plays
    talk = LoopingSource(lambda: FileSource(sentence_wav, clock=WallClock(speed=1.0)))  # still talking then
    session = Session(settings, talk)
    app = EchoApp(session)

    async def story() -> None:
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_for(pilot, lambda: session.loaded is not None, timeout=60)
            await pilot.press("p")
            await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen))
            await pilot.press("enter")  # whispercpp
            await wait_for(pilot, lambda: engine(session) == "whispercpp")
            assert session.loaded is not None and Path(session.loaded.path) == shelf / "ggml-real-tiny.en.bin"
            await pilot.press("q")

    asyncio.run(story())


async def open_by_path(app: EchoApp, pilot: Pilot[int], typed: str) -> None:
    """`m`, then "open a local file or folder…" (the last line), then the path typed and Enter."""
    await pilot.press("m")
    await wait_for(pilot, lambda: isinstance(app.screen, ModelScreen))
    await pilot.press("end", "enter", *typed, "enter")
    await pilot.pause(0.1)


def test_model_key_lists_the_running_model_and_opens_a_model_by_its_path(
    shelf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(shelf.parent))  # paths typed from the home folder: `~/shelf/…`
    ggml = shelf / "ggml-real-tiny.en.bin"
    settings = Settings(provider="whispercpp", model_path=ggml, threads=2)
    # A quiet room: a swap mid-speech is the stories' above. Here the keys are many, and a key pressed while
    # an engine computes in the process costs Pilot up to 2 s (it waits for the process to go idle).
    quiet = tmp_path / "quiet.wav"
    write_wav(quiet, np.zeros(2 * SAMPLE_RATE, dtype=np.float32))
    session = Session(settings, FileSource(quiet, speed=0))
    app = EchoApp(session)

    async def story() -> None:
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_for(pilot, lambda: session.loaded is not None, timeout=60)
            await pilot.press("m")
            await wait_for(pilot, lambda: isinstance(app.screen, ModelScreen))
            listed = options(app)
            assert [o for o in listed if o.startswith("▶")] == [next(o for o in listed if str(ggml) in o)]
            assert listed[-1] == "… open a local file or folder…"
            await pilot.press("escape")

            await open_by_path(app, pilot, "~/shelf/nothing-here")
            assert any(t.startswith(f"{shelf / 'nothing-here'}: no such file or folder") for t in toasts(app))
            assert not session.pipeline.swapping, "nothing loads for a wrong path"

            await open_by_path(app, pilot, "~/shelf/ct2-real-tiny.en")
            assert any(t.startswith("loading faster-whisper tiny.en (") for t in toasts(app))
            await wait_for(pilot, lambda: engine(session) == "faster-whisper")
            assert session.loaded is not None
            assert Path(session.loaded.path) == shelf / "ct2-real-tiny.en", "the engine from the path"

            await pilot.press("m")
            await wait_for(pilot, lambda: isinstance(app.screen, ModelScreen))
            running = [o for o in options(app) if o.startswith("▶")]
            assert len(running) == 1 and running[0].startswith("▶ ct2-real-tiny.en"), running
            await pilot.press("escape")
            await pilot.press("q")

    asyncio.run(story())
