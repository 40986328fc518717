"""Starting and stopping `echotui serve`: the model found once on this machine, Ray started locally, the
deployment run with N replicas behind Ray Serve's HTTP proxy, and everything stopped on Ctrl-C or SIGTERM
(`serve.shutdown()` then `ray.shutdown()`, which ends the raylet and GCS processes Ray started)."""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from echotui.config import Settings
from echotui.errors import EchoError
from echotui.providers.registry import catalogue_providers

APP_NAME = "echotui"


TARGET_ONGOING_REQUESTS = 2
"""With autoscaling: requests in flight per replica that Ray Serve aims at (one decoding, one waiting)."""


@dataclass(frozen=True)
class ServeOptions:
    """How `echotui serve` runs.

    Attributes:
        replicas: a fixed number of replicas (without `max_replicas`).
        min_replicas, max_replicas: autoscaling between these on requests in flight, when `max_replicas`.
        address: an existing Ray cluster to join (`ray start --head` on one machine, `ray start
            --address=…` on the others); None starts Ray here for this server alone.
    """

    replicas: int = 1
    host: str = "127.0.0.1"
    port: int = 8000
    min_replicas: int | None = None
    max_replicas: int | None = None
    address: str | None = None

    def deployment(self, threads: int) -> dict[str, object]:
        """Ray Serve's deployment options: the replicas, each holding its engine's `threads` CPUs (Ray then
        sets its OMP_NUM_THREADS to match)."""
        actor = {"ray_actor_options": {"num_cpus": threads}}
        if self.max_replicas is None:
            return {"num_replicas": self.replicas, **actor}
        scaling = {
            "min_replicas": self.min_replicas or 1,
            "max_replicas": self.max_replicas,
            "target_ongoing_requests": TARGET_ONGOING_REQUESTS,
        }
        return {"autoscaling_config": scaling, **actor}

    def describe(self) -> str:
        if self.max_replicas is None:
            return f"{self.replicas} replica(s)"
        return f"{self.min_replicas or 1}-{self.max_replicas} replicas (autoscaling)"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_options(options: ServeOptions, api_key: str | None) -> None:
    """Loopback unless told; anything else needs a key. The port must be free."""
    if options.replicas < 1:
        raise EchoError("--replicas must be at least 1")
    if options.max_replicas is not None and not 1 <= (options.min_replicas or 1) <= options.max_replicas:
        raise EchoError("autoscaling needs 1 <= --min-replicas <= --max-replicas")
    if options.min_replicas is not None and options.max_replicas is None:
        raise EchoError("--min-replicas goes with --max-replicas (autoscaling): add --max-replicas N")
    if not is_loopback(options.host) and not api_key:
        raise EchoError(
            f"--host {options.host} is reachable from other machines: "
            "add --api-key KEY (or ECHOTUI_API_KEY), or serve on 127.0.0.1"
        )
    with socket.socket(socket.AF_INET6 if ":" in options.host else socket.AF_INET) as probe:
        try:
            probe.bind((options.host, options.port))
        except OSError as error:
            raise EchoError(
                f"cannot listen on {options.host}:{options.port} ({error.strerror}): choose another --port"
            ) from None


def replica_settings(settings: Settings) -> Settings:
    """What each replica gets: a local model path, and no secrets (the key travels as a digest)."""
    served = catalogue_providers()  # the engines with model files: what a replica can load
    if settings.provider not in served:
        raise EchoError(f"echotui serve runs {' or '.join(served)}: choose one with --provider")
    if settings.model_path is None:
        from echotui.models.catalog import pull_model

        path = pull_model(settings.model, settings.provider, settings.hf_token, settings.models_dir)
        settings = replace(settings, model_path=path)
    return replace(settings, api_key=None, hf_token=None, server=None)


def _environment() -> None:
    """Before Ray starts (its processes inherit this): no usage stats, no hub lookups in the replicas, and
    this echotui importable by them."""
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    os.environ["HF_HUB_OFFLINE"] = "1"
    root = str(Path(__file__).resolve().parents[2])
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join([root, *(p for p in paths if p != root)])


def serve_until_stopped(
    settings: Settings, options: ServeOptions, api_key: str | None, on_ready: Callable[[float], None]
) -> None:
    """Run the server until SIGINT or SIGTERM; `on_ready(seconds)` once every replica answers."""
    check_options(options, api_key)
    began = time.monotonic()
    settings = replica_settings(settings)
    _environment()
    import ray
    from ray import serve

    from echotui.serve.api import key_digest
    from echotui.serve.app import Transcriber

    if options.address is not None:  # the cluster's machines bring their own CPUs
        ray.init(address=options.address, include_dashboard=False, log_to_driver=False)
    else:
        most = max(options.replicas, options.max_replicas or 1)
        cpus = max(os.cpu_count() or 1, most * settings.threads)
        ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
    try:
        serve.start(http_options={"host": options.host, "port": options.port})
        deployment = Transcriber.options(**options.deployment(settings.threads))  # type: ignore[attr-defined]
        serve.run(deployment.bind(settings, key_digest(api_key)), name=APP_NAME, route_prefix="/")
        stop = threading.Event()
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *_: stop.set())
        on_ready(time.monotonic() - began)
        while not stop.wait(1.0):
            pass
    finally:
        serve.shutdown()
        ray.shutdown()
