"""Stopping on a signal as on `q` or Ctrl-C: stop taking audio, finish what was captured, write, restore
the terminal. SIGTERM (`kill`, systemd, a closing container) and SIGHUP (the terminal or SSH connection
went away) get the same treatment as the first Ctrl-C, but bounded: nobody may be there to press it again,
so after `GRACE_S` what is left is abandoned. A second signal abandons at once. Finals already written
(output, journal) stay written either way."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
GRACE_S = 10.0
"""How long a stop of `echotui transcribe` may take to transcribe what was captured before the rest is
abandoned."""
APP_GRACE_S = 2.0
"""In the app, how long a quit waits for the engine to finish the open utterance: then the words already
on screen are kept as they are, the rest is counted as untranscribed, and the app ends (within 3 s)."""
BUSY_WAIT_S = 0.5
"""At exit, how long a thread still busy in an engine (a load, a measurement) is waited for."""
EXIT_DEADLINE_S = 3.0
"""After a signal, how long restoring the terminal may take: a terminal that hung up (SSH dropped) makes
the UI's writes fail and its writer wait forever, so the process then ends regardless."""

log = logging.getLogger(__name__)


def signal_name(signum: int) -> str:
    return signal.Signals(signum).name


def install_stop_signals(
    loop: asyncio.AbstractEventLoop,
    stop: Callable[[str], None],
    abandon: Callable[[], None],
    grace_s: float = GRACE_S,
) -> Callable[[], None]:
    """On the first of `STOP_SIGNALS` call `stop(name)` and (but for SIGINT: a person is there) `grace_s`
    later `abandon()`; on a second signal `abandon()` at once. Returns a function removing the handlers."""
    state: dict[str, asyncio.TimerHandle | None] = {"timer": None}
    stopping = False

    def on_signal(signum: int) -> None:
        nonlocal stopping
        log.info("%s received (stopping already: %s)", signal_name(signum), stopping)
        if stopping:
            if state["timer"] is not None:
                state["timer"].cancel()
            abandon()
            return
        stopping = True
        if signum != signal.SIGINT:
            state["timer"] = loop.call_later(grace_s, abandon)
        stop(signal_name(signum))

    installed: list[int] = []
    for signum in STOP_SIGNALS:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, on_signal, signum)
            installed.append(signum)

    log.info("stop signals handled: %s", [signal_name(n) for n in installed])

    def remove() -> None:
        if state["timer"] is not None:
            state["timer"].cancel()
        for signum in installed:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signum)

    return remove


def exit_within(seconds: float, code: int) -> None:
    """End the process with `code` if it is still running `seconds` from now (everything worth keeping
    is written by then; only the terminal's restoration can still be waiting on a dead terminal)."""

    def force() -> None:
        log.warning("still running %.0f s after a stop signal (terminal gone?): exiting", seconds)
        logging.shutdown()
        os._exit(code)

    timer = threading.Timer(seconds, force)
    timer.daemon = True
    timer.start()


def detach_if_hung_up(fd: int = 1) -> bool:
    """After SIGHUP: if the terminal on `fd` is gone (writes fail), point `fd` at /dev/null so the UI can
    still write its way out instead of waiting on a dead terminal. True if it was gone."""
    try:
        os.write(fd, b"\x1b[0m")  # an SGR reset: harmless on a live terminal
    except OSError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
        log.info("the terminal hung up: output goes to /dev/null from now on")
        return True
    return False


def leave_busy_threads(code: int, wait_s: float = BUSY_WAIT_S) -> None:
    """At the very end of a run, once everything worth keeping is written: a thread still inside a call
    that cannot be interrupted (a model loading or downloading, the machine being measured) gets `wait_s`
    to finish, and then the process ends with `code` instead of waiting for it."""
    deadline = time.monotonic() + wait_s
    me = threading.current_thread()
    for thread in threading.enumerate():
        if thread is not me and not thread.daemon:
            thread.join(max(0.0, deadline - time.monotonic()))
    busy = [t.name for t in threading.enumerate() if t is not me and not t.daemon and t.is_alive()]
    if not busy:
        return
    log.info("exiting without waiting for %s", ", ".join(busy))
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    logging.shutdown()
    os._exit(code)
