"""A model download shows its progress: huggingface_hub's bar reports to the engine, the snapshot carries
it, and the health panel shows it (the CLI keeps the bar itself on stderr)."""

from __future__ import annotations

import asyncio
import io

from textual.app import App, ComposeResult
from textual.widgets import Static

from echotui.config import Settings
from echotui.models.downloads import describe_download, downloads
from echotui.models.hub import progress_bar
from echotui.pipeline.runner import Pipeline
from echotui.widgets.panels import HealthPanel
from tests.doubles import SlowProvider


def test_download_progress_reaches_the_snapshot_and_the_panel() -> None:
    bar = progress_bar("base.en")(total=142_000_000, file=io.StringIO(), mininterval=0)
    bar.update(64_000_000)
    current = downloads.current()
    assert current is not None
    assert current.describe() == "downloading base.en 45% (64/142 MB)"
    pipeline = Pipeline(SlowProvider(0.1), Settings(), progress=describe_download)  # as Session builds it
    snapshot = pipeline.snapshot()
    assert snapshot.download == "downloading base.en 45% (64/142 MB)"

    class PanelApp(App[None]):
        def compose(self) -> ComposeResult:
            yield HealthPanel()

    async def show() -> str:
        app = PanelApp()
        async with app.run_test(size=(80, 24)) as pilot:
            app.query_one(HealthPanel).update_health(snapshot, None, "file talk.wav")
            await pilot.pause()
            return str(app.query_one("#health-download", Static).visual)

    assert asyncio.run(show()) == "downloading base.en 45% (64/142 MB)"
    bar.close()
    assert downloads.current() is None
