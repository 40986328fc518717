"""`--demo`: a short speech clip that ships inside the package, replayed as live input (speed 1, as with
`--file`), so a first run shows real captions without a microphone.

The clip (`echotui/assets/jfk.opus`, 11 s, 33 KB) is John F. Kennedy's inaugural address of 20 January 1961,
a public-domain recording ("And so, my fellow Americans: ask not what your country can do for you, ask
what you can do for your country."), the `jfk.wav` sample whisper.cpp also uses, encoded as 24 kbit/s mono
Opus in Ogg; PyAV decodes it like any file.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from echotui.errors import EchoError

CLIP = "jfk.opus"


def demo_clip() -> Path:
    """The clip's path inside the installed package."""
    path = Path(str(files("echotui") / "assets" / CLIP))
    if not path.is_file():
        raise EchoError(f"the demo clip {path} is missing: reinstall echotui (pip install --force-reinstall)")
    return path


def demo_file(demo: bool, file: Path | None, device: str | None) -> Path | None:
    """The file to replay: the demo clip with `--demo` (alone), else `file`."""
    if not demo:
        return file
    if file is not None or device is not None:
        raise EchoError("--demo plays its own clip: give --demo alone, without a file or --device")
    return demo_clip()
