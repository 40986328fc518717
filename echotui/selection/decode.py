"""Which engine is faster here on real speech: each candidate transcribes the same speech the way a streaming
pass does (with word times), and the seconds it took per second of speech decide.

An encoder pass alone misjudges the engines: whisper.cpp sizes its encoder window to the audio while
faster-whisper always encodes 30 s, and their decoders differ in cost too. So once the session has heard
enough of the user's own speech, the engines that could run the recommended model are timed on it, and the
recommendation keeps or changes its engine, its reason giving both figures.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from echotui import SAMPLE_RATE
from echotui.config import Settings
from echotui.providers.base import TranscribeRequest
from echotui.providers.registry import PROVIDERS, create_provider
from echotui.selection.select import Recommendation

log = logging.getLogger(__name__)

MIN_SPEECH_S = 6.0
SPEECH_WAIT_S = 120.0  # how long a quick start waits for that much speech before it stops looking
SPEECH_POLL_S = 0.5


@dataclass(frozen=True)
class DecodeTiming:
    """One engine's real decode: `rtf` seconds of compute per second of `audio_s` seconds of speech."""

    provider: str
    model: str
    rtf: float
    audio_s: float


Decode = Callable[[Settings, str, str, np.ndarray], float | None]
"""(settings, provider, model, speech) -> seconds per second of speech, or None when it cannot run."""


def measure_decode(settings: Settings, provider: str, model: str, speech: np.ndarray) -> float | None:
    """Load `provider` with `model` (a local one: never downloads) and time it on `speech`, after a
    warm-up, the faster of two runs; None when it cannot load or run."""
    engine = create_provider(replace(settings, provider=provider, model=model, model_path=None))
    try:
        engine.load()
        engine.transcribe(TranscribeRequest(speech[:SAMPLE_RATE], 0.0, False, word_timestamps=True))
        best = math.inf
        for _ in range(2):
            began = time.perf_counter()
            engine.transcribe(TranscribeRequest(speech, 0.0, False, word_timestamps=True))
            best = min(best, time.perf_counter() - began)
        return best / (len(speech) / SAMPLE_RATE)
    except Exception:  # an engine that cannot be timed is simply not compared
        log.info("could not time a decode of %s %s", provider, model, exc_info=True)
        return None
    finally:
        engine.close()


def wait_for_speech(
    heard_s: Callable[[], float],
    recent: Callable[[], np.ndarray],
    stop: threading.Event,
    timeout_s: float = SPEECH_WAIT_S,
) -> np.ndarray | None:
    """Once `heard_s()` (seconds of speech transcribed so far) reaches MIN_SPEECH_S: `recent()`, the latest
    audio. None when that does not happen within `timeout_s`, or as soon as `stop` is set (call from a
    worker thread: it waits)."""
    deadline = time.monotonic() + timeout_s
    while heard_s() < MIN_SPEECH_S:
        if time.monotonic() > deadline or stop.wait(SPEECH_POLL_S):
            return None
    return None if stop.is_set() else recent()


def faster_on_speech(
    settings: Settings,
    best: Recommendation,
    candidates: Sequence[str],
    speech: np.ndarray,
    decode: Decode = measure_decode,
) -> Recommendation:
    """`best` with the engine among `candidates` that decoded `speech` fastest with its model; the reason
    says every engine's figure. `best` as it is when fewer than two engines could be timed."""
    if len(speech) < MIN_SPEECH_S * SAMPLE_RATE or best.device != "cpu":  # a GPU tier is not compared
        return best
    timings = []
    for provider in dict.fromkeys([best.provider, *candidates]):
        rtf = decode(settings, provider, best.model, speech)
        if rtf is not None and math.isfinite(rtf):
            timings.append(DecodeTiming(provider, best.model, rtf, len(speech) / SAMPLE_RATE))
    if len(timings) < 2:
        return best
    fastest = min(timings, key=lambda t: t.rtf)  # the first of equals: the recommendation's own engine
    figures = ", ".join(f"{t.provider} RTF {t.rtf:.2f}" for t in timings)
    said = f"decoding {timings[0].audio_s:.1f} s of your speech with {best.model}: {figures}"
    if fastest.provider == best.provider:
        return replace(best, reason=f"{best.reason}; {said}", predicted_rtf=fastest.rtf, measured=True)
    reason = (
        f"{fastest.provider} is faster here on real speech ({said}); the encoder pass alone: {best.reason}"
    )
    return replace(
        best,
        provider=fastest.provider,
        compute=PROVIDERS[fastest.provider].compute_for(best.device),
        predicted_rtf=fastest.rtf,
        reason=reason,
        measured=True,
    )
