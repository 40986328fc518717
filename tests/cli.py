"""Running the real `echotui` command as a user would, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from echotui.audio.clock import CLOCK_ENV

REAL_TIME = {CLOCK_ENV: "wall"}
"""The env of a run that replays its file at real time on the wall clock. The suite replays on the simulated
clock (conftest); a test that needs real time says why: latency, stopping a live-paced run midway, or a
layer that works in the live engine's idle time (which `AWARE` skips)."""
AWARE = {CLOCK_ENV: "aware"}
"""The env of a run that replays its file on the computation-aware clock: a real engine's live layer as at
real time on this machine (it is slower than the simulated clock's infinitely fast one: its passes thin out
while one computes, as for a user, where the simulated clock would make every pass), without paying for
the time it waits idle for the next block."""


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def echotui(*args: str | Path, env: dict[str, str] | None = None, timeout: float = 300) -> Run:
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    result = subprocess.run(
        [sys.executable, "-m", "echotui", *map(str, args)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return Run(result.returncode, result.stdout, result.stderr)
