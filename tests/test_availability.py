"""Provider availability and the `echotui providers` output, with injected hardware facts."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from echotui.cli.providers import format_providers, providers_json
from echotui.config import Settings
from echotui.providers import probing
from echotui.providers.voxtral_abilities import MODEL_FILES
from echotui.providers.whispercpp_abilities import whispercpp_gpu_backend
from echotui.selection import status as availability
from echotui.selection.hardware import Hardware, detect_hardware, seed_tier
from echotui.selection.select import Recommendation
from echotui.selection.status import provider_statuses

APPLE = Hardware("darwin", "arm64", True, 96.0, 16, 0, "metal", "Apple M3 Max")
INTEL_MAC = Hardware("darwin", "x86_64", False, 16.0, 8, 0, None, "Intel(R) Core(TM) i9-9880H")
LINUX_CUDA = Hardware("linux", "x86_64", False, 64.0, 16, 1, None, "AMD EPYC 7413")
LINUX_CPU = Hardware("linux", "x86_64", False, 24.0, 2, 0, None, "Intel(R) Xeon(R) Processor")


def by_name(hw: Hardware, settings: Settings) -> dict[str, availability.ProviderStatus]:
    return {s.name: s for s in provider_statuses(hw, settings)}


@pytest.fixture
def voxtral(tmp_path: Path) -> Settings:
    """A fake voxtral.c executable and a model folder holding the three files it needs."""
    binary = tmp_path / "voxtral"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    model = tmp_path / "voxtral-model"
    model.mkdir()
    for name in MODEL_FILES:
        (model / name).write_bytes(b"x")
    return Settings(voxtral_bin=str(binary), voxtral_model=model)


def test_installed_engines_are_available_here() -> None:
    found = by_name(LINUX_CPU, Settings(voxtral_bin="/nonexistent/voxtral"))
    assert [s for s in found] == ["whispercpp", "faster-whisper", "voxtral", "remote", "wyoming"]
    assert found["whispercpp"].available and found["whispercpp"].backends == ("cpu",)
    assert "no GPU backend" in found["whispercpp"].reason
    assert found["faster-whisper"].available and found["faster-whisper"].backends == ("cpu",)
    assert not found["voxtral"].available and "not an executable voxtral binary" in found["voxtral"].reason
    assert not found["remote"].available and "--server URL" in found["remote"].reason
    for status in found.values():  # one short sentence each
        assert status.reason.endswith(".") and "\n" not in status.reason and len(status.reason) < 110
        assert status.default_model


def test_backends_follow_the_hardware() -> None:
    apple = by_name(APPLE, Settings())
    assert apple["whispercpp"].backends == ("metal", "cpu") and "Metal" in apple["whispercpp"].reason
    assert apple["faster-whisper"].backends == ("cpu",)
    assert "no Metal backend" in apple["faster-whisper"].reason
    assert by_name(INTEL_MAC, Settings())["whispercpp"].backends == ("cpu",)
    cuda = by_name(LINUX_CUDA, Settings())
    assert (
        cuda["faster-whisper"].backends == ("cuda", "cpu")
        and "1 CUDA device" in cuda["faster-whisper"].reason
    )
    assert cuda["whispercpp"].backends == ("cpu",)


def test_a_device_the_provider_cannot_use_makes_it_unavailable() -> None:
    metal = by_name(APPLE, Settings(whisper_device="metal"))
    assert metal["whispercpp"].available
    assert not metal["faster-whisper"].available and "No GPU" in metal["faster-whisper"].reason
    cuda = by_name(LINUX_CPU, Settings(whisper_device="cuda"))
    assert not cuda["whispercpp"].available and not cuda["faster-whisper"].available
    assert all(cuda[name].reason.startswith("No GPU") for name in ("whispercpp", "faster-whisper"))


def test_missing_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    real = probing.find_spec

    def find_spec(name: str, package: str | None = None) -> Any:
        return None if name in ("pywhispercpp", "ctranslate2") else real(name, package)

    monkeypatch.setattr(probing, "find_spec", find_spec)  # where the provider classes look packages up
    found = by_name(LINUX_CPU, Settings())
    assert not found["whispercpp"].available and "pip install pywhispercpp" in found["whispercpp"].reason
    assert (
        not found["faster-whisper"].available
        and "pip install faster-whisper" in found["faster-whisper"].reason
    )


def test_voxtral_needs_binary_and_model(voxtral: Settings, tmp_path: Path) -> None:
    status = by_name(APPLE, voxtral)["voxtral"]
    assert status.available and status.backends == ("metal",) and status.default_model == "voxtral-model"
    assert by_name(LINUX_CUDA, voxtral)["voxtral"].backends == ("cuda",)
    cpu = by_name(LINUX_CPU, voxtral)["voxtral"]
    assert cpu.available and cpu.backends == ("cpu",) and "BLAS" in cpu.reason

    assert voxtral.voxtral_model is not None and voxtral.voxtral_bin is not None
    (voxtral.voxtral_model / "tekken.json").unlink()
    status = by_name(APPLE, voxtral)["voxtral"]
    assert not status.available and "lacks tekken.json" in status.reason
    no_model = Settings(voxtral_bin=voxtral.voxtral_bin)
    assert by_name(APPLE, no_model)["voxtral"].reason.startswith(
        "No Voxtral model folder: set ECHOTUI_VOXTRAL_MODEL"
    )

    Path(voxtral.voxtral_bin).chmod(0o644)
    status = by_name(APPLE, voxtral)["voxtral"]
    assert not status.available and "not an executable" in status.reason


def test_voxtral_binary_on_path(voxtral: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert voxtral.voxtral_bin is not None
    on_path = Settings(voxtral_model=voxtral.voxtral_model)  # no ECHOTUI_VOXTRAL_BIN: `voxtral` on PATH
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    status = by_name(APPLE, on_path)["voxtral"]
    assert not status.available and status.reason.startswith("Voxtral binary not found")
    monkeypatch.setenv("PATH", str(Path(voxtral.voxtral_bin).parent))
    assert by_name(APPLE, on_path)["voxtral"].available


def test_remote_is_available_once_a_server_is_given() -> None:
    status = by_name(LINUX_CPU, Settings(server="http://gpu-box:8000"))["remote"]
    assert status.available and status.reason == "Runs on the server at http://gpu-box:8000."


def test_wyoming_is_available_once_a_wyoming_server_is_given() -> None:
    assert not by_name(LINUX_CPU, Settings(server="http://gpu-box:8000"))["wyoming"].available
    status = by_name(LINUX_CPU, Settings(server="tcp://homeassistant.local:10300"))["wyoming"]
    assert (
        status.available and status.reason == "Runs on the Wyoming server at tcp://homeassistant.local:10300."
    )


def test_format_and_json() -> None:
    statuses = provider_statuses(LINUX_CPU, Settings(voxtral_bin="/nonexistent/voxtral"))
    rec = Recommendation(
        "whispercpp", "tiny.en", "cpu", "default", 1.0, 0.39, "no GPU: whisper.cpp on 2 cores"
    )
    text = format_providers(statuses, rec, LINUX_CPU)
    lines = text.splitlines()
    assert lines[0].split()[:2] == ["provider", "available"] and len(lines) == 8
    assert lines[-2] == "seed tier: CPU (2 cores, 24 GB, no GPU): whisper.cpp on the CPU first"
    assert lines[-1].startswith("recommended: whispercpp tiny.en on cpu") and "because no GPU" in lines[-1]
    assert "recommended: nothing" in format_providers(statuses, None, LINUX_CPU)
    data = providers_json(statuses, rec, LINUX_CPU)
    assert json.loads(json.dumps(data)) == data
    assert data["recommended"]["reason"] == rec.reason and data["hardware"]["cores"] == 2
    names = ["whispercpp", "faster-whisper", "voxtral", "remote", "wyoming"]
    assert [p["name"] for p in data["providers"]] == names
    assert data["seed_tier"].startswith("CPU (2 cores")


def test_seed_tiers() -> None:
    """The tier `echotui providers` names, for machines of each kind (as auto-selection ranks them)."""
    assert seed_tier(APPLE).startswith("ultra (96 GB, Metal)")
    assert seed_tier(LINUX_CUDA).startswith("ultra (64 GB, CUDA)")
    assert seed_tier(replace(LINUX_CUDA, ram_gb=16.0)).startswith("high (CUDA GPU, 16 GB)")
    assert seed_tier(replace(LINUX_CPU, ram_gb=8.0)).startswith("low RAM (8 GB < 12 GB)")
    assert seed_tier(INTEL_MAC).startswith("Intel Mac (8 cores")
    assert seed_tier(LINUX_CPU).startswith("CPU (2 cores")


def test_whispercpp_gpu_backend() -> None:
    linux_info = "WHISPER : COREML = 0 | OPENVINO = 0 | CPU : SSE3 = 1 | AVX2 = 1 | OPENMP = 1 |"
    assert whispercpp_gpu_backend(False, 0, linux_info) is None
    assert whispercpp_gpu_backend(False, 1, linux_info) is None  # a GPU, but the build cannot use it
    assert whispercpp_gpu_backend(False, 1, linux_info + " CUDA : ARCHS = 890 |") == "cuda"
    assert whispercpp_gpu_backend(False, 0, linux_info + " CUDA : ARCHS = 890 |") is None
    assert whispercpp_gpu_backend(True, 0, "") == "metal"  # the macOS arm64 wheel ships Metal
    assert whispercpp_gpu_backend(True, 0, None) is None  # pywhispercpp not installed


def test_detect_hardware_here() -> None:
    hw = detect_hardware()
    assert hw.os == sys.platform.replace("win32", "windows") or hw.os in ("linux", "darwin", "windows")
    assert hw.cores >= 1 and hw.ram_gb > 0
    assert hw.fingerprint() == detect_hardware().fingerprint()
    if hw.os == "linux":  # an independent probe: the NVIDIA driver makes one /dev/nvidiaN node per GPU
        gpus = len([node for node in Path("/dev").glob("nvidia*") if node.name[6:].isdigit()])
        meminfo = Path("/proc/meminfo").read_text().split()
        total_gb = int(meminfo[meminfo.index("MemTotal:") + 1]) / 2**20
        assert 0 <= hw.cuda_devices <= gpus, f"CTranslate2 sees {hw.cuda_devices} CUDA devices, /dev {gpus}"
        assert abs(hw.ram_gb - total_gb) <= 0.1, (hw.ram_gb, total_gb)
    if hw.os == "linux" and not hw.cuda_devices:
        assert hw.whispercpp_gpu is None and not hw.apple_silicon


def test_new_modules_do_not_import_textual() -> None:
    code = (
        "import sys\n"
        "import echotui.selection.hardware, echotui.selection.status, echotui.selection.select\n"
        "from echotui.selection.hardware import detect_hardware\n"
        "detect_hardware()\n"
        "print(','.join(m for m in sys.modules if m == 'textual' or m.startswith('textual.')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
