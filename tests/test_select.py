"""Auto-selection with injected hardware facts and a fake encoder timer; the real timer's cache, and its
real measurements of tiny.en on each engine (taken once per run by `measured_here`)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from echotui.config import Settings
from echotui.errors import EchoError
from echotui.providers.base import Capabilities
from echotui.selection import speed
from echotui.selection.hardware import Hardware, detect_hardware
from echotui.selection.select import Recommendation, apply_recommendation, predict_rtf, recommend
from echotui.selection.speed import DECODE_FRACTION, window_seconds
from echotui.selection.status import ProviderStatus
from echotui.selection.timing import CachedEncoderTimer

M3_MAX = Hardware("darwin", "arm64", True, 96.0, 16, 0, "metal", "Apple M3 Max")
AIR_8GB = Hardware("darwin", "arm64", True, 8.0, 8, 0, "metal", "Apple M1")
INTEL_MAC = Hardware("darwin", "x86_64", False, 16.0, 8, 0, None, "Intel(R) Core(TM) i9-9880H")
LINUX_CUDA = Hardware("linux", "x86_64", False, 64.0, 16, 1, None, "AMD EPYC 7413")
THIS_LINUX = Hardware("linux", "x86_64", False, 24.0, 2, 0, None, "Intel(R) Xeon(R) Processor")

# Plausible seconds per 30 s encoder window: (provider, device) -> model -> seconds.
M3_TIMES = {
    ("whispercpp", "metal"): {"tiny.en": 0.01, "base.en": 0.02, "small.en": 0.06, "medium.en": 0.18,
                              "large-v3-turbo": 0.35},
    ("whispercpp", "cpu"): {"tiny.en": 0.12, "base.en": 0.3, "small.en": 1.2},
    ("faster-whisper", "cpu"): {"tiny.en": 0.1, "base.en": 0.2, "small.en": 0.8},
}  # fmt: skip
AIR_TIMES = {("whispercpp", "metal"): {"tiny.en": 0.03, "base.en": 0.08, "small.en": 0.3}}
SLOW_AIR_TIMES = {("whispercpp", "metal"): {"tiny.en": 0.5, "base.en": 3.0}}
INTEL_TIMES = {
    ("faster-whisper", "cpu"): {"tiny.en": 0.15, "base.en": 0.35, "small.en": 1.4},
    ("whispercpp", "cpu"): {"tiny.en": 0.45, "base.en": 1.1, "small.en": 4.5},
}
CUDA_TIMES = {
    ("faster-whisper", "cuda"): {"tiny.en": 0.005, "base.en": 0.01, "small.en": 0.04, "medium.en": 0.12,
                                 "large-v3-turbo": 0.25},
    ("whispercpp", "cuda"): {"tiny.en": 0.005, "base.en": 0.01, "small.en": 0.05, "medium.en": 0.15,
                             "large-v3-turbo": 0.3},
}  # fmt: skip
THIS_TIMES = {
    ("whispercpp", "cpu"): {"tiny.en": 1.0, "base.en": 2.3},
    ("faster-whisper", "cpu"): {"tiny.en": 0.55, "base.en": 0.9},
}


class FakeTimer:
    """Seconds per window from a table; None for what it does not know. Records every question."""

    def __init__(self, table: dict[tuple[str, str], dict[str, float]]) -> None:
        self.table = table
        self.asked: list[tuple[str, str, str]] = []

    def seconds_per_window(self, provider: str, model: str, device: str = "auto") -> float | None:
        self.asked.append((provider, model, device))
        return self.table.get((provider, device), {}).get(model)


def statuses(
    hw: Hardware, *, whispercpp: bool = True, fasterwhisper: bool = True, voxtral: bool = False
) -> list[ProviderStatus]:
    """Provider statuses as availability would report them on `hw`."""
    wc = (hw.whispercpp_gpu, "cpu") if hw.whispercpp_gpu else ("cpu",)
    fw = ("cuda", "cpu") if hw.cuda_devices else ("cpu",)
    vx = "metal" if hw.apple_silicon else "cuda" if hw.cuda_devices else "cpu"
    return [
        ProviderStatus("whispercpp", whispercpp, "test", wc, "base.en"),
        ProviderStatus("faster-whisper", fasterwhisper, "test", fw, "base.en"),
        ProviderStatus("voxtral", voxtral, "Voxtral is here.", (vx,), "Voxtral-Mini-4B-Realtime-2602"),
    ]


def choose(
    hw: Hardware,
    table: dict[tuple[str, str], dict[str, float]],
    settings: Settings | None = None,
    explicit: frozenset[str] = frozenset(),
    **available: bool,
) -> Recommendation:
    return recommend(hw, statuses(hw, **available), settings or Settings(), FakeTimer(table), set(explicit))


def test_m3_max_96gb_runs_the_largest_model_on_metal() -> None:
    rec = choose(M3_MAX, M3_TIMES)
    assert (rec.provider, rec.model, rec.device, rec.chunk_seconds) == (
        "whispercpp",
        "large-v3-turbo",
        "metal",
        1.0,
    )
    assert "Metal" in rec.reason and "96 GB" in rec.reason
    assert rec.predicted_rtf == pytest.approx(predict_rtf("whispercpp", 0.35, 1.0))
    assert rec.predicted_rtf is not None and rec.predicted_rtf <= 0.5


def test_8gb_apple_silicon_is_capped_at_base_with_2s_chunks() -> None:
    rec = choose(AIR_8GB, AIR_TIMES)
    assert (rec.provider, rec.model, rec.device, rec.chunk_seconds) == ("whispercpp", "base.en", "metal", 2.0)
    assert "8 GB RAM" in rec.reason
    slow = choose(AIR_8GB, SLOW_AIR_TIMES)  # an older, slower GPU: base.en would not keep up
    assert (slow.model, slow.chunk_seconds) == ("tiny.en", 2.0)
    assert "base.en would be" in slow.reason


def test_intel_mac_16gb_uses_int8_on_the_cpu() -> None:
    rec = choose(INTEL_MAC, INTEL_TIMES)
    assert (rec.provider, rec.model, rec.device, rec.compute) == ("faster-whisper", "base.en", "cpu", "int8")
    assert "Intel Mac" in rec.reason and "Metal" in rec.reason
    assert "small.en would be" in rec.reason


def test_linux_with_cuda_uses_the_gpu() -> None:
    rec = choose(LINUX_CUDA, CUDA_TIMES)  # the PyPI whisper.cpp wheel has no CUDA: CTranslate2 does
    assert (rec.provider, rec.model, rec.device, rec.compute) == (
        "faster-whisper",
        "large-v3-turbo",
        "cuda",
        "float16",
    )
    assert "CUDA" in rec.reason
    cuda_build = Hardware("linux", "x86_64", False, 64.0, 16, 1, "cuda", "AMD EPYC 7413")
    rec = choose(cuda_build, CUDA_TIMES)  # a whisper.cpp built with CUDA is preferred (adaptive window)
    assert (rec.provider, rec.model, rec.device) == ("whispercpp", "large-v3-turbo", "cuda")
    assert "whisper.cpp build with CUDA" in rec.reason


def test_this_2_core_linux_machine_runs_tiny_on_the_cpu() -> None:
    rec = choose(THIS_LINUX, THIS_TIMES)
    # CTranslate2's encoder is the faster one here, and both engines now encode only the window's length
    expected = ("faster-whisper", "base.en", "cpu", 1.0)
    assert (rec.provider, rec.model, rec.device, rec.chunk_seconds) == expected
    assert "no GPU" in rec.reason and "2 CPU cores" in rec.reason
    assert "small.en would be" in rec.reason and "(measured)" in rec.reason
    slow_ct2 = {**THIS_TIMES, ("faster-whisper", "cpu"): {"tiny.en": 1.0, "base.en": 2.3}}
    rec = choose(THIS_LINUX, slow_ct2)  # equal costs: whisper.cpp first, and base.en too slow for either
    assert (rec.provider, rec.model) == ("whispercpp", "tiny.en") and "base.en would be" in rec.reason


def test_voxtral_only_on_the_ultra_tier_when_opted_in_and_available() -> None:
    opted = Settings(auto_select_voxtral=True)
    rec = choose(M3_MAX, M3_TIMES, opted, voxtral=True)
    assert (rec.provider, rec.device, rec.model) == ("voxtral", "metal", "Voxtral-Mini-4B-Realtime-2602")
    assert "ECHOTUI_AUTO_SELECT_VOXTRAL=1" in rec.reason and "96 GB" in rec.reason
    assert rec.chunk_seconds == opted.voxtral_interval
    rec = choose(LINUX_CUDA, CUDA_TIMES, opted, voxtral=True)
    assert (rec.provider, rec.device) == ("voxtral", "cuda")
    # Not opted in: whisper.cpp, with a hint. Opted in but not available: whisper.cpp.
    rec = choose(M3_MAX, M3_TIMES, Settings(), voxtral=True)
    assert rec.provider == "whispercpp" and "ECHOTUI_AUTO_SELECT_VOXTRAL=1" in rec.reason
    assert choose(M3_MAX, M3_TIMES, opted, voxtral=False).provider == "whispercpp"
    # Opted in and available, but not the ultra tier (8 GB; no GPU).
    assert choose(AIR_8GB, AIR_TIMES, opted, voxtral=True).provider == "whispercpp"
    assert choose(THIS_LINUX, THIS_TIMES, opted, voxtral=True).provider == "faster-whisper"


def test_an_unavailable_provider_is_never_chosen() -> None:
    rec = choose(M3_MAX, M3_TIMES, whispercpp=False)
    assert (rec.provider, rec.device) == ("faster-whisper", "cpu")  # CTranslate2 has no Metal
    slow = {("faster-whisper", "cpu"): {"tiny.en": 2.0, "base.en": 4.6}}
    rec = choose(THIS_LINUX, slow, whispercpp=False)
    assert rec.provider == "faster-whisper"  # no model keeps up at 1 s chunks on so slow a CPU
    assert rec.chunk_seconds == 2.0 and "1 s chunks would be too slow" in rec.reason
    assert choose(LINUX_CUDA, CUDA_TIMES, fasterwhisper=False).provider == "whispercpp"
    with pytest.raises(EchoError, match="no speech engine can run here"):
        choose(THIS_LINUX, THIS_TIMES, whispercpp=False, fasterwhisper=False)
    with pytest.raises(EchoError, match="you chose voxtral, but it cannot run here"):
        choose(M3_MAX, M3_TIMES, Settings(provider="voxtral"), frozenset({"provider"}))


def test_explicit_settings_win_and_still_report_rtf() -> None:
    chosen = Settings(provider="faster-whisper", model="small.en")
    rec = choose(M3_MAX, M3_TIMES, chosen, frozenset({"provider", "model"}))
    assert (rec.provider, rec.model, rec.device, rec.compute) == ("faster-whisper", "small.en", "cpu", "int8")
    assert rec.reason.startswith("you chose provider faster-whisper, model small.en")
    assert rec.predicted_rtf == pytest.approx(predict_rtf("faster-whisper", 0.8, 1.0))
    assert "it keeps up" in rec.reason
    rec = choose(M3_MAX, M3_TIMES, replace(chosen, model="medium.en"), frozenset({"provider", "model"}))
    assert rec.model == "medium.en" and "will fall behind" in rec.reason
    rec = choose(THIS_LINUX, THIS_TIMES, Settings(model="tiny.en"), frozenset({"model"}))
    assert (rec.provider, rec.model) == ("faster-whisper", "tiny.en")
    assert "you chose model tiny.en" in rec.reason
    slow = {("whispercpp", "cpu"): THIS_TIMES[("whispercpp", "cpu")]}
    three = Settings(chunk_seconds=3.0)
    rec = choose(THIS_LINUX, slow, three, frozenset({"chunk_seconds"}), fasterwhisper=False)
    assert (rec.model, rec.chunk_seconds) == ("base.en", 3.0)  # longer chunks let base.en keep up
    rec = choose(M3_MAX, M3_TIMES, Settings(whisper_device="cpu"), frozenset({"whisper_device"}))
    assert rec.device == "cpu" and rec.reason.startswith("you chose whisper_device cpu; Apple Silicon")
    rec = choose(INTEL_MAC, INTEL_TIMES, Settings(whisper_compute="float32"), frozenset({"whisper_compute"}))
    assert (rec.provider, rec.compute) == ("faster-whisper", "float32")
    rec = choose(AIR_8GB, AIR_TIMES, Settings(chunk_seconds=0.5), frozenset({"chunk_seconds"}))
    assert rec.chunk_seconds == 0.5
    rec = choose(M3_MAX, M3_TIMES, Settings(provider="voxtral"), frozenset({"provider"}), voxtral=True)
    assert rec.provider == "voxtral" and rec.reason.startswith("you chose Voxtral")
    # "auto" given explicitly is still auto.
    assert choose(THIS_LINUX, THIS_TIMES, Settings(provider="auto"), frozenset({"provider"})) == choose(
        THIS_LINUX, THIS_TIMES
    )


def test_unmeasured_models_are_scaled_or_estimated_and_say_so() -> None:
    only_tiny = {("whispercpp", "metal"): {"tiny.en": 0.01}}
    rec = choose(M3_MAX, only_tiny)
    assert "scaled from measured tiny.en" in rec.reason
    rec = choose(THIS_LINUX, {})
    assert (rec.provider, rec.model) == ("whispercpp", "tiny.en") and "estimate" in rec.reason


def test_big_models_are_timed_only_when_smaller_ones_keep_up() -> None:
    timer = FakeTimer(THIS_TIMES)
    recommend(THIS_LINUX, statuses(THIS_LINUX), Settings(), timer, set())
    assert ("whispercpp", "small.en", "cpu") not in timer.asked


def test_predicted_rtf_model() -> None:
    assert window_seconds(6.0) == pytest.approx(8.56)
    assert predict_rtf("whispercpp", 1.0, 1.0) == pytest.approx(8.56 / 30 + DECODE_FRACTION)
    assert predict_rtf("whispercpp", 1.0, 2.0) == pytest.approx((8.56 / 30 + DECODE_FRACTION) / 2)
    assert predict_rtf("faster-whisper", 1.0, 2.0) == pytest.approx((8.56 / 30 + DECODE_FRACTION) / 2)
    full_window = Capabilities(("cpu",), word_timestamps=True)  # an engine that pads every call to 30 s
    assert speed.predict_rtf(full_window, 1.0, 2.0) == pytest.approx((1 + DECODE_FRACTION) / 2)


def test_apply_recommendation_keeps_explicit_values() -> None:
    rec = Recommendation("whispercpp", "large-v3-turbo", "metal", "default", 1.0, 0.2, "because")
    settings = apply_recommendation(Settings(chunk_seconds=3.0), rec, {"chunk_seconds"})
    assert (settings.provider, settings.model, settings.whisper_device, settings.chunk_seconds) == (
        "whispercpp",
        "large-v3-turbo",
        "metal",
        3.0,
    )


def test_cached_timer_measures_once(tmp_path: Path) -> None:
    calls: list[tuple[str, str, str]] = []

    def measure(provider: str, model: str, device: str) -> float | None:
        calls.append((provider, model, device))
        return None if model == "absent" else 0.75

    cache = tmp_path / "cache" / "encoder-timings.json"
    timer = CachedEncoderTimer(THIS_LINUX, threads=2, cache_path=cache, measure=measure)
    assert timer.seconds_per_window("whispercpp", "tiny.en", "cpu") == 0.75
    assert timer.seconds_per_window("whispercpp", "tiny.en", "cpu") == 0.75
    assert len(calls) == 1
    again = CachedEncoderTimer(THIS_LINUX, threads=2, cache_path=cache, measure=measure)
    assert again.seconds_per_window("whispercpp", "tiny.en", "cpu") == 0.75 and len(calls) == 1
    other_machine = CachedEncoderTimer(M3_MAX, threads=2, cache_path=cache, measure=measure)
    other_machine.seconds_per_window("whispercpp", "tiny.en", "cpu")
    assert len(calls) == 2  # keyed by the machine's fingerprint
    assert timer.seconds_per_window("whispercpp", "absent", "cpu") is None
    assert timer.seconds_per_window("whispercpp", "absent", "cpu") is None
    assert len(calls) == 4  # "not local" is not cached: the model may be downloaded later
    data = json.loads(cache.read_text())
    assert len(data) == 2 and all(THIS_LINUX.fingerprint() in k or M3_MAX.fingerprint() in k for k in data)
    cache.write_text("{not json")
    assert timer.seconds_per_window("whispercpp", "tiny.en", "cpu") == 0.75  # a broken cache is ignored


def test_a_measurement_on_a_busy_machine_is_not_cached(tmp_path: Path) -> None:
    def measure(provider: str, model: str, device: str) -> float:
        busy = subprocess.Popen(
            [sys.executable, "-c", "import time\nt = time.time() + 0.6\nwhile time.time() < t: pass"]
        )
        busy.wait()  # another process keeps a core busy while this one waits
        return 0.75

    cache = tmp_path / "timings.json"
    timer = CachedEncoderTimer(THIS_LINUX, cache_path=cache, measure=measure, busy_limit=0.01)
    assert timer.seconds_per_window("whispercpp", "tiny.en", "cpu") == 0.75  # used now ...
    assert not cache.exists()  # ... but not kept as this machine's speed


@pytest.mark.engine
@pytest.mark.parametrize("provider", ["whispercpp", "faster-whisper"])
def test_cached_timer_measures_real_models(
    provider: str, measured_here: Path, models_dir: Path, tmp_path: Path
) -> None:
    """`measured_here` timed the suite's built tiny.en once per run with this real timer (whisper.cpp's
    ggml file, CTranslate2's folder): a finite window time, kept under its key, and read back without
    measuring again. A model not on disk is not measured."""

    def measure_again(*_: str) -> float:
        raise AssertionError("measured again: the timing was not kept")

    cache = measured_here / "encoder-timings.json"
    timer = CachedEncoderTimer(
        detect_hardware(),
        models_dir=models_dir,
        threads=Settings().threads,
        cache_path=cache,
        measure=measure_again,
    )
    seconds = timer.seconds_per_window(provider, "tiny.en", "cpu")
    assert seconds is not None and math.isfinite(seconds) and 0 < seconds < 60
    assert json.loads(cache.read_text())[timer.key(provider, "tiny.en", "cpu")] == seconds
    real = CachedEncoderTimer(
        detect_hardware(), models_dir=models_dir, cache_path=tmp_path / "t.json", busy_limit=math.inf
    )
    assert real.seconds_per_window(provider, "small.en", "cpu") is None  # not on disk: not measured
    assert not (tmp_path / "t.json").exists()
