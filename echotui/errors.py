"""User-facing failures.

Anything the user can fix (a missing file, a model that is not there, no microphone) is raised as an
`EchoError` whose message is one line saying what is wrong and what to do. The CLI prints that line and
exits non-zero; it never shows a traceback for these.
"""

from __future__ import annotations


class EchoError(Exception):
    """A failure the user can act on. `str(error)` is the one-line message."""

    exit_code: int = 1

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def one_line(error: BaseException) -> str:
    """What to show for a failure: an EchoError's own line (it carries the fix), else the type and text."""
    return str(error) if isinstance(error, EchoError) else f"{type(error).__name__}: {error}"


def say(line: str) -> None:
    """A line on stderr, even when the terminal went away (SIGHUP): then it is only lost."""
    import contextlib
    import sys

    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr, flush=True)
