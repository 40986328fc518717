"""The cache folder: files echotui can make again (encoder timings, q8_0 model copies)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """$ECHOTUI_CACHE_DIR, else $XDG_CACHE_HOME/echotui, else ~/.cache/echotui."""
    folder = os.environ.get("ECHOTUI_CACHE_DIR")
    if not folder:
        folder = str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "echotui")
    return Path(folder).expanduser()
