"""A two-node Ray cluster on this machine for `benchmarks.remote --cluster`: `ray start --head` and a
second `ray start --address=…`, each with its own `--temp-dir` and `--num-cpus`, so that Ray places one
replica on each node as it would on two machines.

Each node runs as `ray start --block` in a session of its own: everything it starts (GCS, raylet, the
workers the replicas run in) is its child, and is stopped by pid at the end (SIGTERM, then SIGKILL for
what is left), with whatever still names its temp dir. `ray stop` is never used: it would stop every Ray
on the machine, the test suite's included.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

NODES_TIMEOUT_S = 180.0
STOP_WAIT_S = 20.0
ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cluster_environment() -> dict[str, str]:
    """What the nodes, their workers and the drivers need: the replicas import this echotui, nothing goes
    online, and all of them use Ray's token auth (the token lies in ~/.ray, made by the head if need be;
    never read here)."""
    paths = [str(ROOT), *(p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)]
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(paths),
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_AUTH_MODE": "token",  # the head turns it on by itself where ~/.ray holds a token: all agree
        "HF_HUB_OFFLINE": "1",
    }


@dataclass
class RayCluster:
    """A head and one more node on this machine; `address` is what `echotui serve --address` joins."""

    address: str
    nodes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    dirs: list[Path] = field(default_factory=list)

    def processes(self) -> list[psutil.Process]:
        """Every process of the cluster now: the `ray start` commands and all they started."""
        found: dict[int, psutil.Process] = {}
        for node in self.nodes:
            with contextlib.suppress(psutil.NoSuchProcess):
                root = psutil.Process(node.pid)
                for p in [root, *root.children(recursive=True)]:
                    found[p.pid] = p
        for p in psutil.process_iter(["cmdline"]):
            line = " ".join(p.info["cmdline"] or ())
            if any(str(d) in line for d in self.dirs):
                found.setdefault(p.pid, p)
        return list(found.values())

    def nodes_up(self) -> int:
        """How many nodes the cluster has now (`ray.nodes()` from a short-lived driver)."""
        probe = f"import ray; ray.init(address={self.address!r}, log_to_driver=False); "
        probe += "print(sum(n['Alive'] for n in ray.nodes()))"
        done = subprocess.run(
            [sys.executable, "-c", probe],
            capture_output=True,
            text=True,
            env=cluster_environment(),
            timeout=120,
        )
        lines = done.stdout.strip().splitlines()
        return int(lines[-1]) if done.returncode == 0 and lines else 0

    def stop(self) -> None:
        started = self.processes()
        for node in self.nodes:
            with contextlib.suppress(ProcessLookupError):
                node.send_signal(signal.SIGTERM)
        _, alive = psutil.wait_procs(started, timeout=STOP_WAIT_S)
        for p in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()
        psutil.wait_procs(alive, timeout=10)
        for node in self.nodes:
            node.wait()
        for folder in self.dirs:
            shutil.rmtree(folder, ignore_errors=True)


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + NODES_TIMEOUT_S
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)


def start_cluster(cpus_per_node: int) -> RayCluster:
    """A head node and a second node joined to it, `cpus_per_node` CPUs each; raises SystemExit if the two
    are not up in `NODES_TIMEOUT_S`."""
    port = _free_port()
    cluster = RayCluster(f"127.0.0.1:{port}")
    ray = str(Path(sys.executable).with_name("ray"))
    common = [
        "--num-cpus",
        str(cpus_per_node),
        "--node-ip-address",
        "127.0.0.1",
        "--disable-usage-stats",
        "--block",
    ]
    for role in ("head", "node"):
        folder = Path(tempfile.mkdtemp(prefix=f"ray{role[0]}", dir="/tmp"))  # short: socket paths are capped
        cluster.dirs.append(folder)
        where = ["--head", "--port", str(port), "--include-dashboard", "false"] if role == "head" else []
        where += [] if role == "head" else [f"--address={cluster.address}"]
        log = (folder / f"{role}.out").open("wb")
        cluster.nodes.append(
            subprocess.Popen(
                [ray, "start", *where, "--temp-dir", str(folder), *common],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=cluster_environment(),
                start_new_session=True,
            )
        )
        if role == "head":
            _wait_for(port)  # the GCS listens before the second node asks it
    deadline = time.monotonic() + NODES_TIMEOUT_S
    while (up := cluster.nodes_up()) < 2:
        if time.monotonic() > deadline or any(n.poll() is not None for n in cluster.nodes):
            said = "".join(
                (d / f"{r}.out").read_text(errors="replace")[-1500:]
                for d, r in zip(cluster.dirs, ("head", "node"), strict=True)
            )
            cluster.stop()
            raise SystemExit(f"the two-node Ray cluster did not come up ({up} node(s)):\n{said}")
        time.sleep(1.0)
    return cluster
