"""`echotui replay SESSION`: run a recorded session (`--record`) again through any engine, flat out, and
show the word difference against the transcript made live — yesterday's meeting with a bigger model, or a
regression test of echotui itself. The replay uses the session's own settings (streaming policy, VAD,
engine and model) unless options override them, and a file source at speed 0 never drops audio, so the
same engine and model give the same finals: the replay's passes over the open utterance end exactly where
the session's did (the journal keeps those places), whatever the timing of either run."""

from __future__ import annotations

import asyncio
import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from echotui import SAMPLE_RATE
from echotui.audio.recording import recording_path
from echotui.config import Settings, load_settings
from echotui.errors import EchoError
from echotui.models.catalog import provider_for_path
from echotui.pipeline.events import FinalTranscribed, PipelineEvent
from echotui.pipeline.journal import SUFFIX, JournalContents, read_journal, sessions_dir
from echotui.pipeline.vad import FRAME_SAMPLES


@dataclass(frozen=True)
class WordDiff:
    """The replay's words against the recorded ones: `marked` shows them inline, [-gone-] {+new+}."""

    recorded: int
    """Words in the recorded transcript (and `replayed` in the replay's)."""
    replayed: int
    errors: int
    """Word edits from the recorded transcript to the replayed one."""
    marked: str

    @property
    def identical(self) -> bool:
        return self.errors == 0 and self.recorded == self.replayed


def find_session(spec: str, folder: Path | None = None) -> Path:
    """The journal that `spec` names: a path, a name or the start of one in the sessions folder, or
    "last" (the newest session that has a recording)."""
    path = Path(spec).expanduser()
    if path.suffix and path.exists():
        return path.with_suffix(SUFFIX)
    folder = folder or sessions_dir()
    recorded = sorted(p for p in folder.glob(f"*{SUFFIX}") if recording_path(p).exists())
    if spec == "last":
        if not recorded:
            raise EchoError(f"no recorded session in {folder}: record one with --record")
        return recorded[-1]
    matches = [p for p in sorted(folder.glob(f"*{SUFFIX}")) if p.stem.startswith(spec)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise EchoError(f"no session {spec!r} in {folder}: pass a journal path, or 'last'")
    raise EchoError(
        f"{spec!r} names {len(matches)} sessions: give more of the name (e.g. {matches[-1].stem})"
    )


def replay_settings(journal: JournalContents, overrides: dict[str, Any]) -> Settings:
    """The session's settings, with what the user gave on the command line instead."""
    values: dict[str, Any] = dict(journal.meta.get("settings", {}))
    for name in ("model_path", "models_dir", "voxtral_model"):
        if values.get(name) is not None:
            values[name] = Path(values[name])
    given = {k: v for k, v in overrides.items() if v is not None}
    if ("provider" in given or "model" in given) and "model_path" not in given:
        values["model_path"] = None  # another engine or model: not the recorded model file
    if "model_path" in given and "provider" not in given:  # the engine that loads that file or folder
        values["provider"] = provider_for_path(Path(given["model_path"]))
    values.update(given)
    values["speed"] = 0.0
    return load_settings(values)


def word_diff(recorded: list[str], replayed: list[str]) -> WordDiff:
    matcher = difflib.SequenceMatcher(None, recorded, replayed, autojunk=False)
    parts: list[str] = []
    errors = 0
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            parts.extend(recorded[i1:i2])
            continue
        errors += max(i2 - i1, j2 - j1)
        if i2 > i1:
            parts.append("[-" + " ".join(recorded[i1:i2]) + "-]")
        if j2 > j1:
            parts.append("{+" + " ".join(replayed[j1:j2]) + "+}")
    return WordDiff(len(recorded), len(replayed), errors, " ".join(parts))


async def _run(settings: Settings, audio: Path, passes: list[int], finals: list[FinalTranscribed]) -> Any:
    from echotui.audio.file_source import FileSource
    from echotui.pipeline.passes import RecordedPasses
    from echotui.pipeline.runner import Pipeline
    from echotui.providers.registry import create_provider

    def on_event(event: PipelineEvent) -> None:
        if isinstance(event, FinalTranscribed):
            finals.append(event)

    pipeline = Pipeline(create_provider(settings), settings, on_event, passes=RecordedPasses(passes))
    try:  # blocks of one VAD frame: every place a pass of the session ended is reached exactly
        await pipeline.run(FileSource(audio, speed=0, block_s=FRAME_SAMPLES / SAMPLE_RATE))
    finally:
        await pipeline.close()
    return pipeline


def replay(journal_path: Path, overrides: dict[str, Any]) -> tuple[list[FinalTranscribed], WordDiff, Any]:
    """Replay a session; returns the replayed finals, the word difference, and the pipeline."""
    audio = recording_path(journal_path)
    if not audio.exists():
        raise EchoError(f"{journal_path.name} has no recording ({audio.name}): record sessions with --record")
    journal = read_journal(journal_path)
    settings = replay_settings(journal, overrides)
    finals: list[FinalTranscribed] = []
    pipeline = asyncio.run(_run(settings, audio, journal.passes, finals))
    diff = word_diff(journal.live_text.split(), " ".join(f.text for f in finals if f.text).split())
    return finals, diff, pipeline
