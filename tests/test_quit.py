"""Quitting never waits on the machine: `q` and SIGTERM end the app within a few seconds whatever it is
doing, a quick "auto" start still measuring or waiting for speech, or a model that is still loading."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from textual.pilot import Pilot

from echotui.app import EchoApp
from echotui.audio.file_source import DecodedFile, FileSource
from echotui.config import Settings
from echotui.pipeline.journal import read_journal
from echotui.providers.base import Segment, TranscribeRequest
from echotui.selection.decode import wait_for_speech
from echotui.session import Session
from echotui.widgets.captions import CaptionView
from tests.doubles import TimedWordOracle
from tests.support.speech import WordTiming
from tests.support.terminal import Terminal

QUIT_WITHIN_S = 3.0
SETTINGS = Settings(provider="whispercpp", chunk_seconds=0.5, max_utterance_seconds=6.0, queue_seconds=10)


@pytest.fixture
def silence(tmp_path: Path) -> Path:
    path = tmp_path / "silence.wav"
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", str(path), "trim", "0", "30"], check=True)
    return path


@pytest.fixture
def stuck_hub() -> Iterator[str]:
    """A model hub on a network that never answers: connections are taken (the kernel's backlog) and no
    byte ever comes back. Yields its address, for HF_ENDPOINT."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


def stop_and_time(terminal: Terminal, how: str) -> None:
    """`q` typed, or SIGTERM sent: the app ends with code 0 within `QUIT_WITHIN_S` (the outside clock)."""
    if how == "q":
        terminal.press("q")
    else:
        os.kill(terminal.pid(), signal.SIGTERM)
    code, took = terminal.wait_for_exit(timeout=30)
    assert code == 0, terminal.log.read_text()[-2000:]
    assert took < QUIT_WITHIN_S, f"{how} took {took:.1f} s to end the app"


def drawn(screen: str) -> bool:
    return "RSS" in screen and "source" in screen


@pytest.mark.parametrize("how", ["q", "SIGTERM"])
def test_auto_start_waiting_for_speech_to_measure_on_quits_at_once(
    terminal: Terminal, silence: Path, models_dir: Path, how: str
) -> None:
    """Provider auto and nothing but silence: the machine is measured and waits for the user's speech to
    time the engines on; quitting does not wait for that speech."""
    terminal.start("--file", silence, "--models-dir", models_dir, "--threads", "2", size=(120, 30))
    terminal.wait_for_screen(lambda screen: drawn(screen) and "loaded" in screen)
    stop_and_time(terminal, how)


@pytest.mark.parametrize("how", ["q", "SIGTERM"])
def test_a_model_still_downloading_does_not_hold_the_quit(
    terminal: Terminal, silence: Path, stuck_hub: str, tmp_path: Path, how: str
) -> None:
    hub = f"HF_ENDPOINT={stuck_hub} HF_HUB_CACHE={tmp_path / 'hub'} HF_HUB_DOWNLOAD_TIMEOUT=600"
    # base.en: no copy on this machine (the tiny extra brings tiny.en only), so it is downloaded
    terminal.start(
        "--file", silence, "--provider", "faster-whisper", "--model", "base.en", size=(120, 30), env=hub
    )
    screen = terminal.wait_for_screen(drawn)
    assert "loading" in screen
    time.sleep(1.0)
    assert "loading" in terminal.screen(), "still downloading: the hub never answers"
    stop_and_time(terminal, how)


def test_waiting_for_speech_ends_as_soon_as_the_session_stops() -> None:
    stop = threading.Event()
    stopper = threading.Timer(0.2, stop.set)
    stopper.start()
    heard = wait_for_speech(lambda: 0.0, lambda: pytest.fail("no speech was heard"), stop, timeout_s=60)  # type: ignore[arg-type,return-value]
    assert heard is None
    assert not stopper.is_alive()


def test_a_quit_while_the_engine_is_mid_call_keeps_the_words_on_screen(
    timed_words: tuple[Path, list[WordTiming]],
) -> None:
    """The engine takes far longer than the quit may wait: the app ends within the bound all the same, the
    tentative words the user was reading become final text (screen and journal), and the audio the engine
    never got to counts as untranscribed, not as lost."""
    path, words = timed_words
    audio = np.concatenate(list(DecodedFile(path).blocks()))
    engine = StallsAfterFirstWords(words, audio)
    session = Session(SETTINGS, FileSource(path, speed=1.0), provider=engine)
    app = EchoApp(session)

    async def story() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: tentative_on_screen(app) != "")
            shown = tentative_on_screen(app)
            began = time.monotonic()
            await pilot.press("q")
            await wait_for(pilot, lambda: app.return_code is not None, timeout=10)
            assert time.monotonic() - began < QUIT_WITHIN_S
            assert session.finals and shown in session.finals[-1].text, (shown, session.finals[-1])

    asyncio.run(story())
    assert session.journal is not None
    journaled = read_journal(session.journal.path)
    assert journaled.finals == session.finals, "the kept words are in the journal too"
    ledger = journaled.end["ledger"] if journaled.end else {}
    assert ledger["untranscribed"] > 0 and ledger["pending"] == 0
    assert ledger["captured"] == sum(
        ledger[k] for k in ("transcribed", "vad_skipped", "dropped", "untranscribed")
    )


class StallsAfterFirstWords(TimedWordOracle):
    """Once a pass has given tentative words, every call takes far longer than the quit may wait: the user
    is reading those words while the engine is mid-call (however fast the file replays until then)."""

    def transcribe(self, request: TranscribeRequest) -> list[Segment]:
        found = super().transcribe(request)
        if found and not request.final:
            self.delay_s = 30.0  # every call from now on: far past the quit's grace
        return found


async def wait_for(pilot: Pilot[int], condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the screen"
        await pilot.pause(0.05)


def tentative_on_screen(app: EchoApp) -> str:
    view = app.query_one(CaptionView)
    return " ".join(view.shown_text(e) for e in view.entries if e.kind == "partial").strip()
