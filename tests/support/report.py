"""Figures the suite measures and prints at the end of the run (see `pytest_terminal_summary` in conftest).

A test records its figures as a property of its report (`record_property`): under pytest-xdist the test runs
in a worker, and only its report reaches the process that prints the summary."""

from __future__ import annotations

import pytest

ACCURACY_PROPERTY = "accuracy"
"""The report property of an accuracy test: [provider, speech, live WER, offline WER]."""

ACCURACY: list[tuple[str, str, float, float]] = []
"""(provider, speech, live WER, offline WER) per accuracy test, gathered from the reports."""


def gather(report: pytest.TestReport, into: list[tuple[str, str, float, float]] = ACCURACY) -> None:
    """Keep the figures a finished test recorded (`into` the run's summary)."""
    for name, value in report.user_properties:
        if name == ACCURACY_PROPERTY and isinstance(value, (list, tuple)):
            provider, speech, live, offline = value
            into.append((str(provider), str(speech), float(live), float(offline)))
