"""How fast a model runs here, as a model of its cost: the real-time factor predicted from one measured (or
estimated) 30 s encoder window, and the encoder sizes that scale a measurement to other models."""

from __future__ import annotations

import math
import re
from typing import Protocol

from echotui.providers.base import Capabilities
from echotui.providers.machine import Engine

LADDER = ("tiny.en", "base.en", "small.en", "medium.en", "large-v3-turbo")
MAX_RTF = 0.5
TYPICAL_UTTERANCE_S = 6.0
DECODE_FRACTION = 0.15
# Encoder parameters in millions (Whisper; large-v3-turbo keeps large-v3's 32-layer encoder).
ENCODER_PARAMS_M = {"tiny": 8.0, "base": 20.0, "small": 88.0, "medium": 305.0, "large": 635.0, "turbo": 635.0}
# Conservative seconds per 30 s window per million encoder parameters when nothing was measured. CPU:
# measured whisper.cpp tiny.en ≈ 1.1 s on 2 Xeon threads (rounded up), for 2 threads; scaled by √(2/threads).
BUILTIN_S_PER_M = {"cpu": 0.14, "metal": 0.003, "cuda": 0.001}


def encoder_params(model: str) -> float | None:
    """Millions of encoder parameters of a Whisper model name (".en" and "-q5_1"-style suffixes ignored)."""
    base = re.sub(r"-q\d_\d$", "", model).removesuffix(".en")
    if base.startswith("large") or base == "turbo":
        return ENCODER_PARAMS_M["large"]
    return ENCODER_PARAMS_M.get(base)


def window_seconds(utterance_s: float) -> float:
    """The adaptive whisper.cpp window for an utterance: audio_ctx = 50·L + 128 frames (50 per second)."""
    return min(30.0, (50 * utterance_s + 128) / 50)


def predict_rtf(
    capabilities: Capabilities, t30: float, chunk_s: float, utterance_s: float = TYPICAL_UTTERANCE_S
) -> float:
    """Predicted compute seconds per second of speech.

    The open utterance is re-transcribed every `chunk_s` seconds, so about 1/c calls per second (the
    README's streaming benchmark: 67 calls for 66 s at 1 s chunks; a final replaces a partial). Each call
    costs `t30` (one full 30 s window, as `CachedEncoderTimer` measures it) scaled to its window, plus a
    decoder and mel overhead of DECODE_FRACTION·t30. Calibration on this 2-core machine: t30 measured
    1.0 s (tiny.en) and 2.4 s (base.en); the model then says 0.44 and 1.04 s per call, the benchmark
    measured 0.44 and 0.96 s (random weights, which decode more tokens than speech does).

    - an engine with an adaptive window (whisper.cpp's audio_ctx, faster-whisper's short encoder input):
      (window(L)/30 + DECODE_FRACTION)·t30 / c, with L = 6 s, the mean open length of the longest (12 s)
      utterances the policy makes.
    - one that pays a full window every call: (1 + DECODE_FRACTION)·t30 / c.
    """
    share = window_seconds(utterance_s) / 30 if capabilities.adaptive_window else 1.0
    return (share + DECODE_FRACTION) * t30 / chunk_s


def builtin_seconds(device: str, params: float, threads: int) -> float:
    """A conservative guess at seconds per 30 s window when nothing could be measured."""
    per_m = BUILTIN_S_PER_M.get(device, BUILTIN_S_PER_M["cpu"])
    scale = math.sqrt(2 / max(1, threads)) if device == "cpu" else 1.0
    return per_m * params * scale


class EncoderTimer(Protocol):
    """How long one 30 s encoder window of `model` takes here, or None when it cannot be told."""

    def seconds_per_window(self, provider: str, model: str, device: str = "auto") -> float | None: ...


class Timings:
    """Seconds per window for each (engine, model): measured, scaled from a measured smaller model by
    encoder parameters (time ∝ parameters, which overstates larger models: attention grows with width,
    not width², and small models use the hardware less well), or a built-in conservative estimate."""

    def __init__(self, timer: EncoderTimer, threads: int) -> None:
        self.timer = timer
        self.threads = threads
        self._memo: dict[tuple[str, str, str], float | None] = {}

    def measured(self, engine: Engine, model: str) -> float | None:
        key = (engine.provider, engine.device, model)
        if key not in self._memo:
            seconds = self.timer.seconds_per_window(engine.provider, model, engine.device)
            ok = seconds is not None and math.isfinite(seconds) and seconds > 0
            self._memo[key] = seconds if ok else None
        return self._memo[key]

    def get(self, engine: Engine, model: str) -> tuple[float, str] | None:
        """(seconds, how it was obtained) or None for a model of unknown size."""
        seconds = self.measured(engine, model)
        if seconds is not None:
            return seconds, "measured"
        params = encoder_params(model)
        if params is None:
            return None
        smaller = [m for m in LADDER if (encoder_params(m) or 0) < params]
        for reference in reversed(smaller):
            ref_seconds = self.measured(engine, reference)
            if ref_seconds is not None:
                ratio = params / (encoder_params(reference) or params)
                return ref_seconds * ratio, f"scaled from measured {reference}"
        return builtin_seconds(engine.device, params, self.threads), "an estimate, nothing measured"
