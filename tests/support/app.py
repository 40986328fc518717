"""Reading the app's screen in a Pilot story: waiting for a condition, a widget's text, the finals shown."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from echotui.app import EchoApp
from echotui.widgets.captions import CaptionView


async def wait_for(pilot: Pilot[int], condition: Callable[[], bool], timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out waiting for the screen"
        await pilot.pause(0.05)


def shown(app: EchoApp, selector: str) -> str:
    return str(app.query_one(selector, Static).visual)


def finals_on_screen(app: EchoApp) -> list[str]:
    return [e.text for e in app.query_one(CaptionView).entries if e.kind == "final"]


def options(app: EchoApp) -> list[str]:
    """The lines of the open picker."""
    listing = app.screen.query_one(OptionList)
    return [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
