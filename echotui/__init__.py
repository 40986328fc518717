"""echotui: a terminal app (Textual) that transcribes speech live, from a microphone or a file, on a local
or remote speech engine; its subpackages are the engine side, the UI (`app`, `widgets`) and the CLI."""

import os

__version__ = "0.1.0"

SAMPLE_RATE = 16_000
"""Every sample inside echotui is mono float32 at this rate."""

# whisper.cpp and CTranslate2 share one OpenMP runtime, whose threads by default spin while they wait at
# each of the hundreds of barriers in a decode. On a laptop whose cores are busy with other work (a browser,
# a call) a spinning thread waits a whole scheduler slice for a descheduled partner: with two busy-loop
# processes on 2 cores, whisper.cpp's caption latency p95 went from 2-6 s to 59-62 s (benchmarks/accuracy.py
# --load 2). Passive waiting yields the core instead. Set before either engine loads the runtime; a user's
# own OMP_WAIT_POLICY wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
