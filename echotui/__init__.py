"""echotui: a terminal app (Textual) that transcribes speech live, from a microphone or a file, on a local
or remote speech engine; its subpackages are the engine side, the UI (`app`, `widgets`) and the CLI."""

import os

from echotui.openmp import configure as configure_openmp

__version__ = "0.1.0"

SAMPLE_RATE = 16_000
"""Every sample inside echotui is mono float32 at this rate."""

# before any engine loads the OpenMP runtime whisper.cpp and CTranslate2 share (it reads the environment once)
configure_openmp(os.environ)
