"""A user at the keyboard: the app shows captions and health, and every key does what it says — with a
test engine where speed matters and the real whisper.cpp / faster-whisper engines for hot swaps."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from textual.widgets import Static

from echotui.app import EchoApp
from echotui.audio.clock import WallClock
from echotui.audio.file_source import DecodedFile, FileSource
from echotui.config import Settings
from echotui.session import Session
from echotui.widgets.captions import CaptionView
from echotui.widgets.pickers import HelpScreen, ModelScreen, PickerScreen
from tests.doubles import WordOracleProvider
from tests.support.app import finals_on_screen, shown, wait_for
from tests.support.speech import WordTiming


@pytest.fixture
def oracle_session(timed_words: tuple[Path, list[WordTiming]]) -> Session:
    path, words = timed_words
    audio = __import__("numpy").concatenate(list(DecodedFile(path).blocks()))
    settings = Settings(provider="whispercpp", chunk_seconds=0.5, max_utterance_seconds=3.0, queue_seconds=10)
    # on the wall clock: the keys act mid-file as a user's do (pause stops a file that is still playing)
    source = FileSource(path, clock=WallClock(speed=3.0))
    return Session(settings, source, provider=WordOracleProvider(words, audio))


def test_keys_pause_timestamps_clear_save_help_quit(
    oracle_session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = EchoApp(oracle_session, log_path=tmp_path / "echotui.log")

    async def story() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: len(finals_on_screen(app)) >= 2)
            assert shown(app, "#health-backend") == "CPU"
            assert "oracle" in shown(app, "#health-model")

            await pilot.press("t")
            view = app.query_one(CaptionView)
            assert view.timestamps
            assert any(view.shown_text(e).startswith("[00:00:") for e in view.entries if e.kind == "final")

            await pilot.press("space")
            await wait_for(pilot, lambda: "paused" in shown(app, "#health-state"))
            captured = oracle_session.pipeline.ledger().captured
            await pilot.pause(0.5)
            assert oracle_session.pipeline.ledger().captured == captured, "a paused file does not advance"
            await pilot.press("space")
            await wait_for(pilot, lambda: "paused" not in shown(app, "#health-state"))

            shown_before = finals_on_screen(app)
            await pilot.press("c")  # the file plays on: a final may arrive right after, but none from before
            assert not set(shown_before) & set(finals_on_screen(app))
            kept = len(oracle_session.finals)
            assert kept >= 2, "clearing the screen keeps the transcript"

            await pilot.press("s")
            await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen))
            await pilot.press("enter")  # txt, the first format
            await wait_for(pilot, lambda: any(tmp_path.glob("echotui-*.txt")))
            saved = next(tmp_path.glob("echotui-*.txt")).read_text().split()
            assert len(saved) >= kept and saved[:2] == ["the", "quick"]

            await pilot.press("question_mark")
            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
            assert str(tmp_path / "echotui.log") in str(app.screen.query_one("#help-text", Static).visual)
            await pilot.press("escape")

            await pilot.press("q")
        assert app.return_code == 0

    asyncio.run(story())


@pytest.fixture
def mixed_models_dir(real_models_dir: Path, tmp_path: Path) -> Path:
    """One folder holding whisper.cpp files and a CTranslate2 folder, as a user's --models-dir might: the
    real tiny.en for both engines (random weights decode garbage to the longest text, seconds a pass, and a
    swap waits for the utterance's end), and the real tiny.en's ggml file again as base.en: a second model
    on disk for the model key to swap to (the point is the swap mid-file, not base.en's words; random
    base.en weights cost this story about 8 s of garbage decoding after the swap)."""
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "ggml-tiny.en.bin").symlink_to(real_models_dir / "ggml-tiny.en.bin")
    (folder / "ggml-base.en.bin").symlink_to(real_models_dir / "ggml-tiny.en.bin")
    (folder / "tiny.en").symlink_to(real_models_dir / "tiny.en", target_is_directory=True)
    return folder


def swap_story(session: Session, keys: tuple[str, ...], done: Callable[[Session], bool]) -> EchoApp:
    app = EchoApp(session)

    async def story() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: session.pipeline.worker.loaded is not None)
            await wait_for(pilot, lambda: session.pipeline.ledger().captured > 0)  # mid-file
            await pilot.press(keys[0])
            await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen | ModelScreen))
            for key in keys[1:]:
                await pilot.press(key)
            await wait_for(pilot, lambda: done(session), timeout=60)

            def switched() -> bool:
                notices = [e.text for e in app.query_one(CaptionView).entries if e.kind == "notice"]
                return any(n.startswith("switched to") for n in notices)

            # the new engine loads in the background and takes over at the next utterance boundary
            await wait_for(pilot, switched, timeout=60)
            await wait_for(pilot, lambda: session.snapshot().state == "finished", timeout=90)
            await pilot.press("q")

    asyncio.run(story())
    return app


def test_model_key_swaps_to_another_model_mid_file(mixed_models_dir: Path, sentence_wav: Path) -> None:
    settings = Settings(provider="whispercpp", model="tiny.en", models_dir=mixed_models_dir, threads=2)
    session = Session(settings, FileSource(sentence_wav, clock=WallClock(speed=1.0)))
    # on the wall clock: the new engine loads in wall time while the speech plays (real engines are slower
    # than the passes of the simulated clock's infinitely fast engine, so that clock would be slower here)
    # local models come first, by name: base.en, then tiny.en
    swap_story(session, ("m", "enter"), lambda s: s.settings.model == "base.en")
    ledger = session.pipeline.ledger()
    assert ledger.balanced and ledger.pending == 0 and ledger.dropped == 0
    assert session.pipeline.worker.loaded is not None and session.pipeline.worker.loaded.model == "base.en"
    assert session.finals, "the final text survived the swap"


def test_provider_key_swaps_engine_mid_file(mixed_models_dir: Path, sentence_wav: Path) -> None:
    settings = Settings(provider="whispercpp", model="tiny.en", models_dir=mixed_models_dir, threads=2)
    session = Session(settings, FileSource(sentence_wav, clock=WallClock(speed=1.0)))
    # on the wall clock: the new engine loads in wall time while the speech plays (real engines are slower
    # than the passes of the simulated clock's infinitely fast engine, so that clock would be slower here)
    # whispercpp, faster-whisper, voxtral (not available here)
    swap_story(session, ("p", "down", "enter"), lambda s: s.settings.provider == "faster-whisper")
    loaded = session.pipeline.worker.loaded
    assert loaded is not None and (loaded.provider, loaded.backend) == ("faster-whisper", "cpu")
    ledger = session.pipeline.ledger()
    assert ledger.balanced and ledger.pending == 0


def test_a_failed_swap_keeps_the_current_engine(oracle_session: Session) -> None:
    oracle_session.settings = replace(oracle_session.settings, models_dir=None)
    app = EchoApp(oracle_session)

    async def story() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: oracle_session.pipeline.worker.loaded is not None)
            oracle_session.swap(provider="voxtral")  # no binary here
            await wait_for(pilot, lambda: any("could not load" in str(n.title) for n in app._notifications))
            assert oracle_session.pipeline.worker.loaded.provider == "oracle"  # type: ignore[union-attr]
            await pilot.press("q")

    asyncio.run(story())
