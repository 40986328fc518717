"""The sessions kept on disk: a run that transcribed nothing leaves no journal, and `echotui sessions`
lists what is kept and prunes what is not worth keeping."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import numpy as np
import pytest

from echotui.audio.file_source import DecodedFile, FileSource
from echotui.config import Settings
from echotui.session import Session
from tests.cli import echotui
from tests.doubles import WordOracleProvider
from tests.support.speech import WordTiming

SETTINGS = Settings(provider="whispercpp", chunk_seconds=0.5, max_utterance_seconds=3.0, queue_seconds=10)


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("ECHOTUI_STATE_DIR", str(tmp_path / "state"))
    return {"ECHOTUI_STATE_DIR": str(tmp_path / "state")}


def journals(state: dict[str, str]) -> list[Path]:
    return sorted((Path(state["ECHOTUI_STATE_DIR"]) / "sessions").glob("*.jsonl"))


def test_a_run_that_fails_before_any_text_leaves_no_journal(
    state: dict[str, str], sentence_wav: Path, tmp_path: Path
) -> None:
    junk = tmp_path / "ggml-tiny.en.bin"
    junk.write_bytes(b"not a model" * 100)
    run = echotui("transcribe", sentence_wav, "--model-path", junk, env=state)
    assert run.code != 0 and "not a whisper.cpp ggml model" in run.stderr
    assert "journal" not in run.stderr, "no journal is named: none is kept"
    assert journals(state) == []


def test_a_session_that_heard_no_words_leaves_no_journal_but_one_with_words_does(
    state: dict[str, str], timed_words: tuple[Path, list[WordTiming]]
) -> None:
    path, words = timed_words
    audio = np.concatenate(list(DecodedFile(path).blocks()))
    quiet = Session(SETTINGS, FileSource(path, speed=0), provider=WordOracleProvider([], audio))
    asyncio.run(quiet.run())
    assert quiet.journal is not None and not quiet.journal.kept
    assert not quiet.journal.path.exists()

    spoken = Session(SETTINGS, FileSource(path, speed=0), provider=WordOracleProvider(words, audio))
    asyncio.run(spoken.run())
    assert spoken.journal is not None and spoken.journal.kept
    assert journals(state) == [spoken.journal.path]


def crashed_before_any_text(folder: Path, name: str) -> Path:
    """What `kill -9` leaves when it comes before the first line: the journal's first record only."""
    path = folder / f"{name}.jsonl"
    path.write_text(json.dumps({"type": "session", "started": time.time(), "source": "file talk.wav"}) + "\n")
    return path


def test_sessions_lists_what_is_kept_and_prunes_empty_and_old_ones(
    state: dict[str, str], timed_words: tuple[Path, list[WordTiming]]
) -> None:
    path, words = timed_words
    audio = np.concatenate(list(DecodedFile(path).blocks()))
    for _ in range(2):
        asyncio.run(
            Session(SETTINGS, FileSource(path, speed=0), provider=WordOracleProvider(words, audio)).run()
        )
    old, recent = journals(state)
    lines = old.read_text().splitlines()
    meta = json.loads(lines[0])
    meta["started"] -= 40 * 86_400  # forty days ago
    old.write_text("\n".join([json.dumps(meta), *lines[1:]]) + "\n")
    empty = crashed_before_any_text(old.parent, "20260101-000000")

    listed = echotui("sessions", env=state)
    assert listed.code == 0, listed.stderr
    rows = {line.split()[0]: line for line in listed.stdout.splitlines()[:-1]}
    assert set(rows) == {old.stem, recent.stem, empty.stem}
    spoken = len(" ".join(w.word for w in words).split())
    assert f"{spoken} words" in rows[recent.stem] and f"file {path.name}" in rows[recent.stem]
    assert " 0 lines" in rows[empty.stem] and "cut short" in rows[empty.stem]
    assert listed.stdout.splitlines()[-1].startswith("3 sessions in ")

    pruned = echotui("sessions", "--prune", env=state)
    assert pruned.code == 0 and pruned.stdout.startswith("removed 1 session ")
    assert journals(state) == [old, recent], "the one that never held a line is gone"

    aged = echotui("sessions", "--prune", "--older-than", "30", env=state)
    assert aged.code == 0 and aged.stdout.startswith("removed 1 session ")
    assert journals(state) == [recent]


def test_older_than_without_prune_is_one_line(state: dict[str, str]) -> None:
    run = echotui("sessions", "--older-than", "3", env=state)
    assert run.code != 0 and run.stderr_lines == [
        "echotui: error: --older-than only applies with --prune: echotui sessions --prune --older-than DAYS"
    ]
