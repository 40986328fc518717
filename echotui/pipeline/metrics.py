"""Engine-side measurements. The UI and the CLI only read `MetricsSnapshot`s; no widget computes a figure.

The ledger obeys a conservation law at every moment, in samples:
captured = transcribed + vad_skipped + dropped + pending + untranscribed.
"""

from __future__ import annotations

import resource
import sys
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import psutil

from echotui import SAMPLE_RATE
from echotui.pipeline.state import State

HISTORY = 60
FILL_HISTORY_S = 6.0
QUANTILE_WINDOW = 2000
"""Percentiles are over the most recent this many values: memory and the cost of a snapshot stay
bounded however long a session runs (means and counts stay exact over the whole session)."""


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (linear interpolation), or None for no values."""
    if not values:
        return None
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if values else None


@dataclass(frozen=True)
class Ledger:
    """Where every captured sample is, in samples at 16 kHz."""

    captured: int
    transcribed: int
    vad_skipped: int
    dropped: int
    pending: int
    untranscribed: int = 0
    """Captured audio left untranscribed because the engine failed and the session stopped."""

    @property
    def balanced(self) -> bool:
        accounted = self.transcribed + self.vad_skipped + self.dropped + self.pending + self.untranscribed
        return self.captured == accounted


@dataclass(frozen=True)
class MetricsSnapshot:
    """Every figure echotui reports, at one moment.

    Attributes:
        ledger: sample accounting (conservation law).
        rtf_last / rtf_mean / rtf_p95: inference seconds ÷ audio seconds of engine calls; `rtf_mean` over
            all calls, `rtf_p95` over the last `QUANTILE_WINDOW`, `rtf_recent_mean` over the last `window`.
        calls: engine calls made (partials and finals).
        compute_s: total inference seconds.
        queue_fill_s / queue_capacity_s / queue_fill_pct / queue_max_fill_s: the audio queue.
        dropped_frames / dropped_s: live audio thrown away because the queue was full.
        latency_p50_s / latency_p95_s: last sample of an utterance entering the pipeline → its final text
            (over the last `QUANTILE_WINDOW` finals).
        word_latency_p50_s / word_latency_p95_s: a word's end in the audio → its final text out, both on
            the stream's clock (seconds of audio captured): how long a reader waits for each word (over the
            last `QUANTILE_WINDOW` words).
        pass_every_s: stream seconds between the recent passes over the open window (they thin out when
            the engine falls behind: latency is what is traded to keep up); None before two passes.
        window_s: audio in the newest pass's window.
        revision_lag_s: how far behind the revision layer runs (`Reviser.lag_s`); None when it is off.
        server_split_s: a server engine's calls, split: (seconds on the server, seconds on the network) per
            call, medians of the latest; None for an engine in this process or a server that says nothing.
        cpu_percent: this process's CPU use since the previous snapshot (100 = one core).
        rss_mb / peak_rss_mb: resident memory now and at its peak.
        segments: final captions emitted.
        rtf_history: RTF of the most recent engine calls, oldest first (for a sparkline).
        fill_history: queue fill in seconds at the most recent snapshots, oldest first.
        level_db: loudness of the newest input audio (RMS dBFS).
        overloaded: the overload governor's episode is open: the engine is behind (drops, a growing
            backlog, late words), and has not been calm for long since.
        state: what the pipeline is doing (`State`: listening, paused, overloaded, failed to load, ...).
        reason: why, for a state that has one (a failure's or a lost device's one line), else None.
        source_duration_s: length of a file source, if known (position is `audio_s`).
        download: a model download under way ("downloading base.en 45% (64/142 MB)"), else None.
        governor: the overload governor's steps in force ("on tiny.en, not base.en (m: pick it again)"),
            else None.
    """

    ledger: Ledger
    rtf_last: float | None
    rtf_mean: float | None
    rtf_p95: float | None
    rtf_recent_mean: float | None
    calls: int
    compute_s: float
    queue_fill_s: float
    queue_capacity_s: float
    queue_fill_pct: float
    queue_max_fill_s: float
    dropped_frames: int
    dropped_s: float
    latency_p50_s: float | None
    latency_p95_s: float | None
    cpu_percent: float
    rss_mb: float
    peak_rss_mb: float
    segments: int
    word_latency_p50_s: float | None = None
    word_latency_p95_s: float | None = None
    pass_every_s: float | None = None
    window_s: float | None = None
    revision_lag_s: float | None = None
    server_split_s: tuple[float, float] | None = None
    rtf_history: tuple[float, ...] = ()
    fill_history: tuple[float, ...] = ()
    level_db: float = -120.0
    overloaded: bool = False
    state: State = State.LISTENING
    reason: str | None = None
    source_duration_s: float | None = None
    download: str | None = None
    governor: str | None = None

    @property
    def audio_s(self) -> float:
        return self.ledger.captured / SAMPLE_RATE


def peak_rss_mb() -> float:
    """Peak resident set size of this process, as the kernel measured it."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


class Window:
    """The most recent values (bounded), with exact count and mean over all of them, and percentiles of
    the window computed once per change, not on every snapshot."""

    def __init__(self, size: int = QUANTILE_WINDOW) -> None:
        self.values: deque[float] = deque(maxlen=size)
        self.count = 0
        self.total = 0.0
        self._cache: dict[float, float | None] = {}

    def add(self, value: float) -> None:
        self.values.append(value)
        self.count += 1
        self.total += value
        self._cache.clear()

    @property
    def last(self) -> float | None:
        return self.values[-1] if self.values else None

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None

    def percentile(self, q: float) -> float | None:
        if q not in self._cache:
            self._cache[q] = percentile(self.values, q)
        return self._cache[q]

    def tail(self, n: int) -> tuple[float, ...]:
        return tuple(self.values)[-n:] if len(self.values) > n else tuple(self.values)


class Metrics:
    """Counters and bounded histories kept by the pipeline (on the event loop thread)."""

    def __init__(self, window: int = 50) -> None:
        self.rtfs = Window()
        self.window = window
        self.latencies = Window()
        self.word_latencies = Window()
        self.passes: deque[tuple[float, float]] = deque(maxlen=8)  # (stream clock, window seconds)
        self.compute_s = 0.0
        self.segments = 0
        self.fills: deque[tuple[float, float]] = deque()
        self._process = psutil.Process()
        self._process.cpu_percent(None)  # start the first CPU interval now

    def record_call(self, inference_s: float, audio_samples: int) -> None:
        rtf = inference_s / (audio_samples / SAMPLE_RATE)
        self.rtfs.add(rtf)
        self.compute_s += inference_s

    def record_fill(self, now: float, fill_s: float) -> None:
        """Sample the backlog (for its sparkline: the last `FILL_HISTORY_S`). Whether it is behind is the
        overload governor's to judge (`readings.Readings.behind`)."""
        self.fills.append((now, fill_s))
        while self.fills and now - self.fills[0][0] > FILL_HISTORY_S:
            self.fills.popleft()

    def record_words(self, latencies_s: list[float]) -> None:
        """Per-word latency of words that just went out as final text."""
        for latency in latencies_s:
            self.word_latencies.add(latency)

    def record_pass(self, clock_s: float, window_s: float) -> None:
        """A pass over the open window, at `clock_s` on the stream's clock."""
        self.passes.append((clock_s, window_s))

    def record_final(self, latency_s: float | None, segments: int) -> None:
        """Final captions went out; `latency_s` when they close an utterance (commits mid-utterance have
        a latency per word instead: `record_words`)."""
        if latency_s is not None:
            self.latencies.add(latency_s)
        self.segments += segments

    def snapshot(
        self, ledger: Ledger, queue_fill: int, queue_capacity: int, queue_max: int, **extra: Any
    ) -> MetricsSnapshot:
        """All figures now; `extra` carries the pipeline's own (state, level, ...)."""
        rss = self._process.memory_info().rss / (1024 * 1024)
        return MetricsSnapshot(
            ledger=ledger,
            rtf_last=self.rtfs.last,
            rtf_mean=self.rtfs.mean,
            rtf_p95=self.rtfs.percentile(95),
            rtf_recent_mean=mean(self.rtfs.tail(self.window)),
            calls=self.rtfs.count,
            compute_s=self.compute_s,
            queue_fill_s=queue_fill / SAMPLE_RATE,
            queue_capacity_s=queue_capacity / SAMPLE_RATE,
            queue_fill_pct=100.0 * queue_fill / queue_capacity,
            queue_max_fill_s=queue_max / SAMPLE_RATE,
            dropped_frames=ledger.dropped,
            dropped_s=ledger.dropped / SAMPLE_RATE,
            latency_p50_s=self.latencies.percentile(50),
            latency_p95_s=self.latencies.percentile(95),
            word_latency_p50_s=self.word_latencies.percentile(50),
            word_latency_p95_s=self.word_latencies.percentile(95),
            pass_every_s=(
                (self.passes[-1][0] - self.passes[0][0]) / (len(self.passes) - 1)
                if len(self.passes) > 1
                else None
            ),
            window_s=self.passes[-1][1] if self.passes else None,
            cpu_percent=self._process.cpu_percent(None),
            rss_mb=rss,
            peak_rss_mb=max(rss, peak_rss_mb()),
            segments=self.segments,
            rtf_history=self.rtfs.tail(HISTORY),
            fill_history=tuple(fill for _, fill in self.fills)[-HISTORY:],
            **extra,
        )
