"""A user captions through a transcription server that serves two models. `m` lists the server's models
(from its `/v1/models`), the one asked for marked as running; picking the other one makes the next
requests ask for it, through the same hot swap as a local model, and the captions go on."""

from __future__ import annotations

import asyncio
from pathlib import Path

from echotui.app import EchoApp
from echotui.audio.file_source import FileSource
from echotui.audio.switching import LoopingSource
from echotui.config import Settings
from echotui.session import Session
from echotui.widgets.pickers import ModelScreen
from tests.support.app import options, wait_for
from tests.support.model_server import model_server


def test_model_key_lists_the_servers_models_and_a_pick_is_asked_of_the_server(sentence_wav: Path) -> None:
    with model_server(["tiny.en", "base.en"]) as url:
        settings = Settings(provider="remote", server=url, model="tiny.en")
        session = Session(settings, LoopingSource(lambda: FileSource(sentence_wav)), journal=False)
        app = EchoApp(session)
        said = lambda: " ".join(f.text for f in session.finals)  # noqa: E731

        async def story() -> None:
            async with app.run_test(size=(120, 30)) as pilot:
                await wait_for(pilot, lambda: "model tiny.en" in said())
                await pilot.press("m")
                await wait_for(pilot, lambda: isinstance(app.screen, ModelScreen))
                listed = options(app)
                host = url.removeprefix("http://")
                assert [line.split()[:2] for line in listed[:2]] == [["●", "base.en"], ["▶", "tiny.en"]]
                assert all(f"remote · {host}" in line for line in listed[:2]), listed
                await pilot.press("home", "enter")  # base.en
                await wait_for(
                    pilot, lambda: session.loaded is not None and session.loaded.model == "base.en"
                )
                await wait_for(pilot, lambda: "model base.en" in said())
                await pilot.press("q")

        asyncio.run(story())
