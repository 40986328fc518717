"""Hugging Face Hub access shared by the providers: quiet logging and a fast offline check."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from echotui.errors import EchoError

log = logging.getLogger(__name__)

FIX = "check the network and HF_TOKEN, or pass a local model with --model-path"


def quiet_hub_logging() -> None:
    """huggingface_hub logs to the terminal by default; route its records to our log file instead."""
    import huggingface_hub  # noqa: F401  (configures its logger on import)

    hub_logger = logging.getLogger("huggingface_hub")
    for handler in list(hub_logger.handlers):
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            hub_logger.removeHandler(handler)
    hub_logger.propagate = True


def check_reachable(repo: str, filename: str, what: str, token: str | None) -> int | None:
    """One request without retries, so that offline or with a bad token the user learns it at once
    instead of after huggingface_hub's back-off (about 25 s). Returns the file's size if known."""
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    quiet_hub_logging()
    try:
        metadata = get_hf_file_metadata(hf_hub_url(repo, filename), token=token, timeout=10)
    except Exception as error:
        log.warning("cannot reach %s for %s: %r", repo, filename, error)
        raise EchoError(
            f"cannot download {what}: Hugging Face is unreachable ({type(error).__name__}): {FIX}"
        ) from None
    return metadata.size


def download_failed(what: str, error: Exception) -> EchoError:
    log.error("download of %s failed: %r", what, error)
    return EchoError(f"download of {what} failed ({type(error).__name__}): {FIX}")


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


def progress_bar(what: str) -> type[Any]:
    """A tqdm class for huggingface_hub that also reports to `downloads` (the UI shows it; in the CLI the
    bar itself draws on stderr as usual)."""
    from tqdm.auto import tqdm

    class TrackedBar(tqdm):
        def update(self, n: float | None = 1) -> bool | None:
            shown = super().update(n)
            downloads.update(what, float(self.n), float(self.total) if self.total else None)
            return shown

        def close(self) -> None:
            downloads.finish(what)
            super().close()

    return TrackedBar
