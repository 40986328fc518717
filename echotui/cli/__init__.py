"""The `echotui` command line: the app by default, and one module per subcommand (`transcribe`,
`devices`, `models`, `providers`, `bench`, `replay`, `sessions`, `serve`), each imported only when it runs."""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import sys

from echotui.cli.parser import build_parser
from echotui.errors import EchoError, say
from echotui.logs import log_path, setup_logging

log = logging.getLogger("echotui.cli")

SUBCOMMANDS = ("transcribe", "devices", "models", "providers", "bench", "replay", "sessions", "serve")
ABANDONED_EXIT = 130


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        setup_logging(getattr(args, "log_file", None))
        command = args.command if args.command in SUBCOMMANDS else "app"
        module = importlib.import_module(f"echotui.cli.{command}")
        return int(getattr(module, f"cmd_{command}")(args))
    except EchoError as error:
        say(f"echotui: error: {error}")
        if error.exit_code == ABANDONED_EXIT:  # an engine thread may be mid-call: do not wait for it
            with contextlib.suppress(OSError, ValueError):
                sys.stdout.flush()
            os._exit(ABANDONED_EXIT)
        return error.exit_code
    except KeyboardInterrupt:
        print("echotui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`echotui models | head`): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:  # a bug: one line here, the traceback in the log
        log.exception("internal error")
        print(
            f"echotui: internal error: {type(error).__name__}: {error} (details in {log_path()})",
            file=sys.stderr,
        )
        return 70
