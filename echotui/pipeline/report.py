"""The run summary written by `--stats-json`: every figure comes from the pipeline's measurements."""

from __future__ import annotations

from typing import Any

from echotui import SAMPLE_RATE
from echotui.pipeline.metrics import MetricsSnapshot
from echotui.providers.base import LoadedModel


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def stats_dict(
    snapshot: MetricsSnapshot,
    loaded: LoadedModel | None,
    *,
    wall_s: float,
    load_s: float | None,
    cpu_s: float | None = None,
    source: str,
    speed: float | None,
    chunk_seconds: float,
    lines: int | None = None,
) -> dict[str, Any]:
    """`lines`: what the transcript writer wrote (txt or jsonl lines, srt or vtt cues)."""
    ledger = snapshot.ledger
    return {
        "provider": loaded.provider if loaded else None,
        "model": loaded.model if loaded else None,
        "backend": loaded.backend if loaded else None,
        "source": source,
        "speed": speed,
        "chunk_seconds": chunk_seconds,
        "audio_s": _round(ledger.captured / SAMPLE_RATE),
        "transcribed_s": _round(ledger.transcribed / SAMPLE_RATE),
        "vad_skipped_s": _round(ledger.vad_skipped / SAMPLE_RATE),
        "dropped_s": _round(ledger.dropped / SAMPLE_RATE),
        "dropped_frames": ledger.dropped,
        "pending_s": _round(ledger.pending / SAMPLE_RATE),
        "untranscribed_s": _round(ledger.untranscribed / SAMPLE_RATE),
        "samples": {
            "captured": ledger.captured,
            "transcribed": ledger.transcribed,
            "vad_skipped": ledger.vad_skipped,
            "dropped": ledger.dropped,
            "pending": ledger.pending,
            "untranscribed": ledger.untranscribed,
        },
        "rtf_mean": _round(snapshot.rtf_mean),
        "rtf_p95": _round(snapshot.rtf_p95),
        "calls": snapshot.calls,
        "compute_s": _round(snapshot.compute_s),
        "compute_per_audio_s": _round(snapshot.compute_s / snapshot.audio_s if snapshot.audio_s else None),
        "latency_p50_s": _round(snapshot.latency_p50_s),
        "latency_p95_s": _round(snapshot.latency_p95_s),
        "word_latency_p50_s": _round(snapshot.word_latency_p50_s),
        "word_latency_p95_s": _round(snapshot.word_latency_p95_s),
        "queue_capacity_s": _round(snapshot.queue_capacity_s),
        "queue_max_fill_s": _round(snapshot.queue_max_fill_s),
        "load_s": _round(load_s),
        "wall_s": _round(wall_s),
        "cpu_s": _round(cpu_s),
        "cpu_per_audio_s": _round(cpu_s / snapshot.audio_s if cpu_s and snapshot.audio_s else None),
        "peak_rss_mb": _round(snapshot.peak_rss_mb, 1),
        "segments": snapshot.segments,
        "lines": lines,
    }
