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
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from echotui import SAMPLE_RATE
from echotui.audio.file_source import DecodedFile, FileSource
from echotui.config import Settings
from echotui.pipeline.events import EngineNotice, FinalTranscribed, PipelineEvent, TranscriptRevised
from echotui.pipeline.journal import read_journal
from echotui.pipeline.output import TranscriptWriter
from echotui.pipeline.revised import apply_revision
from echotui.pipeline.revision_tuning import REVISION
from echotui.pipeline.stretches import belonging, due, finished, known_after, window_end, with_context
from echotui.providers.base import Segment, TranscribeRequest, Word
from echotui.quality import word_errors
from echotui.session import Session
from tests.cli import REAL_TIME, echotui
from tests.doubles import MisheardOracle
from tests.support.corpus import Speech
from tests.support.offline import offline_text
from tests.support.real_model import copy_ct2_tiny_en
from tests.support.speech import WordTiming, synthesize_words

SENTENCES = (
    "The quick brown fox jumps over the lazy dog.",
    "Seven bright stars rise above a quiet silver river.",
    "The old captain counts every coin.",
)
KEPT_WITHIN_OFFLINE = 1.1
"""Issue 20's goal for the kept transcript against the same model offline."""
MISHEARD = {"fox": "socks", "river.": "liver.", "captain": "cap", "coin.": "corn."}


@pytest.fixture(scope="module")
def sentences(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[WordTiming]]:
    """Three sentences, a pause of 1.2 s after each: every word's time is known."""
    words = " ".join(SENTENCES).split()
    gaps = [1.2 if word.endswith(".") else 0.12 for word in words[:-1]]
    path = tmp_path_factory.mktemp("speech") / "sentences.wav"
    return path, synthesize_words(words, path, gap_s=gaps)


def session_for(path: Path, words: list[WordTiming], **settings: object) -> tuple[Session, MisheardOracle]:
    """A session whose live engine mishears `MISHEARD`; the revision's own engine (returned) hears right.
    The revision is on by default (`--no-revise`: `revise=False`)."""
    audio = np.concatenate(list(DecodedFile(path).blocks()))
    config = Settings(provider="whispercpp", chunk_seconds=0.5, **settings)  # type: ignore[arg-type]
    session = Session(config, FileSource(path, speed=4.0), provider=MisheardOracle(words, audio, MISHEARD))
    session.pipeline.reviser.engines.provider = reviser = MisheardOracle(words, audio, MISHEARD)
    return session, reviser


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
    windows = [(start, end) for start, end, _ in oracle.requests]
    assert all(b[0] < a[1] - 1.0 for a, b in itertools.pairwise(windows)), "each hears the speech before it"
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


def test_a_window_s_context_starts_a_sentence_and_the_text_before_it_is_the_prompt(
    sentences: tuple[Path, list[WordTiming]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Prompted with half a sentence, whisper leaves the rest's capitals and stops out."""
    monkeypatch.setenv("ECHOTUI_STATE_DIR", str(tmp_path / "state"))
    path, words = sentences
    session, oracle = session_for(path, words)
    session.pipeline.reviser.tuning = replace(REVISION, context_s=2.0)  # reaches into the sentence before
    asyncio.run(session.run())
    assert [p for p in oracle.prompts if p] == [SENTENCES[0]], oracle.prompts


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


class HeldOracle(MisheardOracle):
    """A revision engine that answers only once `gate` is open (a revision that cannot keep up)."""

    def __init__(self, words: list[WordTiming], source: np.ndarray, gate: threading.Event) -> None:
        super().__init__(words, source, {})
        self.gate = gate

    def transcribe(self, request: TranscribeRequest) -> list[Segment]:
        self.gate.wait(timeout=60)
        return super().transcribe(request)


def held_session(path: Path, words: list[WordTiming]) -> tuple[Session, threading.Event]:
    """A session whose revision engine (a `HeldOracle`) answers once the returned gate is set."""
    session, _ = session_for(path, words)
    gate = threading.Event()
    audio = np.concatenate(list(DecodedFile(path).blocks()))
    session.pipeline.reviser.engines.provider = HeldOracle(words, audio, gate)
    return session, gate


def test_the_panel_s_revision_lag_is_the_age_of_the_oldest_word_not_revised_yet(
    sentences: tuple[Path, list[WordTiming]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECHOTUI_STATE_DIR", str(tmp_path / "state"))
    path, words = sentences
    session, gate = held_session(path, words)
    first: list[float] = []
    held: list[tuple[float | None, float]] = []

    def watch(event: PipelineEvent) -> None:
        if not isinstance(event, FinalTranscribed) or not event.words:
            return
        first.append(first[0] if first else event.words[0].start_s)
        clock = session.pipeline.ledger().captured / SAMPLE_RATE  # the stream's clock, from the ledger
        if not gate.is_set():  # nothing revised yet: the first word said waits
            held.append((session.pipeline.snapshot().revision_lag_s, clock - first[0]))
        if clock > 9.0:
            gate.set()

    session.listeners.append(watch)
    asyncio.run(session.run())
    assert len(held) >= 3
    assert all(lag == pytest.approx(waited) for lag, waited in held), held
    assert held[-1][1] > 5.0, "the lag grew while the revision was held"
    assert session.pipeline.reviser.lag_s() == 0.0, "caught up at the end"
    assert session.pipeline.reviser.revisions >= 2


def test_a_stop_does_not_wait_for_the_revisions_behind_and_keeps_the_live_words_there(
    sentences: tuple[Path, list[WordTiming]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECHOTUI_STATE_DIR", str(tmp_path / "state"))
    path, words = sentences
    session, gate = held_session(path, words)  # the revision cannot keep up until the user stops

    committed: list[str] = []

    def watch(event: PipelineEvent) -> None:
        if not isinstance(event, FinalTranscribed):
            return
        committed.extend(event.text.split())
        if session.pipeline.ledger().captured / SAMPLE_RATE > 9.0 and not gate.is_set():
            session.stop()  # Ctrl-C: what was captured is finished, and the revision in flight
            gate.set()

    session.listeners.append(watch)
    asyncio.run(session.run())
    assert session.pipeline.reviser.stats()["unrevised_s"] > 1.0, "the stretches waiting: not revised"
    kept = " ".join(f.text for f in session.finals).split()
    assert len(kept) == len(committed), "every word committed is kept once"
    assert "fox" in kept and "socks" in committed, "the revision in flight when the user stopped was kept"
    first = len(SENTENCES[0].split())
    assert kept[first:] == committed[first:], "the words whose revision still waited: kept as said"


def test_at_the_end_of_a_file_it_says_how_much_speech_the_revision_still_revises_and_revises_it(
    sentences: tuple[Path, list[WordTiming]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECHOTUI_STATE_DIR", str(tmp_path / "state"))
    path, words = sentences
    session, gate = held_session(path, words)  # nothing is revised before the file ends
    notices: list[str] = []

    def watch(event: PipelineEvent) -> None:
        if isinstance(event, EngineNotice) and event.provider == "revision":
            notices.append(event.message)
            gate.set()

    session.listeners.append(watch)
    asyncio.run(session.run())
    said_s = words[-1].end_s - words[0].start_s  # all of it waited: the synthesizer's own times
    assert len(notices) == 1, notices
    assert notices[0].startswith("revising the last ") and "a stop keeps the live words" in notices[0]
    assert float(notices[0].split()[3]) == pytest.approx(said_s, abs=1.0), (notices, said_s)
    assert session.save(tmp_path / "kept.txt", "txt").read_text().split() == " ".join(SENTENCES).split()


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


def test_a_stretch_is_finished_at_a_sentence_end_and_a_pause_or_at_the_latest_after_6_s() -> None:
    said = [Word(i * 0.5, i * 0.5 + 0.4, f"w{i}" + ("." if i % 10 == 9 else "")) for i in range(80)]
    assert finished(said[:8], next_s=4.0) == 0, "no sentence end yet"
    assert finished(said[:10], next_s=4.7) == 0, "a sentence end, but the next word follows at once"
    assert finished(said[:10], next_s=5.6) == 10, "a sentence end and a pause"
    assert finished(said[:8], next_s=6.0) == 8, "a long pause ends a stretch without a sentence end"
    assert finished(said, next_s=40.0) == 10, "speech that runs on: cut at the last sentence end in 6 s"
    unended = [
        Word(w.start_s + (0.3 if i > 6 else 0.0), w.end_s + (0.3 if i > 6 else 0.0), f"w{i}")
        for i, w in enumerate(said)
    ]
    assert finished(unended, next_s=40.0) == 7, "no sentence end in 6 s: cut at the widest pause"
    abutting = [Word(i * 0.3, (i + 1) * 0.3, f"w{i}") for i in range(40)]  # as faster-whisper times a lecture
    assert finished(abutting, next_s=40.0) == 20, "no pause at all: the whole 6 s, not one word per revision"


def test_a_layer_that_fell_behind_revises_the_stretches_waiting_in_one_window() -> None:
    said = [Word(i * 0.5, i * 0.5 + 0.4, f"w{i}" + ("." if i % 10 == 9 else "")) for i in range(80)]
    assert due(said[:13], next_s=6.6, most_s=16.0) == 10, "up to date on speech that runs on: one stretch"
    assert due(said, next_s=40.0, most_s=16.0) == 30, "behind: up to the last sentence end in 16 s"
    paused = [  # sentences of 3 s, a pause of 1 s after each, all committed while a revision ran
        Word(s * 4.0 + i * 0.5, s * 4.0 + i * 0.5 + 0.4, f"s{s}w{i}" + ("." if i == 5 else ""))
        for s in range(5)
        for i in range(6)
    ]
    assert due(paused[:6], next_s=4.0, most_s=16.0) == 6, "one sentence waits: it alone"
    assert due(paused, next_s=20.0, most_s=16.0) == 24, "four sentences fit 16 s: one window for them"
    assert due(paused, next_s=20.0) == 6, "without catching up: a window each"


def test_a_window_never_ends_inside_speech_no_pass_has_heard_yet() -> None:
    # "ask not" said, a pause, and "what" begun: the live layer has not heard it yet. A window that ended at
    # the clock cut "what" in two and heard "why", which went into the stretch ("ask not why what ...")
    stretch = [Word(3.12, 3.86, "ask"), Word(3.86, 4.56, "not")]
    assert window_end(stretch, [], limit_s=5.56, tail_s=0.3) == pytest.approx(4.86), "the pause, not 'what'"
    heard = [Word(5.0, 5.3, "what")]  # heard by a live pass, whole within the lookahead
    assert window_end(stretch, heard, limit_s=5.56, tail_s=0.3) == pytest.approx(5.56)
    running = [Word(4.56, 4.9, "what"), Word(4.9, 5.3, "your"), Word(5.3, 5.7, "country")]
    assert window_end(stretch, running, limit_s=5.56, tail_s=0.3) == pytest.approx(5.3), "between two words"
    assert window_end(stretch, running, limit_s=4.2, tail_s=0.3) == pytest.approx(4.56), "the stretch whole"


def test_a_window_with_speech_around_the_stretch_revises_only_the_stretch_and_keeps_its_edge_words() -> None:
    def said(text: str, start_s: float) -> list[Word]:
        return [Word(start_s + i * 0.5, start_s + i * 0.5 + 0.4, w) for i, w in enumerate(text.split())]

    before = said("And so my fellow Americans,", 0.0)  # revised already: the window's context
    own = said("ask knot what your country", 2.5)  # the stretch, as the live layer committed it
    after = said("can do", 5.0)  # what follows it, not revised yet
    heard = said("And so, my fellow Americans, ask not what your country can do", 0.0)
    assert [w.text for w in belonging(heard, before, own, after)] == "ask not what your country".split()
    split = said("my fellow Americans, asked not what your country can", 1.0)  # a boundary word misheard
    assert [w.text for w in belonging(split, before, own, after)] == "asked not what your country".split()
    assert [w.text for w in belonging(heard[:5], before, own, after)] == [], "the stretch not heard"


def test_a_window_s_context_starts_a_sentence_and_gives_way_to_the_30_s_whisper_hears() -> None:
    # kept: six sentences of 4 s said without a pause (the VAD passed it all); the stretch starts at 24 s
    kept = [Word(i * 1.0, i * 1.0 + 0.8, f"w{i}" + ("." if i % 4 == 3 else "")) for i in range(24)]
    spans = [[0, 80 * SAMPLE_RATE]]
    wide = with_context(kept, spans, 24.0, 30.0, 0.0, context_s=13.0, pad_s=0.4, most_s=29.0)
    assert wide.first == 8 and kept[wide.first].text == "w8", "13 s back lies inside a sentence: its start"
    assert wide.pieces == [(round(7.6 * SAMPLE_RATE), 30 * SAMPLE_RATE)], "from just before its first word"
    tight = with_context(kept, spans, 24.0, 40.0, 0.0, context_s=13.0, pad_s=0.4, most_s=29.0)
    assert tight.first == 12, "no room for 16 s of context before 16 s of stretch: a sentence less"
    assert sum(b - a for a, b in tight.pieces) < 29 * SAMPLE_RATE
    alone = with_context(kept, spans, 24.0, 60.0, 0.0, context_s=13.0, pad_s=0.4, most_s=29.0)
    assert alone.first == len(kept) and alone.since_s == 24.0, "a stretch of 29 s and more: heard alone"


def test_a_word_the_window_s_end_cut_is_revised_once_with_the_stretch_it_was_said_in() -> None:
    # measured (whisper.cpp, held-out continuous speech): "through storms and calm heights, and he never
    # missed", committed live as "... calm | ice, and ..." with "ice," timed 9.61-11.67 s. The first window
    # ended at 9.57 s, inside "heights", and heard "calm ice."; the next heard "calm heights, and": the kept
    # text read "calm ice. heights, and", a word doubled
    kept = [Word(8.4, 8.7, "storms"), Word(8.7, 8.95, "and")]
    first = [Word(8.95, 9.27, "calm")]
    second = [Word(9.61, 11.67, "ice,"), Word(10.17, 11.87, "and"), Word(10.31, 11.87, "he")]
    cut = [Word(8.4, 8.7, "storms"), Word(8.7, 8.96, "and"), Word(8.96, 9.14, "calm")]
    cut.append(Word(9.14, 9.14, "ice."))  # the end of the window: "heights" cut
    heard = belonging(cut, kept, first, known_after(second, end_s=9.57))
    assert [w.text for w in heard] == ["calm"]
    whole = [Word(8.96, 9.26, "calm"), Word(9.26, 9.98, "heights,"), Word(9.98, 10.14, "and")]
    whole.append(Word(10.14, 10.32, "he"))
    heard = belonging(whole, [*kept, *heard], second, [])
    assert [w.text for w in heard] == ["heights,", "and", "he"]


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
session.pipeline.reviser.engines.provider = MisheardOracle(words, audio, {})
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
def long_speech(corpus: dict[str, Speech]) -> Speech:
    """A paragraph with no pause, longer than the utterance limit (about 28 s at real time: the suite's
    corpus has it already; a revision's window holds about 20 s at most, so more speech shows no more)."""
    return corpus["continuous"]


def test_transcribe_save_keeps_the_revised_text_as_good_as_the_same_model_offline(
    real_models: dict[str, Path], long_speech: Speech, tmp_path: Path
) -> None:
    """Real tiny.en at real time: stdout streams the live lines, `--save` writes the kept transcript; the
    revision runs the model `--revise-model` names (here a copy of the same weights, in a folder of its
    own), loaded on its own thread. The kept text meets the revision's goal: within 1.1x of the same model
    on the whole file offline (whichever of live and offline is better on these 70 words changes by a word
    from run to run: the live lines beat offline in some runs, so "never worse than live" flaked)."""
    kept, stats = tmp_path / "out.txt", tmp_path / "stats.json"
    # real time: the revision layer behind a real engine's live one, as a user gets it (it works in the live
    # engine's idle time, which the computation-aware clock would skip)
    reviser = copy_ct2_tiny_en(tmp_path / "reviser" / "tiny.en")
    run = echotui(
        "transcribe", long_speech.path, "--provider", "faster-whisper", "--model-path",
        real_models["faster-whisper"], "--speed", "1", "--threads", "2", "--revise", "--save", kept,
        "--revise-model", reviser, "--stats-json", stats,
        "--governor", "off",  # on a busy machine it would pause the revision
        env={"ECHOTUI_STATE_DIR": str(tmp_path / "state"), **REAL_TIME},
    )  # fmt: skip
    assert run.code == 0, run.stderr
    offline = offline_text("faster-whisper", real_models["faster-whisper"], long_speech.path)
    revised = word_errors(long_speech.text, kept.read_text()).wer
    assert revised <= KEPT_WITHIN_OFFLINE * word_errors(long_speech.text, offline).wer + 1e-9, (
        run.stdout, kept.read_text(), offline
    )  # fmt: skip
    figures = json.loads(stats.read_text())
    assert figures["revision_delay_p50_s"] is not None and figures["unrevised_s"] is not None
    assert Path(figures["revision_model"]) == reviser
    assert figures["model"] == "tiny.en"


def test_a_revise_model_no_catalogue_knows_fails_in_one_line_before_anything_loads(
    sentences: tuple[Path, list[WordTiming]],
) -> None:
    run = echotui(
        "transcribe", sentences[0], "--provider", "faster-whisper", "--revise", "--revise-model", "tiny.xx"
    )
    assert run.code != 0
    assert len(run.stderr_lines) == 1 and "unknown faster-whisper model 'tiny.xx'" in run.stderr_lines[0]


def test_save_needs_a_known_extension(tmp_path: Path) -> None:
    run = echotui("transcribe", tmp_path / "none.wav", "--save", tmp_path / "out.doc")
    assert run.code != 0
    fix = "name the format by the file's extension (.txt .srt .vtt .jsonl)"
    assert run.stderr_lines == [f"echotui: error: --save {tmp_path / 'out.doc'}: {fix}"]
