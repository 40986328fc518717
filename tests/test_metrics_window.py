"""A session of any length keeps bounded metrics: means and counts over every call, percentiles over the
most recent calls, and a snapshot that costs the same after an hour as after a minute."""

from __future__ import annotations

import numpy as np

from echotui.pipeline.metrics import QUANTILE_WINDOW, Metrics


def test_histories_are_bounded_and_figures_match_an_independent_computation() -> None:
    metrics = Metrics()
    rng = np.random.default_rng(7)
    rtfs = rng.uniform(0.1, 0.9, 3 * QUANTILE_WINDOW)
    latencies = rng.uniform(0.2, 2.0, 3 * QUANTILE_WINDOW)
    for rtf, latency in zip(rtfs, latencies, strict=True):
        metrics.record_call(rtf * 2.0, 32000)  # 2 s of audio
        metrics.record_final(latency, 1)
    assert len(metrics.rtfs.values) == len(metrics.latencies.values) == QUANTILE_WINDOW
    from echotui.pipeline.metrics import Ledger

    snapshot = metrics.snapshot(Ledger(0, 0, 0, 0, 0), 0, 16000, 0)
    assert snapshot.calls == len(rtfs)
    assert abs(snapshot.rtf_mean - float(np.mean(rtfs))) < 1e-9  # type: ignore[operator]
    assert snapshot.rtf_p95 == float(np.percentile(rtfs[-QUANTILE_WINDOW:], 95))
    assert snapshot.latency_p50_s == float(np.percentile(latencies[-QUANTILE_WINDOW:], 50))
    assert snapshot.rtf_last == rtfs[-1] * 2.0 / 2.0
    assert snapshot.rtf_history == tuple(rtfs[-60:])


def test_freed_heap_is_returned_at_most_once_a_period() -> None:
    from echotui.pipeline.memory import HeapReturner

    now = HeapReturner(every_s=0.0)
    now.maybe_return()
    now.maybe_return()
    assert now.returns == 2, "glibc (Linux) has malloc_trim"
    later = HeapReturner(every_s=60.0)
    later.maybe_return()
    assert later.returns == 0
