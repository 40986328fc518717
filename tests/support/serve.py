"""`echotui serve` as a user starts it, once per test run: real tiny.en weights, loopback, an API key, Ray
in a temporary folder of its own. At the end it is stopped with SIGINT (its own `serve.shutdown()` and
`ray.shutdown()`), and every process it had started (raylet, gcs_server, the Ray workers) is then killed by
pid if it is still there: nothing is left running, and no other Ray on the machine is touched."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from tests.support.real_model import copy_ct2_tiny_en

READY_TIMEOUT_S = 300.0  # Ray and one replica: about 20 s here, far more on a loaded 2-core CI runner
STOP_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Served:
    url: str
    key: str
    port: int
    output: Path
    log: Path
    model: Path
    ready_s: float

    def said(self) -> str:
        """Everything the server printed and logged so far."""
        return self.output.read_text(errors="replace") + self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ready_line(output: Path, process: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        text = output.read_text(errors="replace")
        for line in text.splitlines():
            if line.startswith("echotui serve:") and " ready in " in line:
                return line
        if process.poll() is not None:
            raise AssertionError(f"echotui serve exited ({process.returncode}):\n{text[-3000:]}")
        time.sleep(0.5)
    raise AssertionError(f"echotui serve not ready in {READY_TIMEOUT_S:.0f} s:\n{text[-3000:]}")


def _stop(process: subprocess.Popen[bytes], ray_dir: Path) -> None:
    started = psutil.Process(process.pid).children(recursive=True)
    started += [
        p for p in psutil.process_iter(["cmdline"]) if str(ray_dir) in " ".join(p.info["cmdline"] or ())
    ]
    process.send_signal(signal.SIGINT)
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for child in started:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()  # only those still there: the shutdown normally ended them all
    psutil.wait_procs(started, timeout=10)


@pytest.fixture(scope="session")
def echo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("serve")
    model = copy_ct2_tiny_en(folder / "tiny.en")
    port, key = free_port(), f"sk-echotui-{secrets.token_hex(12)}"
    ray_dir = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))  # short: Ray's socket paths are capped
    output, log = folder / "serve.out", folder / "serve.log"
    log.touch()
    env = {
        **os.environ,
        "RAY_TMPDIR": str(ray_dir),
        "ECHOTUI_API_KEY": key,
        "ECHOTUI_LOG_FILE": str(log),
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "echotui", "serve", "--provider", "faster-whisper", "--model-path"]
    command += [str(model), "--port", str(port), "--threads", "1"]
    began = time.monotonic()
    with output.open("wb") as sink:
        process = subprocess.Popen(
            command,
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    try:
        _ready_line(output, process)
        yield Served(f"http://127.0.0.1:{port}", key, port, output, log, model, time.monotonic() - began)
    finally:
        _stop(process, ray_dir)
        shutil.rmtree(ray_dir, ignore_errors=True)
