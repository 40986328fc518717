"""`echotui serve` as a user starts it, once per test run: real tiny.en weights, two replicas, loopback, an
API key, Ray in a temporary folder of its own. At the end it is stopped with SIGINT (its own
`serve.shutdown()` and `ray.shutdown()`), and every process it had started (raylet, gcs_server, the Ray
workers) is then killed by pid if it is still there: nothing is left running, and no other Ray on the
machine is touched. A `ReplicaKiller` SIGKILLs the replica decoding a request, as a crash or the OOM killer
would."""

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
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import psutil
import pytest

from echotui.providers.base import Segment, TranscribeRequest
from echotui.providers.remote import RemoteProvider
from tests.support.real_model import copy_ct2_tiny_en

REPLICAS = 2  # the kill story SIGKILLs one mid-session; the other answers meanwhile
READY_TIMEOUT_S = 300.0  # Ray and two replicas: 20-45 s here, more on a loaded 2-core CI runner
STOP_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Served:
    url: str
    key: str
    port: int
    pid: int
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
    command += [str(model), "--port", str(port), "--threads", "1", "--replicas", str(REPLICAS)]
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
        yield Served(
            f"http://127.0.0.1:{port}", key, port, process.pid, output, log, model, time.monotonic() - began
        )
    finally:
        _stop(process, ray_dir)
        shutil.rmtree(ray_dir, ignore_errors=True)


REPLICA = "ray::ServeReplica:"  # what Ray names a replica's process: ray::ServeReplica:<app>:<deployment>
BUSY_CPU_S = 0.05  # a replica that burnt this much CPU since a request went out is the one decoding it
WATCH_EVERY_S = 0.02
T = TypeVar("T")


def replicas(server: Served) -> list[psutil.Process]:
    """The server's replica processes, as Ray names them."""
    found = psutil.Process(server.pid).children(recursive=True)
    return [p for p in found if p.is_running() and p.name().startswith(REPLICA)]


def _cpu_s(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    return times.user + times.system


class ReplicaKiller:
    """SIGKILLs, once, the replica that is decoding a request while `during(call)` waits for its answer:
    the one whose CPU time rose by `BUSY_CPU_S` since the request went out, while the others' barely moved."""

    def __init__(self, server: Served) -> None:
        self.server = server
        self.killed: int | None = None
        """The pid killed, once one was."""
        self.missed = 0
        """Requests that came back before a replica was seen decoding them."""

    def during(self, call: Callable[[], T]) -> T:
        if self.killed is not None:
            return call()
        answered = threading.Event()
        watcher = threading.Thread(target=self._watch, args=(replicas(self.server), answered))
        watcher.start()
        try:
            return call()
        finally:
            answered.set()
            watcher.join()
            self.missed += self.killed is None

    def _watch(self, watched: list[psutil.Process], answered: threading.Event) -> None:
        before = {p.pid: _cpu_s(p) for p in watched}
        while not answered.wait(WATCH_EVERY_S):
            burnt = {p.pid: _cpu_s(p) - before[p.pid] for p in watched}
            busy = max(watched, key=lambda p: burnt[p.pid])
            others = max((s for pid, s in burnt.items() if pid != busy.pid), default=0.0)
            if burnt[busy.pid] >= BUSY_CPU_S and others < BUSY_CPU_S / 2:
                busy.send_signal(signal.SIGKILL)
                self.killed = busy.pid
                return


class KilledMidRequest(RemoteProvider):
    """The remote provider, its first final window (the end of an utterance, whose words would be lost
    with it) sent while `killer` SIGKILLs the replica decoding it."""

    def __init__(self, server: Served, killer: ReplicaKiller) -> None:
        super().__init__(server.url, api_key=server.key)
        self.killer = killer

    def transcribe(self, request: TranscribeRequest) -> list[Segment]:
        if request.final:
            return self.killer.during(lambda: super(KilledMidRequest, self).transcribe(request))
        return super().transcribe(request)
