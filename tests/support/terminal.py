"""The app in a real terminal: tmux runs `echotui`, keys are typed with send-keys, the screen is read with
capture-pane, and the exit code lands in a file."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from echotui.audio.clock import CLOCK_ENV


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


@dataclass
class Terminal:
    """One `echotui` run in a tmux window of its own."""

    name: str
    folder: Path

    @property
    def log(self) -> Path:
        return self.folder / "echotui.log"

    @property
    def exit_file(self) -> Path:
        return self.folder / "exit-code"

    def start(self, *args: str | Path, size: tuple[int, int] = (80, 24), env: str = "") -> None:
        """Run `echotui *args` (`env`: "NAME=value ..."). A file plays at real time, as in a user's session:
        these stories quit, time and read the app while it is running."""
        command = " ".join(shlex.quote(str(a)) for a in args)
        line = (
            f"cd {self.folder} && {CLOCK_ENV}=wall {env} {sys.executable} -m echotui {command} "
            f"--log-file {self.log}; "
            f"echo $? > {self.exit_file}"
        )
        tmux("new-session", "-d", "-s", self.name, "-x", str(size[0]), "-y", str(size[1]), line)

    def screen(self) -> str:
        return tmux("capture-pane", "-p", "-t", self.name)

    def wait_for_screen(self, condition: Callable[[str], bool], timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while not condition(screen := self.screen()):
            assert time.monotonic() < deadline, f"timed out waiting for the screen:\n{screen}"
            time.sleep(0.2)
        return screen

    def press(self, *keys: str) -> None:
        tmux("send-keys", "-t", self.name, *keys)

    def pid(self) -> int:
        """The echotui process (found by its log file, which no other process names)."""
        pattern = f"^{sys.executable} -m echotui .*--log-file {self.log}"
        found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
        assert len(found) == 1, f"echotui is not running (or twice): {found}"
        return int(found[0])

    def wait_for_exit(self, timeout: float) -> tuple[int | None, float]:
        """(exit code or None if still running after `timeout`, seconds it took)."""
        began = time.monotonic()
        while not self.exit_file.exists() or not self.exit_file.read_text().strip():
            if time.monotonic() - began > timeout:
                return None, time.monotonic() - began
            time.sleep(0.05)
        return int(self.exit_file.read_text()), time.monotonic() - began


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed: .ci/run installs it (apt-get install tmux)")
    # one tmux server for the run: a name per worker process and test
    window = Terminal(f"echotui-test-{os.getpid()}-{time.monotonic_ns()}", tmp_path)
    yield window
    subprocess.run(["tmux", "kill-session", "-t", window.name], capture_output=True)
