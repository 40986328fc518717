"""Figures the suite measures and prints at the end of the run (see `pytest_terminal_summary` in conftest)."""

from __future__ import annotations

ACCURACY: list[tuple[str, str, float, float]] = []
"""(provider, speech, live WER, offline WER) per accuracy test."""
