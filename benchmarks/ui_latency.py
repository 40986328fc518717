"""Key-to-screen response time while the engine transcribes, and start-to-first-frame time.

    python -m benchmarks.ui_latency [--presses 100]

Starts `echotui --file` in tmux (80×24) on a random-weight tiny.en whisper.cpp model replaying espeak
speech at real time, and measures the time until the first frame with the panels. Then, while inference
runs, presses `t` (timestamps) repeatedly and measures the time until the terminal shows the change.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tests.support.ggml_model import build_ggml_model
from tests.support.speech import synthesize_words

THREADS = 2
SENTENCES = ("Good morning everyone.", "The release is on track.", "Please review the pull requests.") * 6


def capture(name: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True).stdout


def start(model: Path, speech: Path) -> tuple[str, float]:
    """`echotui --file` in a fresh 80×24 tmux window; returns its name and the time to the first frame
    that shows the panels."""
    name = f"echotui-bench-{time.monotonic_ns()}"
    command = f"{sys.executable} -m echotui --file {speech} --model-path {model} --threads {THREADS}"
    began = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "80", "-y", "24", command], check=True)
    while "queue" not in (screen := capture(name)) or "latency" not in screen:
        if time.perf_counter() - began > 30:
            raise SystemExit("no frame within 30 s")
        time.sleep(0.005)
    return name, time.perf_counter() - began


def key_latencies(name: str, presses: int) -> list[float]:
    """Press `t` and time until the terminal shows timestamps appearing (or going away) on the captions,
    in a real terminal while the engine runs."""
    while "[00:" not in capture(name):  # wait for final text, then toggle timestamps back off
        subprocess.run(["tmux", "send-keys", "-t", name, "t"], check=True)
        time.sleep(1.0)
        if "[00:" in capture(name):
            break
        subprocess.run(["tmux", "send-keys", "-t", name, "t"], check=True)
        time.sleep(1.0)
    latencies = []
    shown = True
    for _ in range(presses):
        began = time.perf_counter()
        subprocess.run(["tmux", "send-keys", "-t", name, "t"], check=True)
        shown = not shown
        while ("[00:" in capture(name)) != shown:
            time.sleep(0.001)
        latencies.append(time.perf_counter() - began)
        time.sleep(0.1)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--presses", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2, help="engine threads")
    args = parser.parse_args()
    global THREADS
    THREADS = args.threads
    work = Path(tempfile.mkdtemp(prefix="echotui-ui-"))
    model = build_ggml_model(work / "ggml-tiny.en.bin", "tiny.en", seed=1)
    speech = work / "speech.wav"
    synthesize_words(SENTENCES, speech, gap_s=0.8)
    frames = []
    for attempt in range(3):
        name, first = start(model, speech)
        frames.append(first)
        if attempt < 2:
            subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
    print("start to first frame with the panels (tmux 80×24): " + ", ".join(f"{f:.2f} s" for f in frames))
    try:
        busy = np.array(key_latencies(name, args.presses)) * 1000
        while "finished" not in capture(name):  # the same app once the engine has nothing left to do
            time.sleep(0.5)
        idle = np.array(key_latencies(name, args.presses)) * 1000
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
    for label, latencies in (("while transcribing", busy), ("idle (audio finished)", idle)):
        print(
            f"key-to-screen in tmux, {len(latencies)} presses {label}: "
            f"p50 {np.percentile(latencies, 50):.1f} ms, p95 {np.percentile(latencies, 95):.1f} ms, "
            f"max {latencies.max():.1f} ms"
        )


if __name__ == "__main__":
    main()
