"""The engines' OpenMP threads spin briefly, then sleep, at a barrier (echotui/openmp.py): the user's own
settings win. What it buys is measured by `python -m benchmarks.openmp_wait`, not timed here."""

from __future__ import annotations

import os
import subprocess
import sys

from echotui.openmp import SPIN_COUNT, USER_SETTINGS, WAIT_POLICY, configure


def settings_seen_by_an_engine_started_with(**user: str) -> tuple[str, str]:
    """What the OpenMP runtime reads when it loads, in a fresh process that imports echotui first."""
    code = "import os, echotui; print(os.environ.get('OMP_WAIT_POLICY'), os.environ.get('GOMP_SPINCOUNT'))"
    env = {k: v for k, v in os.environ.items() if k not in USER_SETTINGS} | user
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    policy, spins = out.stdout.split()
    return policy, spins


def test_engine_threads_spin_briefly_then_sleep_unless_the_user_says_otherwise() -> None:
    assert settings_seen_by_an_engine_started_with() == ("ACTIVE", "10000")
    assert settings_seen_by_an_engine_started_with(OMP_WAIT_POLICY="PASSIVE") == ("PASSIVE", "None")
    assert settings_seen_by_an_engine_started_with(GOMP_SPINCOUNT="300000") == ("None", "300000")


def test_the_settings_are_the_named_numbers() -> None:
    environ: dict[str, str] = {"HOME": "/home/user"}
    configure(environ)
    assert environ == {
        "HOME": "/home/user",
        "OMP_WAIT_POLICY": WAIT_POLICY,
        "GOMP_SPINCOUNT": f"{SPIN_COUNT}",
    }
