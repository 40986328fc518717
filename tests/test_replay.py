"""`--record` keeps the session's audio beside its journal; `echotui replay` runs it again, through the same
engine or another, and shows the word difference against what was transcribed live."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from echotui.audio.file_source import DecodedFile
from echotui.pipeline.journal import read_journal
from echotui.replay import find_session, word_diff
from tests.cli import AWARE, echotui
from tests.support.corpus import Speech


@pytest.fixture
def state(tmp_path: Path) -> dict[str, str]:
    return {"ECHOTUI_STATE_DIR": str(tmp_path / "state")}


@pytest.fixture
def speech(short_speech: Speech) -> Speech:
    """Two sentences and a pause (about 6 s): a session of two utterances, short, as each replay makes
    every pass of it again (a random-weight model's passes cost the most)."""
    return short_speech


def test_a_recorded_session_replays_word_for_word_and_against_another_model(
    speech: Speech, real_models: dict[str, Path], tiny_model: Path, state: dict[str, str], tmp_path: Path
) -> None:
    model = real_models["faster-whisper"]
    # the computation-aware clock: a real engine's live session as at real time, where its passes fall
    # (no latency measured: the idle waiting is skipped)
    live = echotui(
        "transcribe", speech.path, "--provider", "faster-whisper", "--model-path", model, "--speed", "1",
        "--record", "--threads", "2", env={**state, **AWARE},
    )  # fmt: skip
    assert live.code == 0, live.stderr
    (journal_path,) = (Path(state["ECHOTUI_STATE_DIR"]) / "sessions").glob("*.jsonl")
    recording = journal_path.with_suffix(".wv")
    heard = np.concatenate(list(DecodedFile(speech.path).blocks()))
    kept = np.concatenate(list(DecodedFile(recording).blocks()))
    assert np.array_equal(kept, heard), "the recording is the captured audio, bit for bit"
    assert recording.stat().st_size < kept.nbytes * 0.8, "and it is compressed"
    journal = read_journal(journal_path)
    recorded = journal.live_text.split()  # (a replay runs the live layer again)
    assert len(recorded) >= 15, recorded
    said = speech.text.lower().replace(".", "").split()
    assert sum(w in " ".join(recorded).lower() for w in said) >= len(said) // 2, "real speech"
    assert len(journal.passes) >= 2, "passes the replay must make again where they fell"

    same = echotui("replay", "last", "--threads", "2", env=state)
    assert same.code == 0, same.stderr
    assert same.stdout.strip() == " ".join(recorded)
    assert "identical (WER 0.0%)" in same.stderr_lines[-1]

    out = tmp_path / "other.txt"  # a ggml file: replay works the engine out from the path, as transcribe does
    other = echotui(
        "replay", journal_path.stem, "--model-path", tiny_model, "-o", out, "--threads", "2", env=state,
    )  # fmt: skip
    assert other.code == 0, other.stderr
    assert "[-" in other.stdout and "word edits" in other.stderr_lines[-1]
    assert "whispercpp ggml-tiny.en.bin" in other.stderr_lines[-1]
    assert out.read_text().strip(), "the replayed transcript is written"


def test_word_diff_marks_what_changed() -> None:
    diff = word_diff("the quick brown fox".split(), "the quick red fox jumps".split())
    assert diff.marked == "the quick [-brown-] {+red+} fox {+jumps+}"
    assert (diff.errors, diff.recorded, diff.replayed, diff.identical) == (2, 4, 5, False)
    assert word_diff(["a"], ["a"]).identical


def test_unknown_session_and_a_session_without_recording_are_one_line(
    state: dict[str, str], tmp_path: Path
) -> None:
    folder = Path(state["ECHOTUI_STATE_DIR"]) / "sessions"
    folder.mkdir(parents=True)
    (folder / "20261127-101010.jsonl").write_text('{"type": "session", "settings": {}}\n')
    with pytest.raises(Exception, match="no session 'nope'"):
        find_session("nope", folder)
    run = echotui("replay", "20261127", env=state)
    assert run.code == 1 and run.stderr_lines == [
        "echotui: error: 20261127-101010.jsonl has no recording (20261127-101010.wv): "
        "record sessions with --record"
    ]
    run = echotui("replay", "last", env=state)
    assert run.code == 1 and "no recorded session" in run.stderr
