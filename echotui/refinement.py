"""Checking a quick "auto" start in the background: measure this machine (and, once the user has said
enough, time the engines on their own speech), then hand the recommendation back to the event loop.

It runs on its own thread and can be stopped at any moment: waiting for speech ends at once, and a
measurement still inside an engine when the app ends is not waited for (`shutdown.leave_busy_threads`
ends the process instead: a thread left in native code while the interpreter finalizes can abort it), so
quitting never waits on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future

import numpy as np

from echotui.selection.decode import wait_for_speech
from echotui.selection.select import Recommendation

log = logging.getLogger(__name__)

ON_LOOP_TIMEOUT_S = 5.0

Measure = Callable[[Callable[[], np.ndarray | None]], Recommendation | None]
"""(speech: the user's speech once heard, or None) -> the recommendation, or None when nothing to refine."""


class Refinement:
    """One background measurement. `deliver(result)` is called on `loop` with the recommendation (or
    None), or the exception the measurement raised; never after `stop()`."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        measure: Measure,
        heard_s: Callable[[], float],
        recent: Callable[[], np.ndarray],
        deliver: Callable[[Recommendation | Exception | None], None],
    ) -> None:
        self._loop = loop
        self._measure = measure
        self._heard_s = heard_s
        self._recent = recent
        self._deliver = deliver
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="echotui-refine")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Nothing more is delivered; a wait for speech ends now."""
        self._stop.set()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        try:
            result: Recommendation | Exception | None = self._measure(self._speech)
        except Exception as error:  # delivered to the loop, which logs it and says it in one line
            result = error
        if not self._stop.is_set():
            with contextlib.suppress(RuntimeError):  # the loop is closed: the session is over
                self._loop.call_soon_threadsafe(self._deliver_unless_stopped, result)

    def _deliver_unless_stopped(self, result: Recommendation | Exception | None) -> None:
        if not self._stop.is_set():
            self._deliver(result)

    def _speech(self) -> np.ndarray | None:
        """The user's latest speech once enough was heard; None if the session stops first."""
        return wait_for_speech(self._heard_s, self._recent_on_loop, self._stop)

    def _recent_on_loop(self) -> np.ndarray:
        """`recent()` runs on the loop (the audio ring is the loop's); from this thread, wait for it."""
        future: Future[np.ndarray] = Future()

        def run() -> None:
            try:
                future.set_result(self._recent())
            except Exception as error:
                future.set_exception(error)

        self._loop.call_soon_threadsafe(run)
        return future.result(timeout=ON_LOOP_TIMEOUT_S)
