"""A real capture device: PulseAudio's null sink, speech played into it, captured through PortAudio
(sounddevice) in real time and transcribed by whisper.cpp."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli import echotui

pytestmark = pytest.mark.capture


def test_devices_lists_the_pulse_input(pulse_null_sink: str) -> None:
    run = echotui("devices")
    assert run.code == 0, run.stderr
    assert "pulse" in run.stdout
    assert any(line.startswith("*") for line in run.stdout.splitlines()), "the default is marked"


def test_speech_played_into_the_microphone_is_transcribed(
    pulse_null_sink: str, tiny_model: Path, sentence_wav: Path, tmp_path: Path
) -> None:
    out, stats_path = tmp_path / "live.jsonl", tmp_path / "stats.json"
    capture = subprocess.Popen(
        [
            sys.executable, "-m", "echotui", "transcribe", "--device", "pulse", "--duration", "9",
            "--model-path", str(tiny_model), "--format", "jsonl", "--output", str(out),
            "--stats-json", str(stats_path), "--threads", "2",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    time.sleep(3.5)  # model load and stream start
    subprocess.run(["paplay", f"--device={pulse_null_sink}", str(sentence_wav)], check=True, timeout=30)
    _, stderr = capture.communicate(timeout=120)
    assert capture.returncode == 0, stderr
    stats = json.loads(stats_path.read_text())
    samples = stats["samples"]
    # about 9 s of real time was captured (the device starts a moment after the clock)
    assert 7.0 <= stats["audio_s"] <= 9.5
    assert samples["captured"] == sum(
        samples[k] for k in ("transcribed", "vad_skipped", "dropped", "pending")
    )
    assert samples["pending"] == 0
    assert stats["transcribed_s"] >= 3.0, "the played sentence reached the engine"
    assert stats["vad_skipped_s"] > 0, "the silence around it did not"
    finals = [json.loads(line) for line in out.read_text().splitlines() if json.loads(line)["final"]]
    assert finals and all(f["text"] for f in finals)
