"""The reports of `echotui bench`: its rows as a Markdown table and as bars in the terminal."""

from __future__ import annotations

from echotui.bench import BenchRow

COLUMNS = (
    ("provider", "provider", "{}"), ("model", "model", "{}"), ("backend", "backend", "{}"),
    ("chunk_seconds", "chunk s", "{:g}"), ("speed", "speed", "{:g}"), ("rtf_mean", "RTF mean", "{:.3f}"),
    ("rtf_p95", "RTF p95", "{:.3f}"), ("dropped_frames", "dropped frames", "{}"),
    ("dropped_s", "dropped s", "{:.2f}"), ("queue_max_fill_s", "queue max s", "{:.1f}"),
    ("word_latency_p50_s", "word latency p50 s", "{:.2f}"),
    ("word_latency_p95_s", "word latency p95 s", "{:.2f}"),
    ("latency_p50_s", "utterance latency p50 s", "{:.2f}"),
    ("latency_p95_s", "utterance latency p95 s", "{:.2f}"),
    ("cpu_s_per_audio_s", "CPU-s / audio-s", "{:.2f}"), ("peak_rss_mb", "peak RSS MB", "{:.0f}"),
    ("load_s", "load s", "{:.2f}"), ("streaming_over_offline", "streaming ÷ offline", "{:.2f}"),
    ("pipeline_overhead", "pipeline overhead", "{:.3f}"), ("live_wer", "live WER", "{:.1%}"),
    ("offline_wer", "offline WER", "{:.1%}"), ("live_over_offline_wer", "live ÷ offline WER", "{:.2f}"),
)  # fmt: skip


def _cell(row: BenchRow, key: str, fmt: str) -> str:
    value = getattr(row, key)
    return "—" if value is None else fmt.format(value)


def markdown_table(rows: list[BenchRow]) -> str:
    """The rows as a Markdown table; the WER columns only when a reference was given."""
    scored = any(row.live_wer is not None for row in rows)
    columns = [c for c in COLUMNS if scored or not c[0].endswith("wer")]
    header = "| " + " | ".join(title for _, title, _ in columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    lines = ["| " + " | ".join(_cell(row, key, fmt) for key, _, fmt in columns) + " |" for row in rows]
    return "\n".join([header, rule, *lines]) + "\n"


def bar_plot(rows: list[BenchRow], width: int = 40) -> str:
    """RTF mean and latency p50 per configuration as horizontal bars (RTF 1.0 and beyond: can't keep up)."""
    labels = [f"{r.provider} {r.model} {r.chunk_seconds:g}s" for r in rows]
    pad = max((len(label) for label in labels), default=0)
    out = []
    for title, key, unit in (("RTF mean", "rtf_mean", ""), ("latency p50 (per word)", "latency_p50_s", " s")):
        values = [getattr(r, f"word_{key}", None) or getattr(r, key) or 0.0 for r in rows]
        top = max([*values, 1.0 if key == "rtf_mean" else 0.0, 1e-9])
        out.append(title)
        for label, value in zip(labels, values, strict=True):
            out.append(f"  {label:<{pad}} {'█' * round(width * value / top):<{width}} {value:.3f}{unit}")
    return "\n".join(out) + "\n"
