"""A user captions through a transcription server and wants to know whether a slow call is the server's
fault or the network's: the panel splits each call into the time the server says it spent (its
Server-Timing `total`) and the rest of the round trip. A local engine has no such row."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import httpx

from echotui.app import EchoApp
from echotui.audio.file_source import FileSource
from echotui.config import Settings
from echotui.providers.remote import RemoteProvider
from echotui.session import Session
from tests.doubles import RecordingProvider
from tests.remote_double import verbose
from tests.support.app import shown, wait_for

NETWORK_S = 0.15  # each reply is held this long before the server starts on it: the network's share
SERVER_S = 0.25  # then the server works this long and says so in its Server-Timing header


class SlowLink:
    """An OpenAI-compatible server behind a slow link: a transcription costs NETWORK_S on the way and
    SERVER_S on the server, which reports only its own part."""

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/models":
            return httpx.Response(200, json={"object": "list", "data": [{"id": "tiny.en"}]})
        time.sleep(NETWORK_S)
        time.sleep(SERVER_S)
        timing = {"server-timing": f"engine;dur={SERVER_S * 1000:.0f}, total;dur={SERVER_S * 1000:.0f}"}
        return httpx.Response(200, json=verbose(), headers=timing)


def test_the_panel_splits_a_server_call_into_server_and_network_time(sentence_wav: Path) -> None:
    provider = RemoteProvider(
        "http://speech.example:8000", model="tiny.en", transport=httpx.MockTransport(SlowLink().handle)
    )
    settings = Settings(provider="remote", server="http://speech.example:8000")
    session = Session(settings, FileSource(sentence_wav), provider=provider, journal=False)
    app = EchoApp(session)

    async def story() -> None:
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_for(pilot, lambda: "net" in shown(app, "#health-call-value"))
            split = re.fullmatch(r"([\d.]+) s · net ([\d.]+) s", shown(app, "#health-call-value"))
            assert split is not None, shown(app, "#health-call-value")
            server_s, network_s = map(float, split.groups())
            assert server_s == SERVER_S
            assert NETWORK_S <= network_s <= NETWORK_S + 0.15, "the rest of the round trip, measured"
            assert app.query_one("#health-call").display

    asyncio.run(story())


def test_a_local_engine_has_no_server_row(sentence_wav: Path) -> None:
    engine = RecordingProvider()
    session = Session(Settings(), FileSource(sentence_wav), provider=engine, journal=False)
    app = EchoApp(session)

    async def story() -> None:
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_for(pilot, lambda: bool(engine.finals))  # engine calls were made
            await pilot.pause(0.3)  # the panel's next refresh
            assert not app.query_one("#health-call").display

    asyncio.run(story())
