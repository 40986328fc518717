"""`echotui providers` tells a user what runs on this machine and what echotui would pick, and why."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from echotui import SAMPLE_RATE
from tests.cli import echotui
from tests.support.speech import write_wav

FAKE_VOXTRAL = Path(__file__).parent / "fake_voxtral.py"


def test_providers_json_on_this_machine(models_dir: Path, tmp_path: Path) -> None:
    """A machine never measured: the recommendation's figure comes from an encoder pass timed by this run."""
    run = echotui("providers", "--json", "--models-dir", models_dir, env={"ECHOTUI_CACHE_DIR": str(tmp_path)})
    assert run.code == 0, run.stderr
    report = json.loads(run.stdout)
    by_name = {p["name"]: p for p in report["providers"]}
    assert set(by_name) == {"whispercpp", "faster-whisper", "voxtral", "remote", "wyoming"}
    assert not by_name["remote"]["available"] and "--server URL" in by_name["remote"]["reason"]
    assert by_name["whispercpp"]["available"] and by_name["faster-whisper"]["available"]
    assert not by_name["voxtral"]["available"] and "ECHOTUI_VOXTRAL_BIN" in by_name["voxtral"]["reason"]
    assert by_name["faster-whisper"]["backends"] == ["cpu"], "no CUDA here"
    assert by_name["whispercpp"]["reason"].endswith("CPU, on q8_0 copies of float16 models.")
    chosen = report["recommended"]
    assert chosen["provider"] in ("whispercpp", "faster-whisper")
    rtf = chosen["predicted_rtf"]
    assert rtf is not None and rtf > 0, "an encoder pass was measured on this machine"
    # the figure the user reads is the one measured (it depends on the load: no bound on its value here)
    assert f"predicts RTF {rtf:.2f}" in chosen["reason"]


def test_voxtral_becomes_available_when_configured(tmp_path: Path, measured_here: Path) -> None:
    model = tmp_path / "voxtral"
    model.mkdir()
    for name in ("consolidated.safetensors", "tekken.json", "params.json"):
        (model / name).write_text("{}")
    env = {
        "ECHOTUI_VOXTRAL_BIN": str(FAKE_VOXTRAL),
        "ECHOPANEL_VOXTRAL_MODEL": str(model),
        "ECHOTUI_CACHE_DIR": str(measured_here),  # timed once per run: not what this story is about
    }
    run = echotui("providers", env=env)
    assert run.code == 0, run.stderr
    line = next(line for line in run.stdout.splitlines() if line.startswith("voxtral"))
    assert " yes " in line
    assert "recommended:" in run.stdout and "because" in run.stdout


def test_auto_picks_the_engine_that_fits_the_model_folder(ct2_models_dir: Path, tmp_path: Path) -> None:
    """On two seconds of silence: which engine runs is the point, not what it decodes."""
    quiet = tmp_path / "quiet.wav"
    write_wav(quiet, np.zeros(2 * SAMPLE_RATE, dtype=np.float32))
    stats = tmp_path / "stats.json"
    run = echotui(
        "transcribe", quiet, "--model-path", ct2_models_dir / "tiny.en", "--speed", "0",
        "--stats-json", stats, "--threads", "2",
    )  # fmt: skip
    assert run.code == 0, run.stderr
    assert json.loads(stats.read_text())["provider"] == "faster-whisper"
