"""`echotui devices`: the input devices, `*` marking the default."""

from __future__ import annotations

import argparse

from echotui.audio.devices import NO_DEVICE, list_input_devices
from echotui.cli.tables import format_table
from echotui.errors import EchoError


def cmd_devices(args: argparse.Namespace) -> int:
    """Input devices: index, name, host API, channels, default rate."""
    devices = list_input_devices()
    if not devices:
        raise EchoError(NO_DEVICE)
    rows = [
        ("*" if d.is_default else " ", str(d.index), d.name, d.host_api, str(d.channels),
         f"{d.default_samplerate:.0f}")
        for d in devices
    ]  # fmt: skip
    print(format_table(("", "index", "name", "host API", "ch", "rate"), rows, right=(1, 4, 5)))
    return 0
