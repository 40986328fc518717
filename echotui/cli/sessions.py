"""`echotui sessions`: the transcripts kept on disk (session journals), and pruning them."""

from __future__ import annotations

import argparse
import time

from echotui.errors import EchoError
from echotui.pipeline.history import SessionSummary, list_sessions, prune
from echotui.pipeline.journal import sessions_dir


def _row(session: SessionSummary) -> str:
    started = time.strftime("%Y-%m-%d %H:%M", time.localtime(session.started))
    minutes, seconds = divmod(round(session.audio_s), 60)
    extras = [name for name, on in (("recorded", session.recording), ("cut short", not session.ended)) if on]
    note = f"  ({', '.join(extras)})" if extras else ""
    return (
        f"{session.path.stem:<20} {started}  {minutes:>3}:{seconds:02d}  {session.lines:>5} lines "
        f"{session.words:>7} words  {session.source}{note}"
    )


def cmd_sessions(args: argparse.Namespace) -> int:
    folder = sessions_dir()
    if args.older_than is not None and not args.prune:
        raise EchoError("--older-than only applies with --prune: echotui sessions --prune --older-than DAYS")
    if args.prune:
        gone = prune(folder, args.older_than)
        print(f"removed {len(gone)} session{'s' * (len(gone) != 1)} from {folder}")
        return 0
    sessions = list_sessions(folder) if folder.is_dir() else []
    if not sessions:
        print(f"no sessions in {folder}")
        return 0
    for session in sessions:
        print(_row(session))
    print(f"{len(sessions)} sessions in {folder}; replay one with `echotui replay NAME`")
    return 0
