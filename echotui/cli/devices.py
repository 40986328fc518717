"""`echotui devices`: the input devices, `*` marking the default."""

from __future__ import annotations

import argparse

from echotui.audio.devices import list_input_devices
from echotui.cli.tables import format_table


def cmd_devices(args: argparse.Namespace) -> int:
    """Input devices: index, name, host API, channels, default rate."""
    devices = list_input_devices()
    if not devices:
        print("no audio input devices found")
        return 1
    rows = [
        ("*" if d.is_default else " ", str(d.index), d.name, d.host_api, str(d.channels),
         f"{d.default_samplerate:.0f}")
        for d in devices
    ]  # fmt: skip
    print(format_table(("", "index", "name", "host API", "ch", "rate"), rows, right=(1, 4, 5)))
    return 0
