"""The words a user keeps are revised: behind the live words, each finished stretch of speech is decoded
again with long context, and what the short live windows misheard is put right in the journal, the saved
transcript and `--save`, while the live stream stays as it went out. A revision never loses or doubles a
committed word, and after `kill -9` the journal holds the latest text."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from echotui.audio.file_source import DecodedFile, FileSource
from echotui.config import Settings
from echotui.pipeline.events import FinalTranscribed, PipelineEvent, TranscriptRevised
from echotui.pipeline.journal import read_journal
from echotui.pipeline.output import TranscriptWriter
from echotui.pipeline.revised import apply_revision
from echotui.pipeline.revision import finished
from echotui.providers.base import Word
from echotui.quality import word_errors
from echotui.session import Session
from tests.cli import echotui
from tests.doubles import MisheardOracle
from tests.support.corpus import Speech, runs_on
from tests.support.speech import WordTiming, synthesize_words

SENTENCES = (
    "The quick brown fox jumps over the lazy dog.",
    "Seven bright stars rise above a quiet silver river.",
    "The old captain counts every coin.",
)
MISHEARD = {"fox": "socks", "river.": "liver.", "captain": "cap", "coin.": "corn."}


@pytest.fixture(scope="module")
def sentences(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[WordTiming]]:
    """Three sentences, a pause of 1.2 s after each: every word's time is known."""
    words = " ".join(SENTENCES).split()
    gaps = [1.2 if word.endswith(".") else 0.12 for word in words[:-1]]
    path = tmp_path_factory.mktemp("speech") / "sentences.wav"
    return path, synthesize_words(words, path, gap_s=gaps)


def session_for(path: Path, words: list[WordTiming], **settings: object) -> tuple[Session, MisheardOracle]:
    audio = np.concatenate(list(DecodedFile(path).blocks()))
    oracle = MisheardOracle(words, audio, MISHEARD)
    settings.setdefault("revise", True)
    config = Settings(provider="whispercpp", chunk_seconds=0.5, **settings)  # type: ignore[arg-type]
    return Session(config, FileSource(path, speed=4.0), provider=oracle), oracle


def test_misheard_words_come_out_revised_in_the_journal_and_the_saved_file(
    sentences: tuple[Path, list[WordTiming]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECHOTUI_STATE_DIR", str(tmp_path / "state"))
    path, words = sentences
    session, oracle = session_for(path, words)
    events: list[PipelineEvent] = []
    session.listeners.append(events.append)
    asyncio.run(session.run())

    live = " ".join(e.text for e in events if isinstance(e, FinalTranscribed) and e.text)
    assert "socks" in live and "liver." in live, "the live words went out as the short windows heard them"
    assert oracle.long_windows >= 2, "finished speech was decoded again, a stretch at a time"
    said = " ".join(SENTENCES)
    assert session.journal is not None
    journal = read_journal(session.journal.path)
    assert journal.revisions >= 2 and journal.text == said
    saved = session.save(tmp_path / "kept.txt", "txt").read_text()
    assert saved.split() == said.split()
    assert saved.splitlines()[0] == SENTENCES[0], "a line per sentence, as the live text would be"
    srt = session.save(tmp_path / "kept.srt", "srt").read_text()
    assert "fox" in srt and "socks" not in srt

    stream = io.StringIO()  # the jsonl stream: live lines as they went out, then the revision's own line
    writer = TranscriptWriter(stream, "jsonl")
    for event in events:
        writer(event)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    fixes = [line for line in lines if line.get("revision")]
    assert any("socks" in f["replaces"] and "fox" in f["text"].split() for f in fixes), fixes
    assert all(f["replaces"] == " ".join(w[2] for w in f["replaced_words"]) for f in fixes)
    assert not any(f["final"] for f in fixes), "a reader of the final lines keeps the live text"


def test_a_revision_never_loses_or_doubles_a_committed_word(
    sentences: tuple[Path, list[WordTiming]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECHOTUI_STATE_DIR", str(tmp_path / "state"))
    path, words = sentences
    session, _ = session_for(path, words)
    events: list[PipelineEvent] = []
    ledgers = []

    def watch(event: PipelineEvent) -> None:
        events.append(event)
        ledgers.append(session.pipeline.ledger())

    session.listeners.append(watch)
    asyncio.run(session.run())

    assert all(ledger.balanced for ledger in ledgers), "every sample accounted for at every event"
    committed = [w for e in events if isinstance(e, FinalTranscribed) for w in e.words]
    revisions = [e for e in events if isinstance(e, TranscriptRevised)]
    replaced = [w for r in revisions for w in r.replaced]
    assert len(set(replaced)) == len(replaced), "no committed word is replaced twice"
    assert set(replaced) <= set(committed), "a revision replaces only words that went out"
    kept: list[FinalTranscribed] = [e for e in events if isinstance(e, FinalTranscribed)]
    for revision in revisions:
        kept = apply_revision(kept, revision)
    timeline = [w for f in kept for w in f.words]
    assert [w.text for w in timeline] == " ".join(SENTENCES).split()
    assert all(a.start_s <= b.start_s for a, b in itertools.pairwise(timeline)), "in the order said"
    assert kept == session.finals


def test_with_no_revise_the_live_words_are_what_is_kept(
    sentences: tuple[Path, list[WordTiming]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECHOTUI_STATE_DIR", str(tmp_path / "state"))
    path, words = sentences
    session, oracle = session_for(path, words, revise=False)
    asyncio.run(session.run())
    assert oracle.long_windows == 0
    assert "socks" in session.save(tmp_path / "kept.txt", "txt").read_text()
    assert session.pipeline.reviser.stats()["revision_delay_p50_s"] is None


def test_a_stretch_is_finished_at_a_sentence_end_and_a_pause_or_at_the_latest_after_25_s() -> None:
    said = [Word(i * 0.5, i * 0.5 + 0.4, f"w{i}" + ("." if i % 10 == 9 else "")) for i in range(80)]
    assert finished(said[:8], next_s=4.0) == 0, "no sentence end yet"
    assert finished(said[:10], next_s=4.7) == 0, "a sentence end, but the next word follows at once"
    assert finished(said[:10], next_s=5.6) == 10, "a sentence end and a pause"
    assert finished(said[:8], next_s=6.0) == 8, "a long pause ends a stretch without a sentence end"
    assert finished(said, next_s=40.0) == 50, "speech that runs on: cut at the last sentence end in 25 s"


KILLED_CHILD = """
import asyncio, os, signal, sys
from pathlib import Path
import numpy as np
from echotui.audio.file_source import DecodedFile, FileSource
from echotui.config import Settings
from echotui.pipeline.events import TranscriptRevised
from echotui.session import Session
from tests.doubles import MisheardOracle
from tests.support.speech import WordTiming
path, words = Path(sys.argv[1]), [WordTiming(w, float(a), float(b)) for w, a, b in eval(sys.argv[2])]
audio = np.concatenate(list(DecodedFile(path).blocks()))
oracle = MisheardOracle(words, audio, eval(sys.argv[3]))
session = Session(
    Settings(provider="whispercpp", chunk_seconds=0.5, revise=True), FileSource(path, speed=4.0), oracle
)
def on_event(event):
    if isinstance(event, TranscriptRevised) and event.end_s > 5:  # journaled before listeners hear it
        os.kill(os.getpid(), signal.SIGKILL)
session.listeners.append(on_event)
asyncio.run(session.run())
"""


def test_after_kill_9_the_journal_holds_the_revised_text(
    sentences: tuple[Path, list[WordTiming]], tmp_path: Path
) -> None:
    path, words = sentences
    timings = repr([(w.word, w.start_s, w.end_s) for w in words])
    env = {**os.environ, "ECHOTUI_STATE_DIR": str(tmp_path), "PYTHONPATH": str(Path(__file__).parent.parent)}
    child = subprocess.run(
        [sys.executable, "-c", KILLED_CHILD, str(path), timings, repr(MISHEARD)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert child.returncode == -signal.SIGKILL, child.stderr
    (journal_path,) = (tmp_path / "sessions").glob("*.jsonl")
    journal = read_journal(journal_path)
    assert journal.end is None, "killed: no end record"
    assert journal.text.startswith(" ".join(SENTENCES[:2])), "the first two sentences, revised"
    records = [json.loads(line) for line in journal_path.read_text().splitlines()]
    assert any("liver." in r.get("text", "") for r in records if r["type"] == "final")


@pytest.fixture(scope="module")
def long_speech(tmp_path_factory: pytest.TempPathFactory) -> Speech:
    return runs_on(tmp_path_factory.mktemp("runs-on"))


def test_transcribe_save_keeps_the_revised_text_no_worse_than_the_live_lines(
    real_models: dict[str, Path], long_speech: Speech, tmp_path: Path
) -> None:
    """Real tiny.en at real time: stdout streams the live lines, `--save` writes the kept transcript."""
    kept, stats = tmp_path / "out.txt", tmp_path / "stats.json"
    run = echotui(
        "transcribe", long_speech.path, "--provider", "faster-whisper", "--model-path",
        real_models["faster-whisper"], "--speed", "1", "--threads", "2", "--revise", "--save", kept,
        "--stats-json", stats, "--governor", "off",  # on a busy machine it would pause the revision
        env={"ECHOTUI_STATE_DIR": str(tmp_path / "state")},
    )  # fmt: skip
    assert run.code == 0, run.stderr
    live = word_errors(long_speech.text, run.stdout).wer
    revised = word_errors(long_speech.text, kept.read_text()).wer
    assert revised <= live, (run.stdout, kept.read_text())
    figures = json.loads(stats.read_text())
    assert figures["revision_delay_p50_s"] is not None and figures["unrevised_s"] is not None


def test_save_needs_a_known_extension(tmp_path: Path) -> None:
    run = echotui("transcribe", tmp_path / "none.wav", "--save", tmp_path / "out.doc")
    assert run.code != 0
    fix = "name the format by the file's extension (.txt .srt .vtt .jsonl)"
    assert run.stderr_lines == [f"echotui: error: --save {tmp_path / 'out.doc'}: {fix}"]
