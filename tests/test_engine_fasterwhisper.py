"""faster-whisper (CTranslate2) on a built random-weight model, through the same pipeline and stats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from echotui.errors import EchoError
from echotui.providers.fasterwhisper import choose_compute, choose_device
from tests.cli import echotui


def test_speech_through_faster_whisper_offline(
    ct2_models_dir: Path, sentence_wav: Path, tmp_path: Path
) -> None:
    out, stats_path = tmp_path / "out.jsonl", tmp_path / "stats.json"
    run = echotui(
        "transcribe", sentence_wav, "--provider", "faster-whisper", "--models-dir", ct2_models_dir,
        "--model", "tiny.en", "--speed", "0", "--format", "jsonl", "--output", out,
        "--stats-json", stats_path, "--threads", "2",
        env={"HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    assert run.code == 0, run.stderr
    stats = json.loads(stats_path.read_text())
    assert (stats["provider"], stats["model"], stats["backend"]) == ("faster-whisper", "tiny.en", "cpu")
    samples = stats["samples"]
    assert samples["captured"] == samples["transcribed"] + samples["vad_skipped"] + samples["dropped"]
    assert samples["pending"] == 0 and stats["transcribed_s"] > 2
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert any(line["final"] and line["text"] for line in lines)
    assert len([line for line in run.stderr.splitlines() if line.strip()]) == 1, run.stderr


def test_model_folder_that_is_not_ctranslate2(sentence_wav: Path, tmp_path: Path) -> None:
    run = echotui("transcribe", sentence_wav, "--provider", "faster-whisper", "--model-path", tmp_path)
    assert run.code != 0 and "Traceback" not in run.stderr
    assert run.stderr.startswith("echotui: error: ") and "not a CTranslate2 model folder" in run.stderr


def test_device_auto_uses_cuda_only_when_ctranslate2_sees_it() -> None:
    assert choose_device("auto", cuda_devices=0) == "cpu"
    assert choose_device("auto", cuda_devices=1) == "cuda"
    assert choose_compute("default", "cuda") == "float16"
    assert choose_compute("default", "cpu") == "int8"
    assert choose_compute("int8_float16", "cuda") == "int8_float16"
    with pytest.raises(EchoError, match="no Metal backend"):
        choose_device("metal", cuda_devices=0)
    with pytest.raises(EchoError, match="no CUDA device"):
        choose_device("cuda", cuda_devices=0)
