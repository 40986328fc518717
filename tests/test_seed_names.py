"""A user coming from the seed server keeps their settings: `faster_whisper`, `whisper_cpp` and
`voxtral_realtime` work wherever a provider is named (flags, ECHOTUI_*, ECHOPANEL_*), and `echotui providers`
says which seed tier this machine falls in."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from echotui import SAMPLE_RATE
from tests.cli import echotui
from tests.support.speech import write_wav

OFFLINE = {"HF_HUB_OFFLINE": "1"}


@pytest.fixture
def measured(measured_here: Path) -> dict[str, str]:
    """Offline, on this machine's timings measured once per run (`providers` would time each model again)."""
    return {**OFFLINE, "ECHOTUI_CACHE_DIR": str(measured_here)}


def test_echopanel_whisper_cpp_runs_whisper_cpp(models_dir: Path, tmp_path: Path) -> None:
    """On two seconds of silence: which engine runs is the point, not what it decodes."""
    quiet = tmp_path / "quiet.wav"
    write_wav(quiet, np.zeros(2 * SAMPLE_RATE, dtype=np.float32))
    stats = tmp_path / "stats.json"
    run = echotui(
        "transcribe", quiet, "--model", "tiny.en", "--models-dir", models_dir, "--speed", "0",
        "--threads", "2", "--stats-json", stats,
        env={**OFFLINE, "ECHOPANEL_ASR_PROVIDER": "whisper_cpp"},
    )  # fmt: skip
    assert run.code == 0, run.stderr
    assert json.loads(stats.read_text())["provider"] == "whispercpp"


def test_faster_whisper_flag_and_voxtral_realtime_env(models_dir: Path, measured: dict[str, str]) -> None:
    run = echotui(
        "providers", "--json", "--provider", "faster_whisper", "--models-dir", models_dir, env=measured
    )
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["recommended"]["provider"] == "faster-whisper"

    env = {**measured, "ECHOTUI_ASR_PROVIDER": "voxtral_realtime", "PATH": "/nonexistent"}
    run = echotui("providers", env=env)
    assert run.code != 0 and "unknown provider" not in run.stderr
    assert run.stderr_lines[-1].startswith("echotui: error: you chose voxtral, but it cannot run here")


def test_models_takes_the_seed_name(models_dir: Path, tmp_path: Path) -> None:
    env = {**OFFLINE, "HF_HUB_CACHE": str(tmp_path / "hf")}
    run = echotui("models", "--provider", "whisper_cpp", "--models-dir", models_dir, env=env)
    assert run.code == 0, run.stderr
    rows = run.stdout.splitlines()[1:]
    assert rows and {row.split()[0] for row in rows} == {"whispercpp"}


def test_an_unknown_name_lists_the_choices() -> None:
    run = echotui("providers", "--provider", "whisper")
    assert run.code == 1
    assert run.stderr_lines == [
        "echotui: error: unknown provider 'whisper': "
        "choose one of auto, whispercpp, faster-whisper, voxtral, remote, wyoming"
    ]


def test_providers_names_the_seed_tier(models_dir: Path, measured: dict[str, str]) -> None:
    run = echotui("providers", "--models-dir", models_dir, env=measured)
    assert run.code == 0, run.stderr
    tier = next(line for line in run.stdout.splitlines() if line.startswith("seed tier: "))
    # This machine has no GPU the engines can use (the JSON says which facts decide it).
    report = json.loads(echotui("providers", "--json", "--models-dir", models_dir, env=measured).stdout)
    assert report["seed_tier"] == tier.removeprefix("seed tier: ")
    if report["hardware"]["cuda_devices"] == 0 and not report["hardware"]["apple_silicon"]:
        assert tier.split()[2] in ("CPU", "low", "Intel")


def test_help_calls_the_seed_spellings_echopanels_names() -> None:
    run = echotui("--help")
    assert run.code == 0, run.stderr
    usage = " ".join(run.stdout.split())  # argparse wraps to the terminal's width
    assert "or EchoPanel's names whisper_cpp, faster_whisper, voxtral_realtime" in usage
    assert "seed" not in usage, "a newcomer does not know what 'the seed' is"
