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
    assert stats["audio_s"] == 9.0
    assert samples["captured"] == sum(
        samples[k] for k in ("transcribed", "vad_skipped", "dropped", "pending")
    )
    assert samples["pending"] == 0
    assert stats["transcribed_s"] >= 3.0, "the played sentence reached the engine"
    assert stats["vad_skipped_s"] > 0, "the silence around it did not"
    records = [json.loads(line) for line in out.read_text().splitlines()]
    finals = [r for r in records if "text" in r and r["final"]]  # (not the overload governor's lines)
    assert finals and all(f["text"] for f in finals)


def test_device_opened_at_48khz_is_resampled_to_16khz(pulse_null_sink: str, tmp_path: Path) -> None:
    """Capture at the device's own rate, resample with libsoxr: a 1 kHz tone must still be 1 kHz."""
    import asyncio

    import numpy as np

    from echotui.audio.device_source import DeviceSource
    from echotui.audio.devices import choose_device
    from echotui.config import Settings
    from echotui.pipeline.runner import Pipeline
    from tests.doubles import RecordingProvider
    from tests.support.speech import write_wav

    t = np.arange(4 * 48000) / 48000
    tone = tmp_path / "tone.wav"
    write_wav(tone, (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32), sample_rate=48000)
    recorder = RecordingProvider()
    config = Settings(vad=False, max_utterance_seconds=4.0, queue_seconds=10)
    pipeline = Pipeline(recorder, config)
    source = DeviceSource(choose_device("pulse"), duration_s=4.0, samplerate=48000)

    async def main() -> None:
        player = await asyncio.create_subprocess_exec("paplay", f"--device={pulse_null_sink}", str(tone))
        await pipeline.run(source)
        await player.wait()
        await pipeline.close()

    asyncio.run(main())
    assert source.samplerate == 48000
    ledger = pipeline.ledger()
    assert ledger.captured == 4 * 16000, "--duration counts seconds of audio, exactly"
    assert ledger.balanced and ledger.pending == 0
    heard = recorder.audio()
    loud = heard[np.abs(heard) > 0.1]
    assert len(loud) > 16000, "the tone was captured"
    start = int(np.argmax(np.abs(heard) > 0.1))
    window = heard[start + 1600 : start + 1600 + 8000]
    spectrum = np.abs(np.fft.rfft(window * np.hanning(len(window))))
    peak_hz = np.argmax(spectrum) * 16000 / len(window)
    assert abs(peak_hz - 1000) < 10, peak_hz


def test_device_key_switches_capture_without_stopping(pulse_null_sink: str, tmp_path: Path) -> None:
    """In the app, `d` lists the input devices; choosing one switches capture while the timeline and the
    ledger go on."""
    import asyncio

    from echotui.app import EchoApp
    from echotui.audio.device_source import DeviceSource
    from echotui.audio.devices import choose_device
    from echotui.config import Settings
    from echotui.session import Session
    from echotui.widgets.pickers import PickerScreen
    from tests.doubles import RecordingProvider

    session = Session(Settings(vad=False), DeviceSource(choose_device("pulse")), provider=RecordingProvider())
    app = EchoApp(session)

    async def story() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            while session.pipeline.ledger().captured < 16000:
                await pilot.pause(0.1)
            first = session.source.current
            await pilot.press("d")
            while not isinstance(app.screen, PickerScreen):
                await pilot.pause(0.05)
            labels = [str(option.prompt) for option in app.screen.query_one("#picker-options").options]
            assert any("pulse" in label for label in labels) and any("default" in label for label in labels)
            await pilot.press("down", "enter")  # the second device: "default"
            while session.source.current is first:
                await pilot.pause(0.05)
            before = session.pipeline.ledger().captured
            while session.pipeline.ledger().captured < before + 16000:
                await pilot.pause(0.1)  # the new device delivers audio
            assert session.pipeline.ledger().balanced
            await pilot.press("q")

    asyncio.run(story())
    assert "default" in session.source.description
