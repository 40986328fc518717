"""The session journal: every final appended to a jsonl file and flushed the moment it arrives, so the
transcript survives any exit (a crash or `kill -9` loses at most the utterance still being spoken).

One file per session in the state folder (`$ECHOTUI_STATE_DIR`, else `$XDG_STATE_HOME/echotui`, else
~/.local/state/echotui), under `sessions/`, named by the local time the session started. Records, one
JSON object a line, each with a `type`:

- `session`: the start: time, source, and the settings that decide the transcript (for `echotui replay`);
- `model`: a model began transcribing (provider, model, backend);
- `final`: an utterance's final text and captions, on the stream timeline;
- `revision`: finished speech decoded again (`TranscriptRevised`): the committed words it replaces and the
  new ones; reading the journal applies it, so the text read back is the latest (after `kill -9` too);
- `pass`: where a pass over the open utterance ended (a timeline index), so a replay passes there too;
- `dropped`, `engine_failed`, `resent` (a window a server did not answer, sent again), `device_lost`,
  `device_restored`: what happened to the audio;
- `overload` (an episode of falling behind: once when it began, once when it ended, with its total) and
  `governor` (each step the overload governor took, down or back up);
- `end`: the ledger, and why the session stopped if it failed.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from echotui import SAMPLE_RATE
from echotui.config import Settings
from echotui.pipeline.events import (
    AudioDropped,
    DeviceLost,
    DeviceRestored,
    EngineFailed,
    FinalTranscribed,
    GovernorStepped,
    ModelLoaded,
    OverloadEpisode,
    PartialTranscribed,
    PipelineEvent,
    ProviderSwapped,
    TranscriptRevised,
    WindowResent,
)
from echotui.pipeline.metrics import Ledger
from echotui.pipeline.revised import apply_revision
from echotui.providers.base import Segment, Word

SUFFIX = ".jsonl"

log = logging.getLogger(__name__)


def state_dir() -> Path:
    """Where echotui keeps what outlives a session (journals, recordings)."""
    override = os.environ.get("ECHOTUI_STATE_DIR")
    if override:
        return Path(override).expanduser()
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "echotui"


def sessions_dir() -> Path:
    return state_dir() / "sessions"


def _new_path(folder: Path, started: float) -> Path:
    stem = time.strftime("%Y%m%d-%H%M%S", time.localtime(started))
    path, n = folder / f"{stem}{SUFFIX}", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}{SUFFIX}"
    return path


class Journal:
    """Appends a session's events to its jsonl file as they happen; a pipeline listener.

    Attributes:
        path: the journal file.
        finals: finals with text written so far (the lines of the transcript).
        kept: False once `close()` deleted the journal (nothing was transcribed).
    """

    def __init__(self, meta: dict[str, Any], folder: Path | None = None) -> None:
        folder = folder or sessions_dir()
        folder.mkdir(parents=True, exist_ok=True)
        started = time.time()
        self.path = _new_path(folder, started)
        self.finals = 0
        self.kept = True
        self._stream: TextIO | None = self.path.open("x", encoding="utf-8")
        self._write({"type": "session", "started": started, **meta})

    @property
    def stem(self) -> Path:
        """The path without its suffix: a recording of the session lies beside it (`stem` + ".flac")."""
        return self.path.with_suffix("")

    def _write(self, record: dict[str, Any]) -> None:
        if self._stream is None:
            return
        self._stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._stream.flush()  # in the kernel now: a killed process loses nothing written

    def __call__(self, event: PipelineEvent) -> None:
        if isinstance(event, FinalTranscribed):
            self.finals += bool(event.text)
            self._write({"type": "final", **asdict(event), "text": event.text})
        elif isinstance(event, TranscriptRevised):
            self._write({"type": "revision", **asdict(event), "text": event.text})
        elif isinstance(event, PartialTranscribed):
            self._write(
                {"type": "pass", "utterance_id": event.utterance_id, "end": round(event.end_s * SAMPLE_RATE)}
            )
        elif isinstance(event, ModelLoaded | ProviderSwapped):
            self._write({"type": "model", **asdict(event.model)})
        elif isinstance(event, AudioDropped):
            self._write({"type": "dropped", "start_s": event.start_s, "seconds": event.seconds})
        elif isinstance(event, EngineFailed):
            self._write({"type": "engine_failed", **asdict(event)})
        elif isinstance(event, WindowResent):
            self._write({"type": "resent", **asdict(event)})
        elif isinstance(event, DeviceLost):
            self._write({"type": "device_lost", **asdict(event)})
        elif isinstance(event, DeviceRestored):
            self._write({"type": "device_restored", **asdict(event)})
        elif isinstance(event, OverloadEpisode) and event.change != "grew":
            self._write({"type": "overload", **asdict(event)})
        elif isinstance(event, GovernorStepped):
            self._write({"type": "governor", **asdict(event)})

    def close(
        self, ledger: Ledger | None = None, failure: str | None = None, keep_empty: bool = False
    ) -> None:
        """Write the end record and close (idempotent). A journal that holds no line is deleted instead,
        unless `keep_empty` (a recording lies beside it): a session that transcribed nothing leaves none."""
        if self._stream is None:
            return
        self._write({"type": "end", "ended": time.time(), "ledger": asdict(ledger) if ledger else None,
                     "failure": failure})  # fmt: skip
        self._stream.close()
        self._stream = None
        if self.finals == 0 and not keep_empty:
            self.path.unlink(missing_ok=True)
            self.kept = False


@dataclass
class JournalContents:
    """A journal read back: the session's settings, its models, finals (with the revisions applied: the
    text the user keeps), the finals as they went out live, the number of revisions and the end record."""

    path: Path
    meta: dict[str, Any]
    finals: list[FinalTranscribed] = field(default_factory=list)
    models: list[dict[str, Any]] = field(default_factory=list)
    passes: list[int] = field(default_factory=list)
    live: list[FinalTranscribed] = field(default_factory=list)
    revisions: int = 0
    end: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        return " ".join(f.text for f in self.finals if f.text)

    @property
    def live_text(self) -> str:
        """The text as the live layer sent it, before any revision (what `echotui replay` reproduces)."""
        return " ".join(f.text for f in self.live if f.text)


def _segment(record: dict[str, Any]) -> Segment:
    words = tuple(Word(**w) for w in record.pop("words", ()))
    return Segment(words=words, **record)


def read_journal(path: Path) -> JournalContents:
    """Read a journal; a last line cut short by a crash is ignored."""
    contents = JournalContents(path, {})
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        kind = record.pop("type", None)
        if kind == "session":
            contents.meta = record
        elif kind == "final":
            record.pop("text", None)
            captions = tuple(_segment(c) for c in record.pop("captions"))
            words = tuple(Word(**w) for w in record.pop("words", ()))
            contents.finals.append(FinalTranscribed(captions=captions, words=words, **record))
            contents.live.append(contents.finals[-1])
        elif kind == "revision":
            record.pop("text", None)
            replaced = tuple(Word(**w) for w in record.pop("replaced"))
            words = tuple(Word(**w) for w in record.pop("words"))
            revision = TranscriptRevised(replaced=replaced, words=words, **record)
            contents.finals = apply_revision(contents.finals, revision)
            contents.revisions += 1
        elif kind == "pass":
            contents.passes.append(int(record["end"]))
        elif kind == "model":
            contents.models.append(record)
        elif kind == "end":
            contents.end = record
    return contents


REPLAYED_SETTINGS = (
    "provider", "model", "model_path", "models_dir", "whisper_device", "whisper_compute", "chunk_seconds",
    "max_utterance_seconds", "min_silence_seconds", "queue_seconds", "vad", "vad_aggressiveness",
    "threads", "language", "voxtral_model", "voxtral_interval",
)  # fmt: skip
"""The settings a journal keeps so that `echotui replay` can run the session again the same way."""


def session_meta(settings: Settings, source: str) -> dict[str, Any]:
    values = {name: getattr(settings, name) for name in REPLAYED_SETTINGS}
    return {
        "source": source,
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in values.items()},
    }


def open_journal(settings: Settings, source: str, folder: Path | None = None) -> Journal | None:
    """A journal for a new session, or None (logged) if the state folder cannot be written: the session
    still runs, and any --output still gets the transcript."""
    try:
        return Journal(session_meta(settings, source), folder)
    except OSError:
        log.warning("cannot write a session journal in %s", folder or sessions_dir(), exc_info=True)
        return None
