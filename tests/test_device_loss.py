"""A capture device that stops delivering audio: the loss is noticed (the stream ends, or nothing arrives),
shown, the open utterance is finalised at the loss, the device is reopened when it comes back, and the
time in between is a marked gap counted as dropped. `--duration` still ends on time."""

from __future__ import annotations

import asyncio

import pytest

from echotui import SAMPLE_RATE
from echotui.audio.device_source import DeviceSource
from echotui.audio.devices import InputDevice
from echotui.config import Settings
from echotui.pipeline.events import AudioDropped, DeviceLost, DeviceRestored, FinalTranscribed
from echotui.pipeline.runner import Pipeline
from echotui.pipeline.state import State
from tests.doubles import ScriptedDevice, SlowProvider
from tests.support.pipeline import Recorder, until

CONFIG = Settings(chunk_seconds=0.5, max_utterance_seconds=6.0, queue_seconds=10, vad=False)
DEVICE = InputDevice(0, "double", "test", 1, 16000.0, True)


States = list[tuple[State, str | None]]


def capture(script: list[float | str | None], duration_s: float) -> tuple[Pipeline, Recorder, States]:
    source = DeviceSource(DEVICE, duration_s=duration_s, watchdog_s=0.6, retry_s=0.3)
    device = ScriptedDevice(script)
    device.install(source)
    recorder = Recorder()
    pipeline = Pipeline(SlowProvider(rtf=0.05), CONFIG, recorder)
    recorder.pipeline = pipeline
    states: States = []

    async def main() -> None:
        watcher = asyncio.create_task(recorder.watch())
        run = asyncio.create_task(pipeline.run(source))
        while not run.done():
            snapshot = pipeline.snapshot()
            states.append((snapshot.state, snapshot.reason))
            await asyncio.sleep(0.05)
        await asyncio.wait_for(run, 1)
        watcher.cancel()
        await pipeline.close()

    asyncio.run(asyncio.wait_for(main(), duration_s + 10))
    return pipeline, recorder, states


@pytest.mark.parametrize(
    ("script", "reason"),
    [([1.5, "gone", "gone", None], "the stream ended"), (["stall:1.5", "gone", None], "no audio for")],
    ids=["stream-ends", "stream-stalls"],
)
def test_a_lost_device_is_shown_finalised_reopened_and_the_gap_counted(
    script: list[float | str | None], reason: str
) -> None:
    pipeline, recorder, states = capture(script, duration_s=5.0)

    (lost,) = recorder.of(DeviceLost)
    assert lost.message.startswith(reason) and 1.3 < lost.at_s < 1.7
    lost_states = [why or "" for state, why in states if state is State.DEVICE_LOST]
    assert any(why.startswith(reason) for why in lost_states), set(states)
    # the utterance open at the loss ended there, and its final came before the loss was announced
    index = recorder.events.index(lost)
    before = [e for e in recorder.events[:index] if isinstance(e, FinalTranscribed)]
    assert before and abs(before[-1].end_s - lost.at_s) < 0.06
    (restored,) = recorder.of(DeviceRestored)
    (dropped,) = recorder.of(AudioDropped)
    assert restored.gap_s == dropped.seconds and restored.gap_s > 0.4
    assert abs(dropped.start_s - lost.at_s) < 0.06, "the gap lies where the device was lost"
    ledger = pipeline.ledger()
    assert ledger.balanced and ledger.dropped == round(dropped.seconds * SAMPLE_RATE)
    assert ledger.captured == 5 * SAMPLE_RATE, "--duration counts the gap: it ends on time"
    assert states[-1][0] is not State.LISTENING and pipeline.snapshot().state is State.FINISHED
    assert all(
        not f.captions or f.start_s >= restored.gap_s + lost.at_s - 0.06
        for f in recorder.of(FinalTranscribed)[len(before) :]
    ), "nothing after the gap is glued to what came before it"


def test_a_device_that_never_comes_back_still_ends_at_the_duration() -> None:
    pipeline, recorder, _ = capture([1.0, "gone"], duration_s=3.0)
    assert len(recorder.of(DeviceLost)) == 1 and not recorder.of(DeviceRestored)
    ledger = pipeline.ledger()
    assert ledger.captured == 3 * SAMPLE_RATE and ledger.balanced
    assert ledger.dropped >= 1.5 * SAMPLE_RATE


def test_pulseaudio_source_unloaded_and_loaded_again(pulse_null_sink: str) -> None:
    """The real thing: the null sink (whose monitor is the default input) is unloaded mid-capture, then
    loaded again."""
    import subprocess
    import time

    from echotui.audio.devices import choose_device

    def null_sink_module() -> str:
        modules = subprocess.run(["pactl", "list", "short", "modules"], capture_output=True, text=True)
        return next(line.split()[0] for line in modules.stdout.splitlines() if pulse_null_sink in line)

    # 11 s of timeline: the device is back by about 7 s (2 s heard, lost within 3 s, 1 s away, a 0.5 s retry)
    source = DeviceSource(choose_device(None), duration_s=11.0, watchdog_s=2.0, retry_s=0.5)
    recorder = Recorder()
    pipeline = Pipeline(SlowProvider(rtf=0.05), CONFIG, recorder)
    recorder.pipeline = pipeline
    seen: dict[str, float] = {}

    async def main() -> None:
        run = asyncio.create_task(pipeline.run(source))
        loop = asyncio.get_running_loop()
        while pipeline.ledger().captured < 2 * SAMPLE_RATE:  # audio flows (a server may take seconds)
            await asyncio.sleep(0.05)
        await asyncio.to_thread(subprocess.run, ["pactl", "unload-module", null_sink_module()], check=True)
        unloaded = loop.time()
        while not pipeline.snapshot().state.startswith("device lost"):
            assert loop.time() - unloaded < 3, "the loss is shown within a watchdog period"
            await asyncio.sleep(0.05)
        seen["shown"] = loop.time() - unloaded
        await asyncio.sleep(1.0)
        load = ["pactl", "load-module", "module-null-sink", f"sink_name={pulse_null_sink}"]
        await asyncio.to_thread(subprocess.run, load, check=True, capture_output=True)
        await asyncio.to_thread(subprocess.run, ["pactl", "set-default-source", f"{pulse_null_sink}.monitor"])
        await asyncio.wait_for(run, 30)
        await pipeline.close()

    began = time.monotonic()
    asyncio.run(main())
    assert seen["shown"] < 3
    assert len(recorder.of(DeviceLost)) == 1 and len(recorder.of(DeviceRestored)) == 1
    assert pipeline.snapshot().state == "finished" and time.monotonic() - began < 40
    ledger = pipeline.ledger()
    assert ledger.captured == 11 * SAMPLE_RATE and ledger.balanced and ledger.dropped > SAMPLE_RATE


def test_switching_devices_ends_the_utterance_at_the_switch() -> None:
    """Speech on the old device and on the new one never join into one caption."""
    import numpy as np

    from echotui.audio.clock import WallClock
    from echotui.audio.switching import SwitchableSource
    from tests.doubles import LiveReplaySource

    noise = (np.random.default_rng(3).standard_normal(3 * SAMPLE_RATE) * 0.1).astype(np.float32)
    # on the wall clock: the user switches devices while the old one delivers
    source = SwitchableSource(LiveReplaySource(noise, clock=WallClock(speed=1.0)))
    recorder = Recorder()
    pipeline = Pipeline(SlowProvider(rtf=0.05), CONFIG, recorder)
    recorder.pipeline = pipeline
    switched_at: list[int] = []
    mark = pipeline.queue.mark_boundary

    def spy() -> None:
        switched_at.append(pipeline.queue.captured)
        mark()

    pipeline.queue.mark_boundary = spy  # type: ignore[method-assign]

    async def main() -> None:
        run = asyncio.create_task(pipeline.run(source))
        await until(lambda: pipeline.queue.captured >= SAMPLE_RATE)  # a second of the old device
        source.switch(LiveReplaySource(noise[: 2 * SAMPLE_RATE], clock=WallClock(speed=1.0)))
        await asyncio.wait_for(run, 10)
        await pipeline.close()

    asyncio.run(main())
    finals = recorder.of(FinalTranscribed)
    boundary = switched_at[0] / SAMPLE_RATE
    assert 0.8 < boundary < 1.3
    assert any(abs(f.end_s - boundary) < 1e-9 for f in finals), [(f.start_s, f.end_s) for f in finals]
    assert all(not (f.start_s < boundary < f.end_s) for f in finals), "no caption spans the switch"
    assert not recorder.of(DeviceLost), "a switch the user asked for is not a loss"
    assert pipeline.ledger().balanced
