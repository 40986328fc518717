"""What the suite builds once per run (models, this machine's encoder timings), shared by pytest-xdist's
workers: the first worker to need it builds it in the run's shared temporary folder, under a file lock (the
pattern pytest-xdist's documentation gives); the others wait for it and read it. Without xdist it is built
in the session's own temporary folder."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock


def built_once(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """The folder `name` of this run, filled by `build(folder)` the first time any worker asks for it."""
    own = factory.getbasetemp()
    run = own.parent if "PYTEST_XDIST_WORKER" in os.environ else own  # a worker's is inside the run's
    folder, done = run / name, run / f"{name}.built"
    with FileLock(run / f"{name}.lock"):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a build that failed midway in another worker
            folder.mkdir()
            build(folder)
            done.touch()
    return folder
