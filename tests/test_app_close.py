"""The panel's refresh timer can tick once more while the app closes, after its screen was emptied (it
happened in a CI run: `NoMatches: HealthPanel` raised out of the timer). A refresh then is harmless."""

from __future__ import annotations

import asyncio

from echotui.app import EchoApp
from echotui.config import Settings
from echotui.providers.base import LoadedModel
from echotui.session import Session
from tests.doubles import QuietSource, ReadyProvider
from tests.support.app import wait_for


def test_a_refresh_after_the_app_closed_is_harmless() -> None:
    loaded = LoadedModel("ready", "tiny.en", "cpu", "-")
    session = Session(Settings(), QuietSource("quiet room"), provider=ReadyProvider(loaded), journal=False)
    app = EchoApp(session)

    async def story() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: session.loaded is not None)
        app.refresh_health()  # the timer's late tick: the screen holds nothing any more

    asyncio.run(story())
    assert not app.screen_stack or not app.screen.query("HealthPanel"), "the screen was emptied"
