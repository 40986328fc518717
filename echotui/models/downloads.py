"""The model download in progress, if any: written by the downloading thread, read by whoever shows it (the
session hands it to the pipeline's snapshot). Imports nothing that downloads."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Download:
    """A model download under way: what, and how far (units: bytes, or files for a folder)."""

    what: str
    done: float
    total: float | None

    def describe(self) -> str:
        if not self.total:
            return f"downloading {self.what}…"
        percent = 100.0 * self.done / self.total
        if self.total > 1e6:
            return f"downloading {self.what} {percent:.0f}% ({self.done / 1e6:.0f}/{self.total / 1e6:.0f} MB)"
        return f"downloading {self.what} {percent:.0f}%"


class DownloadTracker:
    """The download in progress, if any, written by the downloading thread and read by the UI's timer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: Download | None = None

    def update(self, what: str, done: float, total: float | None) -> None:
        with self._lock:
            self._current = Download(what, done, total)

    def finish(self, what: str) -> None:
        with self._lock:
            if self._current is not None and self._current.what == what:
                self._current = None

    def current(self) -> Download | None:
        with self._lock:
            return self._current


downloads = DownloadTracker()


def describe_download() -> str | None:
    """The download under way in words, or None."""
    current = downloads.current()
    return current.describe() if current else None
