"""The suite on two cores (pytest-xdist, `-n 2 --dist loadgroup` in pyproject's addopts): a pytest plugin.

Each worker is a process of its own with its own session fixtures. What exists once on the machine stays with
one worker: the stories on the PulseAudio capture device (one default source; the worker that started the
daemon stops it at its end), on `echotui serve` (a Ray cluster) and on the Wyoming server run on one worker
each (`xdist_group`), one after another as in a serial run.

Figures a test measures for the run's summary travel to the controller in the test's report
(tests/support/report.py): the workers' memory is not the controller's.
"""

from __future__ import annotations

import pytest

SHARED = {"pulse_null_sink": "pulseaudio", "echo_server": "ray-serve", "wyoming_server": "wyoming"}
"""A session fixture for something one per machine → the group of the stories that use it."""


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not isinstance(item, pytest.Function):  # (only a test function has fixtures)
            continue
        group = next((g for fixture, g in SHARED.items() if fixture in item.fixturenames), None)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
