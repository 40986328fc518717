"""K concurrent live sessions against one `echotui serve`: per-word latency and drops in each, the server's
queueing and engine time beside the network's, words per CPU-second; and the same model run locally.

    python -m benchmarks.remote --model-path DIR [--replicas 1,2] [--sessions 1,2,4] [--threads 1]
        [--file speech.wav] [--cluster] [--no-local]

Each session replays the speech, then `TAIL_S` of silence, and rides out a server too busy to answer in
time as a session does (`pipeline.fallback`, without a local stand-in: every word comes from the server).
For each replica count it starts `echotui serve --provider faster-whisper --model-path DIR` on a free
loopback port (Ray in a folder of its own; stopped with SIGINT, and whatever it started killed by pid),
then runs K sessions at once, each replaying `--file` (default: the demo clip) at speed 1 as live input
through `--provider remote`, for each K. With `--cluster`, the same with 2 replicas on a two-node Ray
cluster on this machine (`remote_cluster`: `ray start --head`, a second `ray start --address=…`, one
replica on each node, `echotui serve --address` joining them). Last, unless `--no-local`, one session
runs the same model here (`--threads`). `--replicas ""` skips the single-process servers.

Per row: word latency p50 and p95 (the median of the sessions' p50s, the worst session's p95), dropped audio
(all sessions), and per engine call: the round trip p50, the server's part of it (Server-Timing: `queue`
waiting for a replica's engine, `engine`), the network's (round trip less the server's total), and the
words out per CPU-second of the server's processes and this one together.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psutil

from benchmarks.remote_cluster import RayCluster, cluster_environment, start_cluster
from echotui import SAMPLE_RATE
from echotui.audio.demo import demo_clip
from echotui.audio.file_source import DecodedFile, FileSource
from echotui.config import Settings
from echotui.models.choice import ModelChoice
from echotui.pipeline.events import FinalTranscribed, ModelLoaded, PipelineEvent
from echotui.pipeline.fallback import ServerFallback
from echotui.pipeline.runner import Pipeline
from echotui.providers.base import Provider, Segment, TranscribeRequest
from echotui.providers.fasterwhisper import FasterWhisperProvider
from echotui.providers.remote import RemoteProvider

READY_TIMEOUT_S = 600.0
TAIL_S = 2.0
"""Silence replayed after the speech, so its last utterance ends at a pause as live speech does."""


def with_tail(path: Path, folder: Path) -> Path:
    """`path` decoded, `TAIL_S` of silence after it, as a 16-bit WAV in `folder`."""
    audio = np.concatenate([*DecodedFile(path).blocks(), np.zeros(round(TAIL_S * SAMPLE_RATE), np.float32)])
    out = folder / f"{path.stem}-tail.wav"
    with wave.open(str(out), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(np.clip(np.round(audio * 32768), -32768, 32767).astype("<i2").tobytes())
    return out


class TimedRemote(RemoteProvider):
    """The remote provider, keeping each call's round trip and the server's Server-Timing spans."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.calls: list[tuple[float, dict[str, float]]] = []

    def transcribe(self, request: TranscribeRequest) -> list[Segment]:
        began = time.perf_counter()
        segments = super().transcribe(request)
        self.calls.append((time.perf_counter() - began, dict(self.server_timing)))
        return segments


@dataclass
class SessionResult:
    p50_s: float | None
    p95_s: float | None
    dropped_s: float
    words: int
    calls: list[tuple[float, dict[str, float]]] = field(default_factory=list)


async def one_session(provider: Provider, path: Path) -> SessionResult:
    """One live session at speed 1. A word's latency is on the wall clock: its final text out less the
    moment its end was replayed (the replay starts as the model has loaded), so a backlog that outlasts
    the file is counted in full (the stream's own clock stops at the file's end)."""
    latencies: list[float] = []
    started = time.monotonic()

    def heard(event: PipelineEvent) -> None:
        nonlocal started
        now = time.monotonic()
        if isinstance(event, ModelLoaded):
            started = now
        elif isinstance(event, FinalTranscribed):
            latencies.extend(now - started - word.end_s for word in event.words)

    pipeline = Pipeline(provider, Settings(), heard)
    if isinstance(provider, TimedRemote):
        ServerFallback(pipeline, server=lambda: provider, local=lambda: None)
    try:
        await pipeline.run(FileSource(path, speed=1.0))
    finally:
        await pipeline.close()
    dropped = pipeline.snapshot().dropped_s
    calls = provider.calls if isinstance(provider, TimedRemote) else []
    p50, p95 = (_p(latencies, 50), _p(latencies, 95)) if latencies else (None, None)
    return SessionResult(p50, p95, dropped, len(latencies), calls)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    ray_dir: Path
    url: str
    key: str
    cluster: RayCluster | None = None
    """The Ray cluster it joined (`--address`), whose processes run its replicas; None: Ray of its own."""

    def processes(self) -> list[psutil.Process]:
        found = [psutil.Process(self.process.pid), *psutil.Process(self.process.pid).children(recursive=True)]
        for p in psutil.process_iter(["cmdline"]):
            if str(self.ray_dir) in " ".join(p.info["cmdline"] or ()) and p not in found:
                found.append(p)
        return found + [p for p in (self.cluster.processes() if self.cluster else []) if p not in found]

    def cpu_s(self) -> float:
        total = 0.0
        for p in self.processes():
            with contextlib.suppress(psutil.Error):
                times = p.cpu_times()
                total += times.user + times.system
        return total

    def stop(self) -> None:
        started = self.processes()[1:]
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for child in started:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        psutil.wait_procs(started, timeout=10)
        shutil.rmtree(self.ray_dir, ignore_errors=True)


def start_server(model: Path, replicas: int, threads: int, cluster: RayCluster | None = None) -> Server:
    port, key = free_port(), f"sk-bench-{secrets.token_hex(8)}"
    ray_dir = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))
    env = {**(cluster_environment() if cluster else os.environ), "RAY_TMPDIR": str(ray_dir)}
    env["ECHOTUI_API_KEY"] = key
    command = [sys.executable, "-m", "echotui", "serve", "--provider", "faster-whisper", "--model-path"]
    command += [str(model), "--port", str(port), "--threads", str(threads), "--replicas", str(replicas)]
    command += ["--address", cluster.address] if cluster else []
    output = ray_dir / "serve.out"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    server = Server(process, ray_dir, f"http://127.0.0.1:{port}", key, cluster)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while " ready in " not in output.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise SystemExit(f"echotui serve did not start:\n{output.read_text(errors='replace')[-2000:]}")
        time.sleep(0.5)
    print(output.read_text(errors="replace").strip().splitlines()[-1], flush=True)
    return server


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def row(label: str, results: list[SessionResult], cpu_s: float) -> str:
    p50s = [r.p50_s for r in results if r.p50_s is not None]
    p95s = [r.p95_s for r in results if r.p95_s is not None]
    calls = [c for r in results for c in r.calls]
    trips = [c[0] for c in calls]
    queue = [c[1]["queue"] for c in calls if "queue" in c[1]]
    engine = [c[1]["engine"] for c in calls if "engine" in c[1]]
    network = [c[0] - c[1]["total"] for c in calls if "total" in c[1]]
    words = sum(r.words for r in results)

    def ms(values: list[float], q: int = 50) -> str:
        return f"{_p(values, q) * 1000:6.0f}" if values else "     -"

    latency = f"{statistics.median(p50s):5.2f} {max(p95s):5.2f}" if p95s else "    -     -"
    return (
        f"{label:<16} {latency}  {sum(r.dropped_s for r in results):5.1f}  {ms(trips)} {ms(queue)} "
        f"{ms(queue, 95)} {ms(engine)} {ms(network)} {ms(network, 95)}  {words / cpu_s if cpu_s else 0:6.1f}"
    )


HEADER = "setup            word p50   p95  drop s  trip ms queue p50 p95 engine network p50 p95  words/CPU-s"


async def sessions(providers: list[Provider], path: Path) -> list[SessionResult]:
    return list(await asyncio.gather(*(one_session(p, path) for p in providers)))


def run_remote(server: Server, label: str, counts: list[int], path: Path) -> None:
    for count in counts:
        providers: list[Provider] = [TimedRemote(server.url, api_key=server.key) for _ in range(count)]
        server_before, client_before = server.cpu_s(), time.process_time()
        results = asyncio.run(sessions(providers, path))
        cpu = server.cpu_s() - server_before + time.process_time() - client_before
        print(row(f"{label} × {count} sess", results, cpu), flush=True)


def run_on_cluster(model: Path, threads: int, counts: list[int], path: Path) -> None:
    """2 replicas on a two-node Ray cluster on this machine (`threads` CPUs a node: one replica each)."""
    began = time.monotonic()
    cluster = start_cluster(threads)
    print(f"two-node Ray cluster at {cluster.address} up in {time.monotonic() - began:.1f} s", flush=True)
    try:
        server = start_server(model, 2, threads, cluster)
        try:
            run_remote(server, "2 nodes", counts, path)
        finally:
            server.stop()
    finally:
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-path", type=Path, required=True, help="a CTranslate2 model folder")
    parser.add_argument("--replicas", default="1,2")
    parser.add_argument("--sessions", default="1,2,3,4")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--file", type=Path)
    parser.add_argument("--cluster", action="store_true", help="also 2 replicas on a two-node Ray cluster")
    parser.add_argument("--no-local", action="store_true", help="leave out the local engine's row")
    args = parser.parse_args()
    path = with_tail(args.file or demo_clip(), Path(tempfile.mkdtemp(prefix="bench-remote")))
    counts = [int(n) for n in args.sessions.split(",")]
    print(f"{path.name}, each session at speed 1; {os.cpu_count()} CPUs\n{HEADER}", flush=True)
    for replicas in (int(n) for n in args.replicas.split(",") if n):
        server = start_server(args.model_path, replicas, args.threads)
        try:
            run_remote(server, f"{replicas} rep", counts, path)
        finally:
            server.stop()
    if args.cluster:
        run_on_cluster(args.model_path, args.threads, counts, path)
    if args.no_local:
        return
    local = FasterWhisperProvider(ModelChoice(path=args.model_path), device="cpu", threads=args.threads)
    before = time.process_time()
    results = asyncio.run(sessions([local], path))
    print(row("local × 1", results, time.process_time() - before))


if __name__ == "__main__":
    main()
