"""Voxtral Realtime through one persistent process, with a stand-in executable that speaks voxtral.c's
stdin/stdout protocol (tests/fake_voxtral.py): its tokens count the non-silent samples it received."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import numpy as np
import pytest

from echotui.audio.file_source import DecodedFile, FileSource
from echotui.config import Settings
from echotui.errors import EchoError
from echotui.pipeline.events import EngineNotice, FinalTranscribed, PipelineEvent
from echotui.pipeline.runner import Pipeline
from echotui.providers.voxtral import VoxtralProvider
from tests.cli import echotui
from tests.support.speech import WordTiming

FAKE = Path(__file__).parent / "fake_voxtral.py"


@pytest.fixture
def voxtral_model(tmp_path: Path) -> Path:
    folder = tmp_path / "voxtral-model"
    folder.mkdir()
    for name in ("consolidated.safetensors", "tekken.json", "params.json"):
        (folder / name).write_text("{}")
    return folder


def nonzero_samples(path: Path) -> int:
    audio = np.concatenate(list(DecodedFile(path).blocks()))
    return int(np.count_nonzero(np.round(audio * 32767)))


def counted(finals: list[FinalTranscribed]) -> int:
    return sum(int(n) for f in finals for n in re.findall(r"n(\d+)", f.text))


def run(provider: VoxtralProvider, path: Path) -> tuple[Pipeline, list[PipelineEvent]]:
    events: list[PipelineEvent] = []
    config = Settings(chunk_seconds=0.5, max_utterance_seconds=3.0, queue_seconds=10, vad=False)
    pipeline = Pipeline(provider, config, events.append)

    async def main() -> None:
        await pipeline.run(FileSource(path, speed=0))
        await pipeline.close()

    asyncio.run(main())
    return pipeline, events


def test_one_process_hears_every_sample_once(
    timed_words: tuple[Path, list[WordTiming]], voxtral_model: Path
) -> None:
    path, _ = timed_words
    provider = VoxtralProvider(str(FAKE), voxtral_model, interval_s=0.25)
    pipeline, events = run(provider, path)
    finals = [e for e in events if isinstance(e, FinalTranscribed)]
    assert len(finals) > 3
    assert counted(finals) == nonzero_samples(path)
    assert provider.restarts == 0
    ledger = pipeline.ledger()
    assert ledger.balanced and ledger.pending == 0 and ledger.transcribed == ledger.captured
    assert provider._process is None, "closing the pipeline ended the process"


def test_a_process_that_dies_is_restarted_reported_and_resent(
    timed_words: tuple[Path, list[WordTiming]],
    voxtral_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, _ = timed_words
    monkeypatch.setenv("FAKE_VOXTRAL_DIE_AFTER", "4.2")
    monkeypatch.setenv("FAKE_VOXTRAL_DIE_FLAG", str(tmp_path / "died"))
    provider = VoxtralProvider(str(FAKE), voxtral_model, interval_s=0.25)
    pipeline, events = run(provider, path)
    assert (tmp_path / "died").exists(), "the first process did die"
    assert provider.restarts == 1
    notices = [e for e in events if isinstance(e, EngineNotice)]
    assert len(notices) == 1 and "restarted" in notices[0].message
    finals = [e for e in events if isinstance(e, FinalTranscribed)]
    assert counted(finals) == nonzero_samples(path), "re-sent, not lost or doubled"
    ledger = pipeline.ledger()
    assert ledger.balanced and ledger.pending == 0


def test_a_binary_that_cannot_start_is_one_line(voxtral_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_VOXTRAL_FAIL", "1")
    with pytest.raises(EchoError, match="voxtral exited at start"):
        VoxtralProvider(str(FAKE), voxtral_model).load()


def test_missing_binary_and_model_folder(tmp_path: Path, voxtral_model: Path) -> None:
    with pytest.raises(EchoError, match="ECHOTUI_VOXTRAL_BIN"):
        VoxtralProvider(str(tmp_path / "nope"), voxtral_model).load()
    with pytest.raises(EchoError, match=r"lacks consolidated\.safetensors"):
        VoxtralProvider(str(FAKE), tmp_path).load()


def test_transcribe_cli_with_voxtral(sentence_wav: Path, voxtral_model: Path, tmp_path: Path) -> None:
    stats_path = tmp_path / "stats.json"
    result = echotui(
        "transcribe", sentence_wav, "--provider", "voxtral", "--speed", "0", "--stats-json", stats_path,
        env={"ECHOTUI_VOXTRAL_BIN": str(FAKE), "ECHOTUI_VOXTRAL_MODEL": str(voxtral_model)},
    )  # fmt: skip
    assert result.code == 0, result.stderr
    stats = json.loads(stats_path.read_text())
    assert stats["provider"] == "voxtral" and stats["segments"] >= 1
    assert stats["samples"]["pending"] == 0 and stats["transcribed_s"] > 2
    assert re.search(r"n\d+", result.stdout)
