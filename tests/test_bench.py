"""`echotui bench` on a small configuration, end to end: the real pipeline and engine, both baselines,
and a JSON that carries every figure of a row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from echotui.bench import row_fields, word_latencies
from echotui.providers.base import Word
from tests.cli import echotui
from tests.support.corpus import Speech

ROW_FIGURES = {
    "provider", "model", "backend", "chunk_seconds", "rtf_mean", "rtf_p95", "dropped_frames", "dropped_s",
    "queue_max_fill_s", "latency_p50_s", "latency_p95_s", "cpu_s_per_audio_s", "peak_rss_mb", "load_s",
    "offline_compute_s", "streaming_over_offline", "direct_compute_s", "pipeline_overhead",
}  # fmt: skip


def test_bench_runs_a_small_matrix_reports_every_figure_and_skips_what_cannot_run(
    models_dir: Path, sentence_wav: Path, tmp_path: Path
) -> None:
    """huge.en is not in the models folder and cannot be downloaded: its cases are skipped, not fatal, and
    the rest of the matrix runs (one story: each row costs a process and three passes of the engine)."""
    out_json, out_md = tmp_path / "bench.json", tmp_path / "bench.md"
    run = echotui(
        "bench", "--file", sentence_wav, "--models-dir", models_dir, "--models", "tiny.en,huge.en",
        "--chunk-seconds", "1,2", "--speed", "0", "--threads", "2", "--json", out_json, "--markdown", out_md,
        "--log-file", tmp_path / "echotui.log",
        env={"HF_ENDPOINT": "http://127.0.0.1:9", "HF_HUB_CACHE": str(tmp_path / "hf")},
    )  # fmt: skip
    assert run.code == 0, run.stderr
    report = json.loads(out_json.read_text())
    rows = report["rows"]
    assert [(r["model"], r["chunk_seconds"]) for r in rows] == [("tiny.en", 1.0), ("tiny.en", 2.0)]
    assert len(report["skipped"]) == 2 and all("huge.en" in line for line in report["skipped"])
    for row in rows:
        assert set(row) >= ROW_FIGURES and set(row) == set(row_fields())
        assert row["provider"] == "whispercpp" and row["backend"] == "cpu"
        assert row["dropped_frames"] == 0 and row["audio_s"] > 4
        assert row["offline_compute_s"] > 0 and row["direct_compute_s"] > 0
        assert row["pipeline_overhead"] > 0 and row["peak_rss_mb"] > 50
        # the pipeline's engine time is what its calls took: the direct replay of the same calls agrees
        assert 0.3 < row["compute_s"] / row["direct_compute_s"] < 3
    first, second = rows
    assert first["offline_compute_s"] == second["offline_compute_s"], "one offline pass per engine and model"
    table = out_md.read_text().splitlines()
    assert table[0].startswith("| provider | model | backend |") and len(table) == 4
    assert "RTF mean" in run.stdout and "latency p50" in run.stdout  # the terminal plot
    assert "whisper_" not in run.stderr, "engine logs stay in the log file"


def test_bench_with_a_missing_file_is_one_line(tmp_path: Path) -> None:
    run = echotui("bench", "--file", tmp_path / "nope.wav")
    assert (
        run.code != 0 and run.stderr.strip().startswith("echotui: error:") and "Traceback" not in run.stderr
    )
    assert len(run.stderr.strip().splitlines()) == 1


def test_bench_with_a_reference_scores_live_and_offline_words(
    real_models_dir: Path, short_speech: Speech, tmp_path: Path
) -> None:
    """On two sentences (about 6 s): scoring is the point, not the length (each row replays the file live,
    then calls the engine again on every request and once on the whole file)."""
    speech = short_speech
    reference = tmp_path / "said.txt"
    reference.write_text(speech.text)
    out_json, out_md = tmp_path / "bench.json", tmp_path / "bench.md"
    run = echotui(
        "bench", "--file", speech.path, "--models-dir", real_models_dir, "--models", "tiny.en",
        "--providers", "whispercpp,faster-whisper", "--speed", "0", "--threads", "2",
        "--reference", reference, "--json", out_json, "--markdown", out_md,
    )  # fmt: skip
    assert run.code == 0, run.stderr
    rows = json.loads(out_json.read_text())["rows"]
    assert [r["provider"] for r in rows] == ["whispercpp", "faster-whisper"]
    for row in rows:
        # real tiny.en on clear espeak-ng sentences: a few words misheard at most
        assert 0 <= row["live_wer"] < 0.35 and 0 <= row["offline_wer"] < 0.35
        if row["offline_wer"]:
            assert row["live_over_offline_wer"] == pytest.approx(row["live_wer"] / row["offline_wer"])
        p50, p95 = row["word_latency_p50_s"], row["word_latency_p95_s"]
        assert p50 is not None and p95 >= p50, "committed words timed on the offline pass's clock"
    header = out_md.read_text().splitlines()[0]
    assert "live WER" in header and "offline WER" in header and "live ÷ offline WER" in header


def test_bench_reference_must_be_readable_text(sentence_wav: Path, tmp_path: Path) -> None:
    run = echotui("bench", "--file", sentence_wav, "--reference", tmp_path / "missing.txt")
    assert run.code != 0 and "Traceback" not in run.stderr
    assert run.stderr_lines == [run.stderr_lines[0]] and "reference" in run.stderr_lines[0]


def test_word_latency_is_measured_from_the_offline_passes_word_ends() -> None:
    offline = [Word(0.0, 0.4, "Ask"), Word(0.5, 0.8, "not"), Word(1.0, 1.3, "what"), Word(1.3, 1.6, "your")]
    # live: the same words with the streaming pass's own (drifted) times, one misheard, and when each went out
    committed = [(Word(0.1, 0.5, "ask"), 2.0), (Word(0.6, 0.9, "knot"), 2.0), (Word(1.0, 1.2, "what"), 3.1)]
    assert word_latencies(committed, offline) == pytest.approx([2.0 - 0.4, 3.1 - 1.3])
