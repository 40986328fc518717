"""The same engine and weights on the whole file in one call: the offline reading that the live and the
kept (revised) words are measured against. Computed once per (engine, model, file) in a run."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from echotui.audio.file_source import DecodedFile
from echotui.config import Settings
from echotui.providers.base import TranscribeRequest
from echotui.providers.registry import create_provider


@functools.cache
def offline_text(provider: str, model: Path, path: Path) -> str:
    """`path` transcribed in one call, with the engine's own 30 s windows."""
    audio = np.concatenate(list(DecodedFile(path).blocks()))
    engine = create_provider(Settings(provider=provider, model_path=model, threads=2))
    engine.load()
    try:
        whole = TranscribeRequest(audio, 0.0, True, full_window=True)
        return " ".join(s.text for s in engine.transcribe(whole))
    finally:
        engine.close()
