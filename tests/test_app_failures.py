"""The app when things break: the state line says what failed, what was shown stays, `q` exits non-zero."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import numpy as np
import pytest

from echotui.app import EchoApp
from echotui.audio.file_source import DecodedFile, FileSource
from echotui.config import Settings
from echotui.pipeline.failures import ENGINE_FAILED_EXIT
from echotui.session import Session
from echotui.widgets.captions import CaptionView
from tests.doubles import BrokenProvider, FailingOracle
from tests.support.app import finals_on_screen, shown, wait_for
from tests.support.speech import WordTiming

SETTINGS = Settings(provider="whispercpp", chunk_seconds=0.5, max_utterance_seconds=3.0, queue_seconds=10)


def test_an_engine_that_breaks_for_good_shows_engine_failed_and_quits_non_zero(
    timed_words: tuple[Path, list[WordTiming]],
) -> None:
    path, words = timed_words
    audio = np.concatenate(list(DecodedFile(path).blocks()))
    engine = FailingOracle(words, audio, fail_at=8, recovers=False)
    session = Session(SETTINGS, FileSource(path, speed=3.0), provider=engine)
    app = EchoApp(session)

    async def story() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: engine.failures >= 2)
            failed_at = time.monotonic()
            await wait_for(pilot, lambda: "engine failed" in shown(app, "#health-state"), timeout=5)
            assert time.monotonic() - failed_at < 2.0
            assert "-failed" in app.query_one("#health-state").classes
            assert "CUDA error" in shown(app, "#health-state")
            on_screen = " ".join(finals_on_screen(app)).split()
            assert on_screen and on_screen == [w.word for w in words][: len(on_screen)]
            assert [f.text for f in session.finals] == [t for t in finals_on_screen(app)]
            await pilot.press("q")
        assert app.return_code == ENGINE_FAILED_EXIT

    asyncio.run(story())


def test_a_model_that_cannot_load_says_so_instead_of_loading_forever(sentence_wav: Path) -> None:
    session = Session(SETTINGS, FileSource(sentence_wav, speed=1.0), provider=BrokenProvider())
    app = EchoApp(session)

    async def story() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: "failed to load" in shown(app, "#health-state"), timeout=5)
            notices = [e.text for e in app.query_one(CaptionView).entries if e.kind == "notice"]
            assert any("model file is corrupt" in n for n in notices), "the reason, where the user reads"
            await pilot.pause(0.5)
            assert "failed to load" in shown(app, "#health-state"), "the state stays, not loading again"
            await pilot.press("q")
        assert app.return_code == ENGINE_FAILED_EXIT

    asyncio.run(story())


def test_a_measurement_of_the_machine_that_raises_is_logged_and_shown(
    sentence_wav: Path, caplog: pytest.LogCaptureFixture
) -> None:
    session = Session(SETTINGS, FileSource(sentence_wav, speed=1.0), provider=BrokenProvider())
    session.refine = (SETTINGS, set())

    def measure_best(speech: object = None) -> None:
        raise RuntimeError("the timing cache is corrupt")

    session.measure_best = measure_best  # type: ignore[method-assign,assignment]
    app = EchoApp(session)

    async def story() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: any("auto-selection" in str(n.title) for n in app._notifications))
            said = [n.message for n in app._notifications if n.title == "auto-selection"]
            assert said == ["could not measure this machine: RuntimeError: the timing cache is corrupt"]
            await pilot.press("q")

    with caplog.at_level(logging.ERROR):
        asyncio.run(story())
    logged = [r for r in caplog.records if "measuring this machine failed" in r.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert "the timing cache is corrupt" in str(logged[0].exc_info[1])
