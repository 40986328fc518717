"""Opening the source the user named: a file replayed as if live, or a capture device."""

from __future__ import annotations

from pathlib import Path

from echotui.audio.source import AudioSource
from echotui.audio.switching import LoopingSource


def open_source(
    file: Path | None,
    device: str | int | None,
    speed: float,
    loop: bool = False,
    duration_s: float | None = None,
) -> AudioSource:
    """A file replayed as live (optionally looping), or a capture device (None = the default one),
    optionally for `duration_s` seconds. Opening a device queries PortAudio: call it off the event loop."""
    if file is not None:
        from echotui.audio.file_source import FileSource

        if loop:
            return LoopingSource(lambda: FileSource(file, speed=speed))
        return FileSource(file, speed=speed)
    from echotui.audio.device_source import DeviceSource
    from echotui.audio.devices import choose_device

    return DeviceSource(choose_device(device), duration_s=duration_s)
