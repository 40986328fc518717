"""The app in a real terminal (tmux, 80×24): it draws, no engine log line reaches the screen, and q
exits with code 0."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ENGINE_LOG_MARKERS = ("whisper_", "ggml_", "WARN", "Traceback", "model_load")


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def session_name() -> str:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed: .ci/run installs it (apt-get install tmux)")
    name = f"echotui-test-{time.monotonic_ns()}"
    yield name
    subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def test_app_in_tmux_shows_captions_and_panels_and_no_engine_logs(
    session_name: str, tiny_model: Path, sentence_wav: Path, tmp_path: Path
) -> None:
    done = tmp_path / "exit-code"
    command = (
        f"cd {tmp_path} && {sys.executable} -m echotui --file {sentence_wav} --model-path {tiny_model} "
        f"--threads 2 --log-file {tmp_path / 'echotui.log'}; echo $? > {done}"
    )
    tmux("new-session", "-d", "-s", session_name, "-x", "80", "-y", "24", command)
    screen = ""
    began = time.monotonic()
    while time.monotonic() - began < 60:
        screen = tmux("capture-pane", "-p", "-t", session_name)
        if "GPU" in screen or "CPU" in screen:
            break
        time.sleep(0.2)
    time.sleep(6)  # the sentence plays: captions come
    screen = tmux("capture-pane", "-p", "-t", session_name)
    assert "CPU" in screen, screen
    for marker in ENGINE_LOG_MARKERS:
        assert marker not in screen, f"{marker!r} leaked onto the screen:\n{screen}"
    log = (tmp_path / "echotui.log").read_text()
    assert "whisper_init" in log or "whisper_model_load" in log, "engine logs went to the log file"
    tmux("send-keys", "-t", session_name, "q")
    deadline = time.monotonic() + 20
    while not done.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert done.read_text().strip() == "0"
