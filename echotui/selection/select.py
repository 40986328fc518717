"""Auto-selection: the provider, model, device and chunk length that keep up on this machine, and why.

Tiers decide the engine; measured encoder speed decides the model:

- ultra (≥ 32 GB on Apple Silicon or with CUDA): Voxtral Realtime when opted in
  (ECHOTUI_AUTO_SELECT_VOXTRAL=1) and available;
- high (a GPU the engine can use): whisper.cpp on Metal/CUDA, else faster-whisper float16 on CUDA;
- low RAM (< 12 GB): at most base.en, with 2 s chunks;
- Intel Mac: faster-whisper int8 on the CPU first (CTranslate2 has no Metal backend);
- otherwise whisper.cpp on the CPU (its adaptive window is cheaper for streaming), then faster-whisper int8.

Within a tier the largest model of `LADDER` whose predicted RTF stays ≤ `MAX_RTF` wins (see
`speed.predict_rtf`). An unavailable provider is never chosen; explicit settings always win.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from echotui.config import Settings
from echotui.errors import EchoError
from echotui.providers.machine import GPU_NAMES, Engine, Hardware, ProviderStatus
from echotui.providers.names import AUTO
from echotui.providers.registry import PROVIDERS, capabilities
from echotui.selection.hardware import LOW_RAM_GB, is_ultra
from echotui.selection.speed import LADDER, MAX_RTF, EncoderTimer, Timings
from echotui.selection.speed import predict_rtf as _predict_rtf

__all__ = ["EncoderTimer", "Recommendation", "apply_recommendation", "recommend"]

LOW_RAM_LADDER = LADDER[:2]
LOW_RAM_CHUNK_S = 2.0
WIDER_CHUNKS_S = (2.0, 3.0)


@dataclass(frozen=True)
class Recommendation:
    """What to run, and the reason shown wherever the choice is shown.

    Attributes:
        provider: provider name.
        model: model name.
        device: "metal", "cuda" or "cpu".
        compute: compute type ("default" for engines without one, "int8", "float16").
        chunk_seconds: new audio per partial result (Voxtral: its encoder interval).
        predicted_rtf: predicted compute seconds per second of speech, or None when it cannot be predicted.
        reason: why, in one line.
        measured: the prediction rests on a timing taken on this machine (not only on estimates).
    """

    provider: str
    model: str
    device: str
    compute: str
    chunk_seconds: float
    predicted_rtf: float | None
    reason: str
    measured: bool = False

    def describe(self) -> str:
        """One line: what is recommended and why (the reason carries the predicted RTF)."""
        return (
            f"recommended: {self.provider} {self.model} on {self.device} ({self.compute}), "
            f"{self.chunk_seconds:g} s chunks, because {self.reason}"
        )


def predict_rtf(provider: str, t30: float, chunk_s: float) -> float:
    """`speed.predict_rtf` for a provider, from what its class declares it can do."""
    return _predict_rtf(capabilities(provider), t30, chunk_s)


def _engines(hw: Hardware, available: set[str], settings: Settings, explicit: set[str]) -> list[Engine]:
    """Engine configurations in this tier's order of preference, GPU ones only when there are any: every
    available provider's GPU ones in the registry's order, then the CPU ones (a provider's `cpu_first` on
    this machine puts its own ahead)."""
    engines = [e for name, cls in PROVIDERS.items() if name in available for e in cls.engines(hw)]
    gpu = [e for e in engines if e.device != "cpu"]
    cpu = sorted(
        (e for e in engines if e.device == "cpu"), key=lambda e: not PROVIDERS[e.provider].cpu_first(hw)
    )
    engines = gpu + cpu
    if "provider" in explicit:
        engines = [e for e in engines if e.provider == settings.provider]
    if "whisper_device" in explicit and settings.whisper_device != "auto":
        engines = [e for e in engines if e.device == settings.whisper_device]
    if "whisper_compute" in explicit and settings.whisper_compute != "default":
        compute = settings.whisper_compute  # engines without compute types keep theirs
        engines = [replace(e, compute=PROVIDERS[e.provider].compute_for(e.device, compute)) for e in engines]
    on_gpu = [e for e in engines if e.device != "cpu"]
    return on_gpu or engines


def _chosen(settings: Settings, explicit: set[str]) -> str:
    """What the user set explicitly, as the reason names it ("" when nothing)."""
    fields = ("provider", "model", "whisper_device", "whisper_compute")
    named = [f"{name} {getattr(settings, name)}" for name in fields if name in explicit]
    if "model_path" in explicit and settings.model_path is not None:
        named.append(f"model file {settings.model_path.name}")
    if "chunk_seconds" in explicit:
        named.append(f"{settings.chunk_seconds:g} s chunks")
    return f"you chose {', '.join(named)}" if named else ""


def _setting(hw: Hardware, engine: Engine, low_ram: bool, settings: Settings, explicit: set[str]) -> str:
    """The deciding facts for an engine choice: the start of the reason."""
    chosen = _chosen(settings, explicit)
    low = f"{hw.ram_gb:g} GB RAM, so at most base.en with {LOW_RAM_CHUNK_S:g} s chunks; " if low_ram else ""
    why = PROVIDERS[engine.provider].placement_reason(hw, engine.device, engine.compute, low_ram)
    return (f"{chosen}; " if chosen else "") + low + why


def _top_tier(status: ProviderStatus, settings: Settings, reason: str) -> Recommendation:
    """The top-tier engine (Voxtral) with its default model on its one backend."""
    model, device = status.default_model, status.backends[0]
    chunk = getattr(settings, PROVIDERS[status.name].chunk_setting)
    return Recommendation(status.name, model, device, "default", chunk, None, reason)


def recommend(
    hw: Hardware,
    statuses: list[ProviderStatus],
    settings: Settings,
    timer: EncoderTimer,
    explicit: set[str],
) -> Recommendation:
    """The configuration to run here. `explicit` names the Settings fields the user set (flags or
    environment); those values win. Raises EchoError when nothing, or the chosen provider, cannot run."""
    by_name = {s.name: s for s in statuses}
    available = {s.name for s in statuses if s.available}
    explicit = set(explicit) - ({"provider"} if settings.provider == AUTO else set())
    if "provider" in explicit and settings.provider not in available:
        why = by_name[settings.provider].reason if settings.provider in by_name else "unknown provider."
        raise EchoError(f"you chose {settings.provider}, but it cannot run here: {why}")
    if not available:
        device = settings.whisper_device
        fix = (
            f"use --whisper-device auto, not {device}"
            if device not in ("auto", "cpu")
            else "pip install pywhispercpp"
        )
        raise EchoError(f"no speech engine can run here: {fix} (see `echotui providers`)")
    vox = next((s for s in statuses if s.name in PROVIDERS and PROVIDERS[s.name].top_tier), None)
    title = PROVIDERS[vox.name].label("default") if vox else ""
    if "provider" in explicit and vox and settings.provider == vox.name:
        return _top_tier(vox, settings, f"you chose {title}; {vox.reason[0].lower()}{vox.reason[1:]}")
    ultra_vox = is_ultra(hw) and vox is not None and vox.available and vox.backends[0] != "cpu"
    chosen = explicit & {"provider", "model", "model_path"}
    if ultra_vox and vox and settings.auto_select_voxtral and not chosen:
        where = "Apple Silicon" if hw.apple_silicon else "with CUDA"
        gpu = GPU_NAMES[vox.backends[0]]
        reason = f"{hw.ram_gb:g} GB {where} and ECHOTUI_AUTO_SELECT_VOXTRAL=1: {title} on {gpu}"
        return _top_tier(vox, settings, reason)
    engines = _engines(hw, available, settings, explicit)
    if not engines:
        raise EchoError(
            f"no available engine can run on {settings.whisper_device} here: use --whisper-device auto"
        )
    timings = Timings(timer, min(settings.threads, hw.cores))
    low_ram = hw.ram_gb < LOW_RAM_GB
    chunk = LOW_RAM_CHUNK_S if low_ram and "chunk_seconds" not in explicit else settings.chunk_seconds
    if chosen & {"model", "model_path"}:
        return _explicit_model(engines, settings, timings, chunk, explicit)
    hint = "; set ECHOTUI_AUTO_SELECT_VOXTRAL=1 for Voxtral" if ultra_vox and not chosen else ""
    rec = _auto_model(
        engines, LOW_RAM_LADDER if low_ram else LADDER, timings, chunk, "chunk_seconds" in explicit
    )
    setting = _setting(hw, Engine(rec.provider, rec.device, rec.compute), low_ram, settings, explicit)
    return replace(rec, reason=f"{setting}; {rec.reason}{hint}")


def _auto_model(
    engines: list[Engine], ladder: tuple[str, ...], timings: Timings, chunk: float, fixed_chunk: bool
) -> Recommendation:
    """The largest model that keeps up on the best engine, at `chunk` or, unless it is fixed, a longer one
    (the reason here is the model part only)."""
    wider = [] if fixed_chunk else [c for c in WIDER_CHUNKS_S if c > chunk]
    for c in [chunk, *wider]:
        fits = [(fit, engine) for engine in engines if (fit := _largest_fitting(engine, ladder, timings, c))]
        if fits:
            (index, rtf, how, note), engine = max(fits, key=lambda item: item[0][0])  # first of equals
            slower = f", {chunk:g} s chunks would be too slow" if c != chunk else ""
            reason = f"{ladder[index]} predicts RTF {rtf:.2f} at {c:g} s chunks ({how}){slower}{note}"
            return Recommendation(
                engine.provider, ladder[index], engine.device, engine.compute, c, rtf, reason, _measured(how)
            )
    engine, c = engines[0], max(chunk, *wider)
    seconds, how = timings.get(engine, ladder[0]) or (math.nan, "unknown")  # the ladder's sizes are known
    rtf = predict_rtf(engine.provider, seconds, c)
    reason = f"even {ladder[0]} predicts RTF {rtf:.2f} at {c:g} s chunks ({how}): expect finals only"
    rec = Recommendation(engine.provider, ladder[0], engine.device, engine.compute, c, rtf, reason)
    return replace(rec, measured=_measured(how))


def _measured(how: str) -> bool:
    return how.startswith(("measured", "scaled from measured"))


def _largest_fitting(
    engine: Engine, ladder: tuple[str, ...], timings: Timings, chunk: float
) -> tuple[int, float, str, str] | None:
    """(ladder index, rtf, how it was timed, note on the next model) of the largest model that keeps up.

    Walks up from the smallest and stops at the first that does not, so big models are timed only if needed.
    """
    best: tuple[int, float, str, str] | None = None
    for index, model in enumerate(ladder):
        timing = timings.get(engine, model)
        if timing is None:
            break
        rtf = predict_rtf(engine.provider, timing[0], chunk)
        if rtf > MAX_RTF:
            return None if best is None else (*best[:3], f"; {model} would be {rtf:.2f}")
        best = (index, rtf, timing[1], "")
    return best


def _explicit_model(
    engines: list[Engine], settings: Settings, timings: Timings, chunk: float, explicit: set[str]
) -> Recommendation:
    """The user chose the model: keep it, pick the engine that runs it fastest, say whether it keeps up."""
    path = settings.model_path if "model_path" in explicit else None
    scored = []
    for engine in engines:
        timing = None if path else timings.get(engine, settings.model)
        rtf = predict_rtf(engine.provider, timing[0], chunk) if timing else None
        scored.append((math.inf if rtf is None else rtf, engine, rtf, timing[1] if timing else ""))
    _, engine, rtf, how = min(scored, key=lambda item: item[0])  # min keeps the first of equals
    where = GPU_NAMES.get(engine.device, engine.device)
    if rtf is None:
        verdict = f"{engine.provider} on {where}; its speed here is unknown"
    else:
        keeps_up = "keeps up" if rtf <= MAX_RTF else "will fall behind (partials stop, finals only)"
        verdict = f"{engine.provider} on {where} predicts RTF {rtf:.2f} at {chunk:g} s chunks ({how})"
        verdict += f": it {keeps_up}"
    reason = f"{_chosen(settings, explicit)}; {verdict}"
    model = path.name if path else settings.model
    rec = Recommendation(engine.provider, model, engine.device, engine.compute, chunk, rtf, reason)
    return replace(rec, measured=_measured(how))


def apply_recommendation(settings: Settings, recommendation: Recommendation, explicit: set[str]) -> Settings:
    """`settings` with the recommendation filled in wherever the user did not choose explicitly."""
    values: dict[str, Any] = {
        "provider": recommendation.provider,
        "whisper_device": recommendation.device,
        "whisper_compute": recommendation.compute,
    }
    engine = PROVIDERS[recommendation.provider]
    values[engine.chunk_setting] = recommendation.chunk_seconds
    if engine.capabilities.model_format is not None and "model_path" not in explicit:  # loads `model`
        values["model"] = recommendation.model
    keep = set(explicit) - ({"provider"} if settings.provider == AUTO else set())
    return replace(settings, **{k: v for k, v in values.items() if k not in keep}).validate()
