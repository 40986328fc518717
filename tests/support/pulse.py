"""A real capture device for tests and benchmarks: PulseAudio with a null sink whose monitor is the default
source; `paplay --device=nullsink file.wav` speaks into the "microphone"."""

from __future__ import annotations

import shutil
import subprocess
import time

SINK = "nullsink"


def running() -> bool:
    return subprocess.run(["pactl", "info"], capture_output=True).returncode == 0


def start_null_sink() -> bool:
    """Start PulseAudio if it is not running (True: this call started it, so stop it after) and make the
    null sink's monitor the default source. RuntimeError says what is missing."""
    if shutil.which("pulseaudio") is None:
        raise RuntimeError("PulseAudio is not installed: .ci/run installs pulseaudio pulseaudio-utils")
    started = False
    if not running():
        subprocess.run(
            [
                "pulseaudio", "--daemonize=yes", "--exit-idle-time=-1", "-n",
                f"--load=module-null-sink sink_name={SINK}",
                "--load=module-native-protocol-unix",
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
        started = True
        deadline = time.monotonic() + 10
        while not running():
            if time.monotonic() > deadline:
                raise RuntimeError("PulseAudio did not start")
            time.sleep(0.1)
    sinks = subprocess.run(["pactl", "list", "short", "sinks"], capture_output=True, text=True).stdout
    if SINK not in sinks:
        subprocess.run(["pactl", "load-module", "module-null-sink", f"sink_name={SINK}"], check=True)
    subprocess.run(["pactl", "set-default-sink", SINK], check=True)  # where a player speaks
    subprocess.run(["pactl", "set-default-source", f"{SINK}.monitor"], check=True)
    return started


def stop() -> None:
    """Stop the PulseAudio daemon `start_null_sink` started."""
    subprocess.run(["pulseaudio", "-k"], capture_output=True)
