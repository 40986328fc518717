"""A real Wyoming speech server (Home Assistant's `wyoming-faster-whisper`), once per test run: the real
tiny.en weights, loopback, offline (`--local-files-only`, HF_HUB_OFFLINE). Stopped at the end by its pid
(SIGTERM, then SIGKILL if it lingers): nothing is left running."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.real_model import copy_ct2_tiny_en
from tests.support.serve import free_port

READY_TIMEOUT_S = 120.0  # about 2 s here; far more on a loaded 2-core CI runner
STOP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class WyomingServer:
    uri: str
    port: int
    output: Path

    def said(self) -> str:
        return self.output.read_text(errors="replace")


def _wait_until_listening(port: int, process: subprocess.Popen[bytes], output: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"wyoming-faster-whisper exited ({process.returncode}):\n{output.read_text()}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"wyoming-faster-whisper not listening in {READY_TIMEOUT_S:.0f} s")


@pytest.fixture(scope="session")
def wyoming_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WyomingServer]:
    folder = tmp_path_factory.mktemp("wyoming")
    model = copy_ct2_tiny_en(folder / "tiny.en")
    port, output = free_port(), folder / "server.out"
    command = [sys.executable, "-m", "wyoming_faster_whisper", "--uri", f"tcp://127.0.0.1:{port}"]
    command += ["--model", str(model), "--data-dir", str(folder / "data"), "--language", "en"]
    command += ["--cpu-threads", "1", "--beam-size", "1", "--local-files-only"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    with output.open("wb") as sink:
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )
    try:
        _wait_until_listening(port, process, output)
        yield WyomingServer(f"tcp://127.0.0.1:{port}", port, output)
    finally:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
