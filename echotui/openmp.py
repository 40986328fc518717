"""How the engines' threads wait for each other: whisper.cpp and CTranslate2 share one OpenMP runtime (GNU
libgomp on Linux), which reads its settings from the environment once, when the first engine loads it.

At each of the hundreds of barriers in a decode, a thread that arrives first either spins (burns its core
until its partner arrives) or sleeps (and is woken by the kernel). Both extremes cost:

- spinning long (libgomp's default, about 3 ms): on a laptop whose cores are busy with other work, a
  spinning thread waits a whole scheduler slice for a descheduled partner; with two busy-loop processes on
  2 cores whisper.cpp's caption latency p95 went from 2-6 s to 59-62 s (`benchmarks.accuracy --load 2`);
- never spinning (`OMP_WAIT_POLICY=PASSIVE`, echotui's setting until December 2026): every barrier is a
  sleep and a wake-up. whisper.cpp decodes one token per graph, and each token paid about 7 ms of
  wake-ups where its arithmetic takes 1.7 ms: an 8 s live pass took 0.42-0.57 s on 2 threads where it
  takes 0.26-0.31 s (`python -m benchmarks.openmp_wait`).

So a waiting thread spins `SPIN_COUNT` times (about 0.1 ms by libgomp's estimate: long enough for a partner
that is running), then sleeps. The policy is ACTIVE, not PASSIVE, for what the pipeline measured: beside the
revision layer's engine in the same process, PASSIVE with this spin count decoded as slowly as PASSIVE
without (whisper.cpp's live RTF 0.070-0.074 against 0.080, word latency p50 1.79-1.90 s against 1.82-2.01
s), ACTIVE with it about as fast as the live engine alone (0.046-0.061, p50 1.71-1.80 s; `benchmarks.
accuracy --sets heldout`, same hour). The likely cause is libgomp's "throttled" spin count, used while the
process holds more OpenMP threads than the machine has cores: 1,000 under ACTIVE, none under PASSIVE. With
`GOMP_SPINCOUNT` set, ACTIVE changes nothing else (in libgomp's env.c the policy sets only the spin
counts). A user's own `OMP_WAIT_POLICY` or `GOMP_SPINCOUNT` wins.
"""

from __future__ import annotations

from collections.abc import MutableMapping

WAIT_POLICY = "ACTIVE"
"""With `SPIN_COUNT` set, only the throttled spin count (1,000) follows from it: ACTIVE alone would spin for
minutes."""
SPIN_COUNT = 10_000
"""Spins before a waiting thread sleeps. 3,000 to 100,000 measured alike in trials, quiet and with both cores
busy; libgomp's default (300,000) gives back a third to two fifths of the gain with both cores busy
(`benchmarks.openmp_wait`)."""
USER_SETTINGS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")


def configure(environ: MutableMapping[str, str]) -> None:
    """Set how OpenMP threads wait, unless the user set it. Call before any engine is imported."""
    if any(name in environ for name in USER_SETTINGS):
        return
    environ["OMP_WAIT_POLICY"] = WAIT_POLICY
    environ["GOMP_SPINCOUNT"] = str(SPIN_COUNT)
