"""Input devices through PortAudio (sounddevice): listing and choosing by index or name."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from echotui.errors import EchoError


@dataclass(frozen=True)
class InputDevice:
    """A capture device as PortAudio reports it."""

    index: int
    name: str
    host_api: str
    channels: int
    default_samplerate: float
    is_default: bool


def import_sounddevice() -> ModuleType:
    """`sounddevice`, or a one-line fix when PortAudio is missing."""
    try:
        import sounddevice
    except OSError:
        raise EchoError(
            "PortAudio library not found: install it (Debian/Ubuntu: apt-get install libportaudio2; "
            "macOS: pip reinstall sounddevice), or transcribe a file instead"
        ) from None
    return sounddevice


def list_input_devices() -> list[InputDevice]:
    sd = import_sounddevice()
    try:
        devices = sd.query_devices()
        apis = sd.query_hostapis()
        default_in = sd.default.device[0]
    except sd.PortAudioError as error:
        raise EchoError(f"PortAudio cannot list devices ({error}): check the sound system") from None
    found = []
    for index, info in enumerate(devices):
        if info["max_input_channels"] > 0:
            found.append(
                InputDevice(
                    index=index,
                    name=str(info["name"]),
                    host_api=str(apis[info["hostapi"]]["name"]),
                    channels=int(info["max_input_channels"]),
                    default_samplerate=float(info["default_samplerate"]),
                    is_default=index == default_in,
                )
            )
    return found


NO_DEVICE = (
    "no audio input device found: PortAudio lists none. On Linux, check that PulseAudio or PipeWire runs "
    "(`pactl info`) and that you may use audio (the `audio` group; over SSH there is usually no sound "
    "server); on macOS, allow the terminal under Privacy & Security > Microphone. Without a microphone: "
    "`echotui --demo`, `echotui --file talk.wav` or `echotui transcribe talk.wav`"
)


def choose_device(spec: str | int | None, devices: list[InputDevice] | None = None) -> InputDevice:
    """The device for `spec`: None = the default, an index, or a case-insensitive name substring."""
    devices = list_input_devices() if devices is None else devices
    if not devices:
        raise EchoError(NO_DEVICE)
    if spec is None or spec == "":
        return next((d for d in devices if d.is_default), devices[0])
    text = str(spec).strip()
    if text.isdigit():
        index = int(text)
        for device in devices:
            if device.index == index:
                return device
        raise EchoError(f"no input device with index {index}: run 'echotui devices' to list them")
    matches = [d for d in devices if text.lower() in d.name.lower()]
    exact = [d for d in matches if d.name.lower() == text.lower()]
    if len(exact) == 1:
        return exact[0]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise EchoError(f"no input device matches {text!r}: run 'echotui devices' to list them")
    names = ", ".join(f"{d.index}: {d.name}" for d in matches)
    raise EchoError(f"{text!r} matches several input devices ({names}): pass the index instead")
