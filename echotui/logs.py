"""Engine logs go to a log file, never to the terminal.

`setup_logging()` points Python logging at the log file. `native_log_capture()` routes whisper.cpp's
log callback into it and lets a provider read the lines (its backend report). Textual owns the terminal,
so anything a C library writes to fd 2 would land on the screen: `redirect_native_stderr()` moves fd 2 to
the log file and returns a duplicate of the real stderr for the UI.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("echotui")


def default_log_path() -> Path:
    override = os.environ.get("ECHOTUI_LOG_FILE")
    if override:
        return Path(override).expanduser()
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "echotui" / "echotui.log"


_configured_path: Path | None = None


def setup_logging(path: Path | None = None, level: int = logging.INFO) -> Path:
    """Send echotui's and the engines' Python logs to `path` (created if needed). Idempotent."""
    global _configured_path
    path = path or default_log_path()
    if _configured_path == path:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_echotui", False)]:
        root.removeHandler(old)
    handler._echotui = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "urllib3", "filelock"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _configured_path = path
    return path


def log_path() -> Path | None:
    """The log file in use, if logging was set up."""
    return _configured_path


# ggml_log_level: 1 debug, 2 info, 3 warn, 4 error, 5 continuation of the previous line
GGML_LOG_LEVELS = {1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING, 4: logging.ERROR}


class _NativeLog:
    """The single process-wide whisper.cpp log callback, fanned out to listeners."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[Callable[[str], None]] = []
        self._installed = False
        self._logger = logging.getLogger("whisper.cpp")

    def _callback(self, level: int, text: str) -> None:
        line = text.rstrip("\n")
        if not line:
            return
        self._logger.log(GGML_LOG_LEVELS.get(level, logging.INFO), line)
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(line)

    def install(self) -> None:
        with self._lock:
            if self._installed:
                return
            import _pywhispercpp

            _pywhispercpp.whisper_log_set(self._callback)
            self._installed = True
        # An installed callback at interpreter exit aborts Python: remove it first.
        atexit.register(self.uninstall)

    def uninstall(self) -> None:
        with self._lock:
            if not self._installed:
                return
            import _pywhispercpp

            _pywhispercpp.whisper_log_set(None)
            self._installed = False

    def listen(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """Add a listener; returns a function that removes it."""
        self.install()
        with self._lock:
            self._listeners.append(listener)

        def remove() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return remove


whisper_log = _NativeLog()


def redirect_native_stderr(path: Path) -> int:
    """Point fd 2 at `path` and return a new fd that still writes to the real stderr."""
    sys.stderr.flush()
    real = os.dup(2)
    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(target, 2)
    os.close(target)
    return real
