"""A user whose machine falls behind reads one line per episode in the captions, updated in place and
closed with its total, never a column of "⚠ 0.0 s dropped"; the panel says which step is in force and the
way back."""

from __future__ import annotations

import asyncio

from echotui.pipeline.events import AudioDropped, GovernorStepped, OverloadEpisode, State
from echotui.providers.base import LoadedModel
from echotui.widgets.captions import CaptionView
from echotui.widgets.panels import HealthPanel
from tests.support.screens import app_with, final, snapshot, text_of

TINY = LoadedModel("whispercpp", "tiny.en", "cpu", "/m")


def test_drops_make_one_line_per_episode_updated_in_place_and_closed_with_its_total() -> None:
    stepped = snapshot(state=State.OVERLOADED, governor="on tiny.en, not base.en (m: pick it again)")
    app = app_with(stepped, TINY, "device pulse", None)

    async def story() -> None:
        async with app.run_test(size=(110, 30)) as pilot:
            while app.session.loaded is None:
                await pilot.pause(0.05)
            send, view = app.session.pipeline.on_event, app.query_one(CaptionView)

            def drops() -> list[str]:
                return [view.shown_text(entry) for entry in view.entries if entry.kind == "drop"]

            send(final(1, "Good morning everyone.", 1.0))
            send(AudioDropped(3.0, 0.02))
            send(AudioDropped(3.1, 0.02))
            await pilot.pause()
            assert drops() == [], "0.04 s would read 0.0 s dropped: not shown"
            send(AudioDropped(3.2, 0.3))
            send(AudioDropped(3.6, 0.8))
            await pilot.pause()
            assert drops() == ["⚠ 1.1 s dropped"], "drops in a row add up on one line"
            why = "1.1 s of audio dropped in 6 s"
            send(OverloadEpisode("began", 4.0, 1.14, why))
            for n in range(20):  # the drops go on: the episode's line counts them
                send(AudioDropped(5.0 + n, 0.1))
            send(GovernorStepped(7.0, "model", True, "stepped down to tiny.en", why, "tiny.en"))
            send(OverloadEpisode("grew", 4.0, 3.14, why, "stepped down to tiny.en"))
            send(final(2, "The release is on track.", 30.0))
            await pilot.pause()
            assert drops() == ["⚠ behind since 00:00:04: 3.1 s dropped, stepped down to tiny.en"]
            panel = text_of(app.query_one(HealthPanel).governor)
            assert panel == "⤓ on tiny.en, not base.en (m: pick it again)"
            send(OverloadEpisode("ended", 4.0, 3.14, why, "stepped down to tiny.en", ended_s=41.0))
            await pilot.pause()
            closed = "⚠ was behind 00:00:04–00:00:41: 3.1 s dropped in all, stepped down to tiny.en"
            assert drops() == [closed]
            entries = [entry.kind for entry in view.entries if entry.kind != "notice"]
            assert entries == ["final", "drop", "final"], "the captions go on below the episode's line"
            send(AudioDropped(50.0, 0.2))  # later, a lone drop: a line of its own
            await pilot.pause()
            assert drops()[-1] == "⚠ 0.2 s dropped" and len(drops()) == 2

    asyncio.run(story())


def test_an_episode_with_nothing_dropped_says_why_instead_of_zero() -> None:
    began = OverloadEpisode("began", 61.0, 0.0, "backlog of 9 s")
    assert began.text == "⚠ behind since 00:01:01: backlog of 9 s"
    ended = OverloadEpisode("ended", 61.0, 0.01, "backlog of 9 s", "passes thinned", ended_s=75.0)
    assert ended.text == "⚠ was behind 00:01:01–00:01:15: nothing dropped, passes thinned"
