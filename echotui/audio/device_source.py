"""Live capture from an input device.

The PortAudio callback only copies the block and hands it to the event loop. On the loop the block is
mixed to mono, resampled to 16 kHz if the device could not open at 16 kHz (libsoxr, streaming), and
offered to the queue, which drops the oldest audio when full: a live source never waits.

A device that stops delivering audio (unplugged, its sound server restarted) is noticed two ways: the
stream ends on its own (PortAudio's finished callback), or no audio arrives for `watchdog_s` (see
`echotui.audio.watchdog`). The queue is told (`mark_loss`: the open utterance ends there, the state says
"device lost: …"), the device (or else the default one) is reopened every `retry_s`, and when audio comes
again the time in between takes its place on the timeline as dropped audio (`mark_gap`). `duration_s`
counts that gap too, so a capture of a fixed length ends on time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from echotui import SAMPLE_RATE
from echotui.audio.devices import InputDevice, import_sounddevice
from echotui.audio.watchdog import Capture
from echotui.errors import EchoError
from echotui.pipeline.queue import AudioQueue

log = logging.getLogger(__name__)


class DeviceSource:
    """Captures from `device` until stopped, or until `duration_s` seconds of timeline were captured."""

    live = True

    def __init__(
        self,
        device: InputDevice,
        duration_s: float | None = None,
        block_s: float = 0.05,
        samplerate: float | None = None,
        watchdog_s: float = 2.0,
        first_audio_s: float = 10.0,
        retry_s: float = 1.0,
    ) -> None:
        self.device = device
        self.rates = (samplerate,) if samplerate else (SAMPLE_RATE, device.default_samplerate)
        """Rates to try opening the device at; audio is resampled to 16 kHz if it is not 16 kHz."""
        self.duration_s = duration_s
        self.block_s = block_s
        self.watchdog_s = watchdog_s
        self.first_audio_s = first_audio_s
        self.retry_s = retry_s
        self.description = f"device {device.name}"
        self.overflows = 0
        """Times PortAudio reported that the device buffer overflowed before we could read it."""
        self.losses = 0
        """Times the device stopped delivering audio."""
        self.samplerate: float = SAMPLE_RATE

    def open_stream(self, callback: Any, finished: Any) -> Any:
        """A PortAudio input stream on the device (the seam tests replace with a stream double)."""
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
                    finished_callback=finished,
                )
            except sd.PortAudioError as error:
                last_error = error
                continue
            self.samplerate = rate
            return stream
        raise EchoError(
            f"cannot open input device {self.device.name!r} ({last_error}): choose another with --device"
        )

    def reopen_device(self) -> None:
        """Before a retry: find the device again by name (its index may have changed), else the default."""
        from echotui.audio.devices import choose_device

        try:
            self.device = choose_device(self.device.name)
        except EchoError:
            self.device = choose_device(None)

    async def run(self, queue: AudioQueue, stop: asyncio.Event) -> None:
        limit = None if self.duration_s is None else round(self.duration_s * SAMPLE_RATE)
        capture = Capture(self, queue, limit)
        lost_since: float | None = None
        while not stop.is_set() and not capture.done.is_set():
            try:
                reason = await capture.run(stop, lost_since)
            except EchoError:
                if lost_since is None:
                    raise  # the device never opened: a one-line error for the user
                reason = None
                log.info("input device not back yet", exc_info=True)
            else:
                if reason is None:
                    return  # stopped, or the duration is reached
                self.losses += 1
                log.warning("input device %s lost: %s", self.device.name, reason)
                queue.mark_loss(reason)
                lost_since = capture.last_arrival or capture.opened
            if capture.account_gap_until_limit(lost_since):
                return
            await _sleep_unless(stop, self.retry_s)
            if not stop.is_set():
                await asyncio.to_thread(self.reopen_device)


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
