"""How the engines' threads wait for each other: whisper.cpp and CTranslate2 share one OpenMP runtime (GNU
libgomp on Linux), which reads its settings from the environment once, when the first engine loads it.

At each of the hundreds of barriers in a decode, a thread that arrives first either spins (burns its core
until its partner arrives) or sleeps (and is woken by the kernel). Both extremes cost:

- spinning long (libgomp's default, about 3 ms): on a laptop whose cores are busy with other work, a
  spinning thread waits a whole scheduler slice for a descheduled partner; with two busy-loop processes on
  2 cores whisper.cpp's caption latency p95 went from 2-6 s to 59-62 s (`benchmarks.accuracy --load 2`);
- never spinning (`OMP_WAIT_POLICY=PASSIVE`): every barrier is a sleep and a wake-up. whisper.cpp decodes
  one token per graph, and each token paid about 7 ms of wake-ups where its arithmetic takes 1.7 ms:
  an 8 s live pass took 0.42 s on 2 threads instead of 0.26 s (`benchmarks.openmp_wait`).

So a thread spins briefly (`SPIN_COUNT`: about 0.1 ms by libgomp's estimate), long enough for a partner
that is running, then sleeps. A user's own `OMP_WAIT_POLICY` or `GOMP_SPINCOUNT` wins.
"""

from __future__ import annotations

from collections.abc import MutableMapping

WAIT_POLICY = "PASSIVE"
"""Waiting threads sleep (after `SPIN_COUNT` spins), never spin for long."""
SPIN_COUNT = 10_000
"""Spins before a waiting thread sleeps. 3,000 to 100,000 measured the same when the machine is quiet and
with both cores busy; libgomp's own default (300,000) lost a third of the gain with both cores busy."""
USER_SETTINGS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")


def configure(environ: MutableMapping[str, str]) -> None:
    """Set how OpenMP threads wait, unless the user set it. Call before any engine is imported."""
    if any(name in environ for name in USER_SETTINGS):
        return
    environ["OMP_WAIT_POLICY"] = WAIT_POLICY
    environ["GOMP_SPINCOUNT"] = str(SPIN_COUNT)
