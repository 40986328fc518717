"""`echotui transcribe`: a file or a device to a transcript, without the UI, through the same `Session`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from echotui.audio.demo import demo_file
from echotui.audio.opening import open_source
from echotui.cli.parser import settings_from_args
from echotui.config import export_token
from echotui.errors import EchoError, say
from echotui.models.catalog import check_model_name
from echotui.pipeline.events import (
    DeviceLost,
    DeviceRestored,
    EngineFailed,
    EngineNotice,
    GovernorStepped,
    ModelLoaded,
    OverloadEpisode,
    PipelineEvent,
    SwapFailed,
    notice,
)
from echotui.pipeline.output import FORMATS, TranscriptWriter
from echotui.pipeline.report import stats_dict
from echotui.selection.auto import auto_select
from echotui.session import Session
from echotui.transcript import counted


@contextlib.contextmanager
def _open_output(path: Path | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    try:
        stream = path.open("w", encoding="utf-8")
    except OSError as error:
        raise EchoError(f"cannot write {path}: {error.strerror}: choose another --output") from None
    with stream:
        yield stream


def cmd_transcribe(args: argparse.Namespace) -> int:
    settings, explicit = settings_from_args(args)
    export_token(settings)
    path = demo_file(args.demo, args.path, args.device)
    if (path is None) == (args.device is None):
        raise EchoError(
            "give either an audio file PATH or --device NAME (not both): see echotui transcribe -h"
        )
    save_format = _save_format(args.save)
    source = open_source(path, args.device, settings.speed, duration_s=args.duration)
    settings, choice = auto_select(settings, explicit)
    check_model_name(settings)  # a wrong name fails here, in one line, before anything loads
    if settings.revise and settings.revise_model:
        check_model_name(settings.for_revision())  # --revise-model too
    session = Session(settings, source, record=args.record)
    with _open_output(args.output) as stream:
        writer = TranscriptWriter(stream, args.format)

        def on_event(event: PipelineEvent) -> None:
            if isinstance(event, ModelLoaded) and choice:  # say what auto chose once it really runs
                print(f"echotui: {choice}", file=sys.stderr)
            elif isinstance(event, EngineNotice | SwapFailed):
                print(f"echotui: {event.provider}: {event.message}", file=sys.stderr)
            elif isinstance(event, EngineFailed) and not event.fatal:
                say(f"echotui: {event.provider} failed ({event.message}); reloaded it")
            elif isinstance(event, DeviceLost | DeviceRestored | GovernorStepped | OverloadEpisode) and (
                (text := notice(event)) is not None  # an episode: when it begins and when it ends
            ):
                say(f"echotui: {text}")
            writer(event)

        session.listeners.append(on_event)
        began, began_cpu = time.monotonic(), time.process_time()
        error: EchoError | None = None
        try:
            asyncio.run(_run(session))
        except EchoError as raised:  # after the pipeline flushed what it had: report, keep the stats
            error = raised
        finally:
            writer.close()
        wall, cpu = time.monotonic() - began, time.process_time() - began_cpu
    if args.save is not None and save_format is not None:
        _save(session, args.save, save_format)
    snapshot, loaded = session.snapshot(), session.loaded
    journal, kept = session.journal, ""
    if journal is not None and journal.kept:
        kept = f"; journal {journal.path}"
        if error is not None and journal.finals:  # still one line: the reason, then where the text is
            error = EchoError(f"{error} (transcript so far: journal {journal.path})", error.exit_code)
    if loaded is not None and error is None:
        say(
            f"echotui: {snapshot.audio_s:.1f} s of audio in {wall:.1f} s with {loaded.model} on "
            f"{loaded.backend}, {counted(writer.count, args.format)}, RTF {snapshot.rtf_mean or 0:.2f}, "
            f"dropped {snapshot.dropped_s:.1f} s{kept}"
        )
    if args.stats_json is not None:
        stats = stats_dict(
            snapshot,
            loaded,
            wall_s=wall,
            load_s=session.load_s,
            cpu_s=cpu,
            source=session.source.description,
            speed=settings.speed if path is not None else None,
            chunk_seconds=settings.chunk_seconds,
            lines=writer.count,
        )
        stats.update(session.revision_stats())
        if session.fallback is not None:  # a server: the windows it did not answer at first, sent again
            stats["resent_windows"] = session.fallback.resent
        args.stats_json.write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    if error is not None:
        raise error
    return 0


def _save_format(path: Path | None) -> str | None:
    """The format `--save PATH` names by its extension (checked before anything runs)."""
    if path is None:
        return None
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        names = " ".join(f".{f}" for f in FORMATS)
        raise EchoError(f"--save {path}: name the format by the file's extension ({names})")
    return fmt


def _save(session: Session, path: Path, fmt: str) -> None:
    """Write the kept (revised) transcript; a path that cannot be written is said, the journal keeps it."""
    try:
        session.save(path, fmt)
    except OSError as error:
        where = f" (the journal {session.journal.path} holds it)" if session.journal else ""
        say(f"echotui: cannot write --save {path}: {error.strerror}{where}")


async def _run(session: Session) -> None:
    """Run to the end. The first Ctrl-C, SIGTERM or SIGHUP stops taking audio and finishes what was
    captured (within `GRACE_S`); a second one abandons the rest (final text already written stays)."""
    from echotui.cli import ABANDONED_EXIT
    from echotui.shutdown import GRACE_S, install_stop_signals

    task = asyncio.current_task()

    def stop(name: str) -> None:
        say(f"echotui: {name}: stopping; transcribing what was captured (again to abandon)")
        session.stop()

    def abandon() -> None:
        if task is not None:
            task.cancel()

    remove = install_stop_signals(asyncio.get_running_loop(), stop, abandon)
    try:
        await session.run()
    except asyncio.CancelledError:
        message = f"interrupted: the transcript holds what was finished (a stop may take {GRACE_S:.0f} s)"
        raise EchoError(message, ABANDONED_EXIT) from None
    finally:
        remove()
