"""Live capture from an input device.

The PortAudio callback only copies the block and hands it to the event loop. On the loop the block is
mixed to mono, resampled to 16 kHz if the device could not open at 16 kHz (libsoxr, streaming), and
offered to the queue, which drops the oldest audio when full: a live source never waits.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import numpy as np

from echotui import SAMPLE_RATE
from echotui.audio.devices import InputDevice, import_sounddevice
from echotui.errors import EchoError
from echotui.pipeline.queue import AudioQueue

log = logging.getLogger(__name__)


class DeviceSource:
    """Captures from `device` until stopped, or until `duration_s` seconds of audio were captured."""

    live = True

    def __init__(
        self,
        device: InputDevice,
        duration_s: float | None = None,
        block_s: float = 0.05,
        samplerate: float | None = None,
    ) -> None:
        self.device = device
        self.rates = (samplerate,) if samplerate else (SAMPLE_RATE, device.default_samplerate)
        """Rates to try opening the device at; audio is resampled to 16 kHz if it is not 16 kHz."""
        self.duration_s = duration_s
        self.block_s = block_s
        self.description = f"device {device.name}"
        self.overflows = 0
        """Times PortAudio reported that the device buffer overflowed before we could read it."""
        self.samplerate: float = SAMPLE_RATE
        self._resampler: Any = None

    def _open_stream(self, callback: Any) -> Any:
        sd = import_sounddevice()
        last_error: Exception | None = None
        for rate in self.rates:
            try:
                stream = sd.InputStream(
                    device=self.device.index,
                    channels=1,
                    samplerate=rate,
                    dtype="float32",
                    blocksize=round(rate * self.block_s),
                    callback=callback,
                )
            except sd.PortAudioError as error:
                last_error = error
                continue
            self.samplerate = rate
            return stream
        raise EchoError(
            f"cannot open input device {self.device.name!r} ({last_error}): choose another with --device"
        )

    async def run(self, queue: AudioQueue, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        limit = None if self.duration_s is None else round(self.duration_s * SAMPLE_RATE)
        done = asyncio.Event()
        captured = 0

        def deliver(block: np.ndarray, overflowed: bool) -> None:  # on the loop thread
            nonlocal captured
            if done.is_set():
                return
            if overflowed:
                self.overflows += 1
            mono = block.mean(axis=1) if block.ndim == 2 else block
            if self._resampler is not None:
                mono = self._resampler.resample_chunk(mono)
            if limit is not None and captured + len(mono) >= limit:
                mono = mono[: limit - captured]
                done.set()
            captured += len(mono)
            queue.offer(mono.astype(np.float32, copy=False))

        def callback(indata: np.ndarray, frames: int, time: Any, status: Any) -> None:  # PortAudio thread
            loop.call_soon_threadsafe(deliver, indata.copy(), bool(status.input_overflow))

        stream = await asyncio.to_thread(self._open_stream, callback)  # PortAudio can take long: off the loop
        if self.samplerate != SAMPLE_RATE:
            import soxr

            self._resampler = soxr.ResampleStream(self.samplerate, SAMPLE_RATE, 1, dtype="float32")
            log.info("capturing %s at %g Hz, resampled to 16 kHz", self.device.name, self.samplerate)
        await asyncio.to_thread(stream.start)
        try:
            stopped = asyncio.create_task(stop.wait())
            finished = asyncio.create_task(done.wait())
            await asyncio.wait((stopped, finished), return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            finished.cancel()
        finally:
            await asyncio.to_thread(lambda: (stream.stop(), stream.close()))  # as `with stream:` ends it
        await asyncio.sleep(0)  # deliver blocks the callback handed over before the stream closed
        if self._resampler is not None and not done.is_set():
            queue.offer(self._resampler.resample_chunk(np.zeros(0, np.float32), last=True))
