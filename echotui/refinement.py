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

from echotui.config import Settings
from echotui.errors import one_line
from echotui.pipeline.events import MachineMeasured, PipelineEvent
from echotui.selection.decode import wait_for_speech
from echotui.selection.select import Recommendation

log = logging.getLogger(__name__)

ON_LOOP_TIMEOUT_S = 5.0


def best_for_machine(
    asked: Settings, explicit: set[str], now: Settings, speech: Callable[[], np.ndarray | None] | None
) -> Recommendation | None:
    """The recommendation for the user's own settings (`asked`, with the names they gave in `explicit`)
    measured on this machine; with `speech` (the user's speech, once heard), the engines that have the model
    are also timed decoding it and the faster one is recommended. None when the session runs (`now`) a
    model from `--models-dir` or the `echotui[tiny]` extra and the better fit is not on disk (no download
    unasked)."""
    from echotui.providers.registry import catalogue_providers
    from echotui.selection.auto import on_disk, recommend_here, runs_local_choice
    from echotui.selection.decode import faster_on_speech

    _, statuses, best = recommend_here(asked, explicit, measure=True)
    heard = speech() if speech is not None and "provider" not in explicit else None
    if heard is not None:  # the engines that have the model, timed on the user's own speech
        ready = [s.name for s in statuses if s.available and s.name in catalogue_providers()]
        others = [name for name in ready if on_disk(now, name, best.model)]
        best = faster_on_speech(now, best, others, heard)
    if runs_local_choice(now):
        return best if on_disk(now, best.provider, best.model) else None
    return best


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


def start_refining(
    measure: Measure,
    heard_s: Callable[[], float],
    recent: Callable[[], np.ndarray],
    adopt: Callable[[Recommendation], str | None],
    say: Callable[[PipelineEvent], None],
) -> Refinement:
    """Measure the machine behind a quick "auto" start, on its own thread (`Refinement`): the
    recommendation is `adopt`ed on the event loop, and what came of it is said as a `MachineMeasured`
    event. Call from `Session.run`."""

    def deliver(result: Recommendation | Exception | None) -> None:
        if isinstance(result, Exception):
            log.error("measuring this machine failed", exc_info=result)
            say(MachineMeasured(f"could not measure this machine: {one_line(result)}", failed=True))
        elif result is not None and (message := adopt(result)) is not None:
            say(MachineMeasured(message))

    refinement = Refinement(asyncio.get_running_loop(), measure, heard_s, recent, deliver)
    refinement.start()
    return refinement


def adopt(best: Recommendation, now: Settings, swap: Callable[[str, str], object]) -> str | None:
    """Swap (`swap(provider, model)`) to `best` if it differs from what runs `now` (on the event loop); says
    what was done. None when nothing could be measured (no local model to time): the start-up choice
    stands, unsaid."""
    if not best.measured:
        return None
    if (best.provider, best.model) == (now.provider, now.model):
        return f"measured this machine: keeping {best.provider} {best.model}"
    swap(best.provider, best.model)
    return f"measured this machine, switching: {best.describe()}"
