"""What a live pass costs under each way the engines' OpenMP threads wait at a barrier (echotui/openmp.py).

    python -m benchmarks.openmp_wait [--providers whispercpp,faster-whisper] [--threads 2] [--loads 0,2]

Real tiny.en on the held-out lecture (espeak-ng). For each setting, a fresh process (the OpenMP runtime reads
the environment once, when it loads) decodes windows of 4 and 8 s as a live pass does (word times, no
prompt), five times each, resting 0.5 s after each as the engine does between passes; it prints the median
wall time of a pass and the median CPU seconds the process spent over the pass and its rest (so threads
still spinning after the pass are counted). `--loads 0,2`: a run with the machine otherwise quiet, and one
with two busy-loop processes competing for the cores, as on a laptop busy with other work.

This is one engine alone. In the pipeline, beside the revision layer's engine, PASSIVE with a spin count
measured as PASSIVE without (see echotui/openmp.py); the settings are compared there by the accuracy
benchmark, a user's own settings winning: `OMP_WAIT_POLICY=PASSIVE GOMP_SPINCOUNT=10000 python -m
benchmarks.accuracy --providers whispercpp --sets heldout --no-off-run`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.accuracy import _busy, real_models
from benchmarks.heldout import build_heldout
from echotui import SAMPLE_RATE
from echotui.audio.file_source import DecodedFile
from echotui.openmp import USER_SETTINGS

SETTINGS: dict[str, dict[str, str]] = {
    "passive, no spin": {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "0"},
    "passive, spin 10,000": {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "10000"},
    "echotui: active, spin 10,000": {},
    "libgomp's default: spin 300,000": {"GOMP_SPINCOUNT": "300000"},
}
"""Environment for the child process; an empty one leaves echotui's own setting (`echotui.openmp`)."""
WINDOWS_S = (4, 8)
RUNS = 5
REST_S = 0.5


def child(provider: str, model: Path, audio_path: Path, threads: int) -> None:
    """Runs in the fresh process: one JSON line, window seconds -> [median pass wall s, median CPU s]."""
    from echotui.config import Settings
    from echotui.logs import setup_logging
    from echotui.providers.base import TranscribeRequest
    from echotui.providers.registry import create_provider

    setup_logging(Path(tempfile.mkdtemp()) / "engine.log")  # the engine's log lines, not this table
    engine = create_provider(Settings(provider=provider, model_path=model, threads=threads))
    engine.load()
    audio = np.concatenate(list(DecodedFile(audio_path).blocks()))

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    out: dict[int, list[float]] = {}
    for window_s in WINDOWS_S:
        request = TranscribeRequest(audio[: window_s * SAMPLE_RATE].copy(), 0.0, False, word_timestamps=True)
        engine.transcribe(request)  # warm-up
        walls, cpus = [], []
        for _ in range(RUNS):
            started, used = time.perf_counter(), cpu()
            engine.transcribe(request)
            walls.append(time.perf_counter() - started)
            time.sleep(REST_S)
            cpus.append(cpu() - used)
        out[window_s] = [sorted(walls)[RUNS // 2], sorted(cpus)[RUNS // 2]]
    print(json.dumps(out))


def run_child(
    provider: str, model: Path, audio: Path, threads: int, setting: dict[str, str]
) -> dict[str, list[float]]:
    env = {k: v for k, v in os.environ.items() if k not in USER_SETTINGS} | setting
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.openmp_wait", "--child", provider, str(model), str(audio),
         "--threads", str(threads)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    if out.returncode:
        raise SystemExit(f"{provider} failed: {out.stderr.strip()[-2000:]}")
    result: dict[str, list[float]] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--providers", default="whispercpp,faster-whisper")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--loads", default="0,2", help="busy-loop processes beside each run, comma-separated")
    parser.add_argument("--child", nargs=3, metavar=("PROVIDER", "MODEL", "WAV"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        provider, model, wav = args.child
        child(provider, Path(model), Path(wav), args.threads)
        return
    loads = [int(n) for n in args.loads.split(",")]
    heads = " | ".join(f"{w} s window: pass s / CPU-s" for w in WINDOWS_S)
    print(f"| engine | busy loops | OpenMP waiting | {heads} |")
    print("|---|---|---|" + "---|" * len(WINDOWS_S))
    with tempfile.TemporaryDirectory(prefix="echotui-openmp-") as tmp_name:
        tmp = Path(tmp_name)
        models = real_models(tmp / "models")
        lecture = next(s for s in build_heldout(tmp / "speech") if s.name == "lecture")
        for provider in args.providers.split(","):
            for load, (name, setting) in itertools.product(loads, SETTINGS.items()):
                hogs = [multiprocessing.Process(target=_busy, daemon=True) for _ in range(load)]
                for hog in hogs:
                    hog.start()
                try:
                    figures = run_child(provider, models[provider], lecture.path, args.threads, setting)
                finally:
                    for hog in hogs:
                        hog.kill()
                cells = " | ".join("{:.3f} / {:.3f}".format(*figures[str(w)]) for w in WINDOWS_S)
                print(f"| {provider} | {load} | {name} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
