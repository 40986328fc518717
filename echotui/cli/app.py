"""`echotui` without a subcommand: the Textual app on a device or a file."""

from __future__ import annotations

import argparse
import os
import sys

from echotui import shutdown
from echotui.audio.demo import demo_file
from echotui.audio.opening import open_source
from echotui.cli.parser import settings_from_args
from echotui.config import export_token
from echotui.errors import EchoError, say
from echotui.logs import log_path, redirect_native_stderr, setup_logging
from echotui.models.catalog import check_model_name
from echotui.selection.auto import auto_select, needs_refining
from echotui.session import Session


def session_from_args(args: argparse.Namespace) -> tuple[Session, str | None]:
    """The session the app runs for these arguments, and the line that says what auto chose (if it did).
    Starts at once on what is known (cached timings, estimates); the app measures and swaps if needed."""
    if args.file is not None and args.device is not None:
        raise EchoError("give --file or --device, not both")
    file = demo_file(args.demo, args.file, args.device)
    settings, explicit = settings_from_args(args)
    export_token(settings)
    asked = settings
    settings, choice = auto_select(settings, explicit, measure=False)
    check_model_name(settings)  # a wrong name fails here, in one line, before anything loads
    if settings.revise and settings.revise_model:
        check_model_name(settings.for_revision())  # --revise-model too
    source = open_source(file, args.device, settings.speed, args.loop)
    session = Session(settings, source, record=getattr(args, "record", False))
    # the demo shows captions at once: it does not spend the CPU measuring this machine meanwhile
    session.refine = (asked, explicit) if needs_refining(asked) and not args.demo else None
    return session, choice


def cmd_app(args: argparse.Namespace) -> int:
    """The Textual app. Native libraries' stderr goes to the log file; Textual gets the real terminal."""
    session, choice = session_from_args(args)
    path = log_path() or setup_logging()
    real_stderr = os.fdopen(redirect_native_stderr(path), "w", buffering=1, encoding="utf-8")
    sys.stderr = real_stderr
    sys.__stderr__ = real_stderr  # type: ignore[misc]  # Textual's driver writes to sys.__stderr__
    from echotui.app import EchoApp

    code = EchoApp(session, log_path=path, choice=choice).run()
    if session.failure:
        say(f"echotui: stopped: {session.failure}")
    if session.journal is not None and session.journal.kept:
        kept = session.describe("txt")  # as `s` → txt would save it
        say(f"echotui: journal: {session.journal.path} ({kept} of transcript)")
    shutdown.leave_busy_threads(code or 0)
    return code or 0
