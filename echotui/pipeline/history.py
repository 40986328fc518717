"""The sessions kept on disk: each journal (and its recording, if any) listed with what it holds, and the
ones not worth keeping pruned: journals that hold no line (a crash before any text), and, when asked,
sessions older than a number of days."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from echotui.audio.recording import recording_path
from echotui.pipeline.journal import SUFFIX, read_journal, sessions_dir

DAY_S = 86_400.0


@dataclass(frozen=True)
class SessionSummary:
    """One kept session.

    Attributes:
        path: its journal.
        started: when it started (seconds since the epoch).
        lines: final lines it holds; `words` the words in them.
        audio_s: seconds of audio it covered (the end of its last line), 0 with no line.
        source: what it transcribed (a file, a device).
        recording: its recording beside the journal, None without.
        ended: False when the session never wrote its end (it crashed or was killed).
    """

    path: Path
    started: float
    lines: int
    words: int
    audio_s: float
    source: str
    recording: Path | None
    ended: bool


def summarize(path: Path) -> SessionSummary:
    journal = read_journal(path)
    texts = [f.text for f in journal.finals if f.text]
    recording = recording_path(path)
    return SessionSummary(
        path=path,
        started=float(journal.meta.get("started", path.stat().st_mtime)),
        lines=len(texts),
        words=sum(len(text.split()) for text in texts),
        audio_s=max((f.end_s for f in journal.finals), default=0.0),
        source=str(journal.meta.get("source", "?")),
        recording=recording if recording.exists() else None,
        ended=journal.end is not None,
    )


def list_sessions(folder: Path | None = None) -> list[SessionSummary]:
    """Every kept session, oldest first."""
    folder = folder or sessions_dir()
    return sorted((summarize(p) for p in folder.glob(f"*{SUFFIX}")), key=lambda s: s.started)


def worth_keeping(session: SessionSummary, older_than_days: float | None, now: float) -> bool:
    """A session holding a line (or a recording), younger than `older_than_days` when that is given."""
    if older_than_days is not None and now - session.started > older_than_days * DAY_S:
        return False
    return session.lines > 0 or session.recording is not None


def prune(folder: Path | None = None, older_than_days: float | None = None) -> list[SessionSummary]:
    """Delete the sessions not `worth_keeping` (journal and recording); returns what was deleted."""
    now = time.time()
    gone = [s for s in list_sessions(folder) if not worth_keeping(s, older_than_days, now)]
    for session in gone:
        session.path.unlink(missing_ok=True)
        if session.recording is not None:
            session.recording.unlink(missing_ok=True)
    return gone
