"""The real `EchoApp`'s screens, as a user sees them: captions fed through the session's events, the
health panel drawn from the session's snapshot (hand-made figures, so the picture is stable)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual.pilot import Pilot

from echotui.app import EchoApp
from echotui.pipeline.events import AudioDropped, GovernorStepped, OverloadEpisode
from echotui.pipeline.state import State
from echotui.providers.base import LoadedModel
from tests.support.screens import CUDA, app_with, final, partial, snapshot, spoken

Story = Callable[[Pilot[int]], Awaitable[None]]


def transcript(timestamps: bool) -> Story:
    async def story(pilot: Pilot[int]) -> None:
        app = pilot.app
        assert isinstance(app, EchoApp)
        while app.session.loaded is None:
            await pilot.pause(0.05)
        if timestamps:
            await pilot.press("t")
        send = app.session.pipeline.on_event  # the session's own listener, as the pipeline calls it
        send(final(1, "And so, my fellow Americans, ask not what your country can do for you.", 1.0))
        send(AudioDropped(start_s=6.0, seconds=1.25))
        send(final(2, "Ask what you can do for your country.", 83.4))
        send(spoken(3, "My fellow citizens of the world, ask not what America will do for you.", 88.0, False))
        send(partial(3, "But what together we", 88.0))
        await pilot.pause(0.5)

    return story


async def overloaded(pilot: Pilot[int]) -> None:
    """Live input the engine cannot keep up with: a column of drops becomes one episode line, the
    governor steps down to tiny.en, and the captions go on below it."""
    app = pilot.app
    assert isinstance(app, EchoApp)
    while app.session.loaded is None:
        await pilot.pause(0.05)
    await pilot.press("t")
    send = app.session.pipeline.on_event
    send(final(1, "And so, my fellow Americans, ask not what your country can do for you.", 1.0))
    for start, seconds in ((6.0, 0.02), (6.3, 0.04), (7.0, 0.3), (8.1, 1.2)):
        send(AudioDropped(start, seconds))
    why = "1.6 s of audio dropped in 6 s"
    send(OverloadEpisode("began", 9.0, 1.56, why))
    send(GovernorStepped(12.0, "model", True, "stepped down to tiny.en", why, "tiny.en"))
    send(OverloadEpisode("grew", 9.0, 7.4, why, "stepped down to tiny.en"))
    for start in (13.0, 17.5, 21.0):
        send(AudioDropped(start, 1.9))  # counted in the episode's line, not lines of their own
    send(final(2, "Ask what you can do for your country.", 83.4))
    send(spoken(3, "My fellow citizens of the world, ask not what America will do for you.", 88.0, False))
    send(partial(3, "But what together we", 88.0))
    await pilot.pause(0.5)


def test_snapshot_80x24(snap_compare: Callable[..., bool]) -> None:
    app = app_with(snapshot(), CUDA, "file talk.wav", 66.2)
    assert snap_compare(app, terminal_size=(80, 24), run_before=transcript(False))


def test_snapshot_overloaded_with_timestamps_120x30(snap_compare: Callable[..., bool]) -> None:
    trouble = snapshot(
        state=State.OVERLOADED,
        overloaded=True,
        rtf_last=1.42,
        queue_fill_s=29.5,
        queue_fill_pct=29.5 / 30 * 100,
        dropped_frames=118400,
        dropped_s=7.4,
        source_duration_s=None,
        governor="on tiny.en, not base.en (m: pick it again)",
    )
    app = app_with(trouble, LoadedModel("whispercpp", "tiny.en", "cpu", "/m"), "device pulse", None)
    assert snap_compare(app, terminal_size=(120, 30), run_before=overloaded)


def test_snapshot_help_screen(snap_compare: Callable[..., bool]) -> None:
    app = app_with(snapshot(), CUDA, "file talk.wav", 66.2)

    async def help_screen(pilot: Pilot[int]) -> None:
        await transcript(False)(pilot)
        await pilot.press("question_mark")
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=(80, 24), run_before=help_screen)


def test_snapshot_narrow_60x20_with_timestamps(snap_compare: Callable[..., bool]) -> None:
    """Too narrow for the panel beside the captions: it folds below them; Quit and Help stay in the footer."""
    app = app_with(snapshot(), CUDA, "file talk.wav", 66.2)
    assert snap_compare(app, terminal_size=(60, 20), run_before=transcript(True))


def test_snapshot_narrow_40x12(snap_compare: Callable[..., bool]) -> None:
    app = app_with(snapshot(), CUDA, "file talk.wav", 66.2)
    assert snap_compare(app, terminal_size=(40, 12), run_before=transcript(False))
