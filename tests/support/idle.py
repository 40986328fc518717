"""Pilot's "the app is idle" measured on the event loop's thread, not the whole process.

Textual's `wait_for_idle` (after each key a Pilot presses, and in `pilot.pause()`) waits until the process's
CPU time stops advancing, up to a second. In echotui the process is never idle while an engine thread
transcribes, so every key cost up to a second without telling anything about the app: the keys are
handled on the event loop's thread. This plugin makes the same comparison with that thread's own CPU time
(`time.thread_time`), which is what "input has been processed" means for an app whose heavy work runs
on threads of its own."""

from __future__ import annotations

import asyncio
import time

import textual._wait
import textual.app
import textual.pilot

SLEEP_GRANULARITY = textual._wait.SLEEP_GRANULARITY
SLEEP_IDLE = textual._wait.SLEEP_IDLE


async def wait_for_idle(min_sleep: float = SLEEP_GRANULARITY, max_sleep: float = 1) -> None:
    """`textual._wait.wait_for_idle`, with the event loop thread's CPU time for the process's."""
    start = time.monotonic()
    while True:
        cpu = time.thread_time()
        await asyncio.sleep(SLEEP_GRANULARITY)
        elapsed = time.monotonic() - start
        if elapsed >= max_sleep:
            break
        if elapsed > min_sleep and time.thread_time() - cpu < SLEEP_IDLE:
            break


textual.app.wait_for_idle = wait_for_idle  # type: ignore[attr-defined]
textual.pilot.wait_for_idle = wait_for_idle  # type: ignore[attr-defined]
