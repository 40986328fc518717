"""The transcript survives every exit: each session journals its finals as they come; SIGTERM and
SIGHUP finish what was captured, write, and restore the terminal; after `kill -9` the journal still
holds every final that was on screen. The engine is the Voxtral stand-in (tests/fake_voxtral.py): cheap,
and its tokens are deterministic, so the screen can be compared with the journal word for word."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from echotui.audio.file_source import DecodedFile, FileSource
from echotui.config import Settings
from echotui.pipeline.journal import read_journal
from echotui.session import Session
from tests.cli import REAL_TIME
from tests.doubles import WordOracleProvider
from tests.support.pipeline import spoken_words
from tests.support.speech import WordTiming

FAKE = Path(__file__).parent / "fake_voxtral.py"


@pytest.fixture
def voxtral_env(tmp_path: Path) -> dict[str, str]:
    model = tmp_path / "voxtral-model"
    model.mkdir()
    for name in ("consolidated.safetensors", "tekken.json", "params.json"):
        (model / name).write_text("{}")
    state = tmp_path / "state"
    return {
        "ECHOTUI_VOXTRAL_BIN": str(FAKE),
        "ECHOTUI_VOXTRAL_MODEL": str(model),
        "ECHOTUI_STATE_DIR": str(state),
    }


def journals(env: dict[str, str]) -> list[Path]:
    return sorted((Path(env["ECHOTUI_STATE_DIR"]) / "sessions").glob("*.jsonl"))


def test_a_session_journals_every_final_and_its_ledger(
    timed_words: tuple[Path, list[WordTiming]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECHOTUI_STATE_DIR", str(tmp_path))
    path, words = timed_words
    audio = np.concatenate(list(DecodedFile(path).blocks()))
    settings = Settings(provider="whispercpp", chunk_seconds=0.5, max_utterance_seconds=3.0, queue_seconds=10)
    session = Session(settings, FileSource(path, speed=0), provider=WordOracleProvider(words, audio))
    assert session.journal is not None and session.journal.path.parent == tmp_path / "sessions"
    assert re.fullmatch(r"\d{8}-\d{6}(-\d+)?\.jsonl", session.journal.path.name)
    asyncio.run(session.run())

    journal = read_journal(session.journal.path)
    assert journal.finals == session.finals
    assert journal.text.split() == [w.word for w in words]
    assert journal.meta["source"] == f"file {path.name}" and journal.meta["settings"]["chunk_seconds"] == 0.5
    assert journal.end is not None and journal.end["failure"] is None
    ledger = journal.end["ledger"]
    assert ledger["captured"] == len(audio) and ledger["pending"] == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_transcribe_stopped_by_a_signal_finishes_and_keeps_output_and_journal(
    signum: int, timed_words: tuple[Path, list[WordTiming]], voxtral_env: dict[str, str], tmp_path: Path
) -> None:
    path, _ = timed_words
    out, stats_path = tmp_path / "out.txt", tmp_path / "stats.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "echotui", "transcribe", str(path), "--provider", "voxtral", "--speed", "1",
         "-o", str(out), "--stats-json", str(stats_path)],
        stderr=subprocess.PIPE, text=True, env={**__import__("os").environ, **voxtral_env, **REAL_TIME},
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not (out.exists() and out.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.1)  # the first final is out
    time.sleep(1.0)  # mid-utterance
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    name = signal.Signals(signum).name
    assert f"echotui: {name}: stopping" in stderr and "Traceback" not in stderr
    stats = json.loads(stats_path.read_text())
    assert stats["samples"]["pending"] == 0 and 4 < stats["audio_s"] < 18, "stopped early, finished all"
    (journal_path,) = journals(voxtral_env)
    assert stderr.strip().splitlines()[-1].endswith(f"; journal {journal_path}")
    journal = read_journal(journal_path)
    written = [line for line in out.read_text().splitlines() if line]
    assert [f.text for f in journal.finals] == written and len(written) >= 2
    assert journal.end is not None and journal.end["ledger"]["pending"] == 0


# ---- the app in a real terminal ----------------------------------------------------------------------


SOCKET = f"echotui-journal-{__import__('os').getpid()}"
"""A tmux server of these tests' own: a shared one keeps the environment of whoever started it."""


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def tmux_session() -> Iterator[str]:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed: .ci/run installs it (apt-get install tmux)")
    name = f"echotui-journal-{time.monotonic_ns()}"
    yield name
    subprocess.run(["tmux", "-L", SOCKET, "kill-session", "-t", name], capture_output=True)


class AppInTmux:
    """The app started in a tmux pane whose shell outlives it, so the terminal's modes can be read after."""

    def __init__(self, name: str, folder: Path, env: dict[str, str], audio: Path, width: int = 120) -> None:
        self.name, self.pid_file, self.done = name, folder / "pid", folder / "exit-code"
        import os

        this_echotui = {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}
        exports = " ".join(f"{k}={v}" for k, v in {**this_echotui, **env}.items())
        app = f"{sys.executable} -m echotui --file {audio} --provider voxtral --log-file {folder / 'log'}"
        command = (
            f"cd {folder} && unset COLUMNS LINES && export {exports} && "
            f"sh -c 'echo $$ > {self.pid_file}; exec {app}'; "
            f"echo $? > {self.done}; sleep 120"
        )
        # Sized before the app starts: a fresh tmux server may give a detached session 80×24 at first.
        tmux("new-session", "-d", "-s", name, "-x", str(width), "-y", "30", "sleep 60")
        tmux("resize-window", "-t", name, "-x", str(width), "-y", "30")
        tmux("respawn-pane", "-k", "-t", name, command)

    def screen(self) -> str:
        return tmux("capture-pane", "-p", "-t", self.name)

    def captions(self) -> list[str]:
        """The caption lines on screen (the fake engine's tokens, left of the health panel)."""
        lines = [line.split("▏")[0].strip() for line in self.screen().splitlines()]
        return [line for line in lines if re.fullmatch(r"(n\d+ ?)+", line)]

    def wait_for(self, condition: object, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not condition():  # type: ignore[operator]
            assert time.monotonic() < deadline, self.screen()
            time.sleep(0.2)

    def kill(self, signum: int) -> None:
        self.wait_for(self.pid_file.exists)
        subprocess.run(["kill", f"-{signum}", self.pid_file.read_text().strip()], check=True)

    def modes(self) -> dict[str, str]:
        names = ("alternate_on", "cursor_flag", "mouse_any_flag", "mouse_all_flag", "mouse_sgr_flag")
        values = tmux("display", "-p", "-t", self.name, " ".join(f"#{{{n}}}" for n in names)).split()
        return dict(zip(names, values, strict=True))


RESTORED = {"alternate_on": "0", "cursor_flag": "1", "mouse_any_flag": "0", "mouse_all_flag": "0",
            "mouse_sgr_flag": "0"}  # fmt: skip


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_app_stopped_by_a_signal_restores_the_terminal_and_journals_every_final(
    signum: int, tmux_session: str, voxtral_env: dict[str, str], tmp_path: Path,
    timed_words: tuple[Path, list[WordTiming]],
) -> None:  # fmt: skip
    app = AppInTmux(tmux_session, tmp_path, voxtral_env, timed_words[0])
    app.wait_for(lambda: len(app.captions()) >= 2)
    assert app.modes()["alternate_on"] == "1"
    shown = app.captions()
    app.kill(signum)
    app.wait_for(app.done.exists, timeout=20)
    assert app.done.read_text().strip() == "0", app.screen()
    assert app.modes() == RESTORED, "the terminal is back as it was: main screen, cursor, no mouse"
    (journal_path,) = journals(voxtral_env)
    said = app.screen().replace("\n", "")
    assert f"echotui: journal: {journal_path}" in said
    journal = read_journal(journal_path)
    lines = sum(1 for f in journal.finals for c in f.captions)  # this engine's finals: a line per caption
    told = re.search(r"\((\d+) ?lines? ?of ?transcript\)", said)  # a space may fall at a wrapped line's end
    assert told is not None and int(told.group(1)) == lines, said
    finals = [f.text.split() for f in journal.finals]
    for line in shown:  # a final, or a partial the final text then completed
        assert any(words[: len(line.split())] == line.split() for words in finals), (line, finals)
    assert journal.end is not None and journal.end["ledger"]["pending"] == 0


def test_after_kill_9_the_journal_holds_every_final_shown(
    tmux_session: str, voxtral_env: dict[str, str], tmp_path: Path,
    timed_words: tuple[Path, list[WordTiming]],
) -> None:  # fmt: skip
    """Killed mid-file: each caption is one line at this width, the last may still be a partial."""
    app = AppInTmux(tmux_session, tmp_path, voxtral_env, timed_words[0], width=220)
    app.wait_for(lambda: len(app.captions()) >= 3)
    screen = app.screen()
    shown = app.captions()
    app.kill(signal.SIGKILL)
    app.wait_for(app.done.exists, timeout=20)
    assert app.done.read_text().strip() == str(128 + signal.SIGKILL)
    (journal_path,) = journals(voxtral_env)
    journal = read_journal(journal_path)
    finals = [f.text for f in journal.finals if f.text]
    assert finals[: len(shown) - 1] == shown[:-1], (screen, finals)
    last = shown[-1].split()  # a final, or a partial that became a final (or not yet) before the kill
    if len(finals) >= len(shown):
        assert finals[len(shown) - 1].split()[: len(last)] == last
    assert journal.end is None, "killed mid-session: written as it went, not at the end"


def test_help_shows_where_the_journal_is(
    timed_words: tuple[Path, list[WordTiming]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import Static

    from echotui.app import EchoApp
    from echotui.widgets.pickers import HelpScreen
    from tests.support.app import wait_for

    monkeypatch.setenv("ECHOTUI_STATE_DIR", str(tmp_path))
    path, words = timed_words
    audio = np.concatenate(list(DecodedFile(path).blocks()))
    session = Session(Settings(provider="whispercpp"), FileSource(path), WordOracleProvider(words, audio))
    app = EchoApp(session)

    async def story() -> None:
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.press("question_mark")
            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
            text = str(app.screen.query_one("#help-text", Static).visual).replace("\n", "")
            assert session.journal is not None and str(session.journal.path) in text
            await pilot.press("escape", "q")

    asyncio.run(story())


def test_app_whose_terminal_closes_finishes_writes_and_exits(
    tmux_session: str, voxtral_env: dict[str, str], tmp_path: Path,
    timed_words: tuple[Path, list[WordTiming]],
) -> None:  # fmt: skip
    """The SSH connection drops: the terminal is gone (SIGHUP, and every write to it fails). The session
    still finishes and journals, keeping every final it had, and the process ends instead of waiting on
    the dead terminal."""
    import os

    app = AppInTmux(tmux_session, tmp_path, voxtral_env, timed_words[0])

    def finals() -> list[str]:  # two caption lines on screen may be one final and a tentative line
        found = journals(voxtral_env)
        return spoken_words(read_journal(found[0]).finals) if len(found) == 1 else []

    app.wait_for(lambda: len(finals()) >= 2)
    before = finals()
    pid = int(app.pid_file.read_text())
    tmux("kill-session", "-t", tmux_session)

    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False

    deadline = time.monotonic() + 20
    while not gone():
        assert time.monotonic() < deadline, "the app hung after its terminal closed"
        time.sleep(0.2)
    (journal_path,) = journals(voxtral_env)
    journal = read_journal(journal_path)
    assert journal.end is not None and journal.end["ledger"]["pending"] == 0
    assert spoken_words(journal.finals)[: len(before)] == before
