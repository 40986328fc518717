"""The caption view and the health panel, as a user sees them: small apps driven with Pilot, no engine."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Coroutine
from dataclasses import fields
from pathlib import Path
from typing import Any, ClassVar

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.containers import Horizontal
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Footer

import echotui
from echotui import SAMPLE_RATE
from echotui.pipeline.events import AudioDropped, FinalTranscribed, TranscriptRevised
from echotui.pipeline.metrics import Ledger
from echotui.pipeline.state import State
from echotui.providers.base import LoadedModel, Segment, Word
from echotui.widgets import captions
from echotui.widgets.captions import CaptionView
from echotui.widgets.charts import Chart
from echotui.widgets.panels import HealthPanel
from tests.support.screens import CUDA, final, partial, screen_lines, snapshot, text_of, visible

APP_CSS = Path(echotui.__file__).parent / "app.tcss"


class WidgetsApp(App[None]):
    """The app's layout (captions left, health right, footer) without an engine."""

    CSS_PATH = APP_CSS
    BINDINGS: ClassVar[list[BindingType]] = [Binding("t", "toggle_timestamps", "Times")]

    def __init__(self, max_entries: int = 2000) -> None:
        super().__init__()
        self.max_entries = max_entries

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            yield CaptionView(self.max_entries, id="captions")
            yield HealthPanel(id="health")
        yield Footer()

    @property
    def captions(self) -> CaptionView:
        return self.query_one(CaptionView)

    @property
    def health(self) -> HealthPanel:
        return self.query_one(HealthPanel)

    def action_toggle_timestamps(self) -> None:
        self.captions.timestamps = not self.captions.timestamps


def run(
    story: Callable[[Pilot[None]], Coroutine[Any, Any, None]],
    size: tuple[int, int] = (80, 24),
    max_entries: int = 2000,
) -> None:
    async def main() -> None:
        app = WidgetsApp(max_entries)
        async with app.run_test(size=size) as pilot:
            await story(pilot)

    asyncio.run(main())


def panel_lines(app: WidgetsApp) -> list[str]:
    """The rows of the screen under the health panel."""
    region = app.health.region
    rows = screen_lines(app)[region.y : region.bottom]
    return [row[region.x : region.right].strip() for row in rows]


def colour_of(widget: Widget, text: str) -> Color | None:
    """The colour `widget` draws `text` in."""
    for y in range(widget.size.height):
        for segment in widget.render_line(y):
            if segment.text.strip() == text and segment.style and segment.style.color:
                return Color.from_rich_color(segment.style.color)
    return None


def theme_colour(app: App[Any], name: str) -> Color:
    return Color.parse(app.theme_variables[name])


# ---- captions -----------------------------------------------------------------------------------------


def test_a_partial_is_replaced_in_place_by_its_final() -> None:
    async def story(pilot: Pilot[None]) -> None:
        view = pilot.app.query_one(CaptionView)
        view.show_final(final(1, "The first sentence."))
        view.show_partial(partial(2, "and so my"))
        view.show_drop(AudioDropped(start_s=5.0, seconds=0.4))
        view.show_partial(partial(2, "and so my fellow"))
        await pilot.pause()
        assert visible(view) == ["The first sentence.", "and so my fellow", "⚠ 0.4 s dropped"]
        partial_style = view.render_line(1)._segments[0].style
        assert partial_style is not None and partial_style.italic

        view.show_final(final(2, "And so, my fellow Americans."))
        await pilot.pause()
        assert visible(view) == ["The first sentence.", "And so, my fellow Americans.", "⚠ 0.4 s dropped"]
        assert [entry.kind for entry in view.entries] == ["final", "final", "drop"]
        final_style = view.render_line(1)._segments[0].style
        assert final_style is not None and not final_style.italic

    run(story)


def test_committed_words_stay_plain_while_the_words_after_them_are_dimmed_and_change() -> None:
    async def story(pilot: Pilot[None]) -> None:
        view = pilot.app.query_one(CaptionView)
        view.show_partial(partial(3, "and so am"))
        commit = FinalTranscribed(3, 0.0, 0.8, (Segment(0.0, 0.8, "And so"),), 0.0, closes=False)
        view.show_final(commit)
        view.show_partial(partial(3, "my fell"))
        await pilot.pause()
        assert visible(view) == ["And so my fell"]  # one paragraph: committed, then tentative
        segments = [seg for seg in view.render_line(0)._segments if seg.text.strip()]
        assert [seg.text.strip() for seg in segments] == ["And so", "my fell"]
        assert segments[0].style is not None and not segments[0].style.italic, "committed: plain"
        assert segments[1].style is not None and segments[1].style.italic, "tentative: dimmed"

        more = FinalTranscribed(3, 0.8, 2.0, (Segment(0.8, 2.0, "my fellow Americans,"),), 0.0, closes=False)
        view.show_final(more)
        view.show_partial(partial(3, "ask"))
        await pilot.pause()
        assert visible(view) == ["And so my fellow Americans, ask"]
        view.show_final(FinalTranscribed(3, 2.0, 2.5, (Segment(2.0, 2.5, "ask not."),), 0.4))
        await pilot.pause()
        assert visible(view) == ["And so my fellow Americans, ask not."]
        assert [e.kind for e in view.entries] == ["final"] and view.entries[0].tentative == ""

    run(story)


def test_revised_words_replace_the_misheard_ones_in_place_and_paragraphs_stay() -> None:
    def said(utterance: int, *words: Word) -> FinalTranscribed:
        text = " ".join(w.text for w in words)
        captions = (Segment(words[0].start_s, words[-1].end_s, text),)
        return FinalTranscribed(utterance, words[0].start_s, words[-1].end_s, captions, 0.0, words)

    ask, knot, what = Word(0.0, 0.3, "Ask"), Word(0.3, 0.6, "knot"), Word(0.6, 0.9, "what.")
    and_, sew = Word(2.0, 2.3, "And"), Word(2.3, 2.6, "sew.")

    async def story(pilot: Pilot[None]) -> None:
        view = pilot.app.query_one(CaptionView)
        view.show_final(said(1, ask, knot, what))
        view.show_final(said(2, and_, sew))
        await pilot.pause()
        assert visible(view) == ["Ask knot what.", "And sew."]
        fixed = (Word(0.3, 0.6, "not"), Word(0.6, 0.9, "what."), Word(2.0, 2.3, "And"), Word(2.3, 2.6, "so."))
        view.show_revision(TranscriptRevised(0.3, 2.6, (knot, what, and_, sew), fixed))
        await pilot.pause()
        assert visible(view) == ["Ask not what.", "And so."]

    run(story)


def test_a_word_a_revision_changed_is_marked_for_a_few_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(captions, "REVISED_MARK_S", 1.0)  # (4 s in the app)
    ask, knot, what = Word(0.0, 0.3, "Ask"), Word(0.3, 0.6, "knot"), Word(0.6, 0.9, "what.")

    async def story(pilot: Pilot[None]) -> None:
        view = pilot.app.query_one(CaptionView)
        view.show_final(
            FinalTranscribed(1, 0.0, 0.9, (Segment(0.0, 0.9, "Ask knot what."),), 0.0, (ask, knot, what))
        )
        view.show_revision(TranscriptRevised(0.3, 0.6, (knot,), (Word(0.3, 0.6, "not"),)))
        await pilot.pause()
        assert visible(view) == ["Ask not what."]
        accent = theme_colour(pilot.app, "accent")
        assert colour_of(view, "not") == accent, "the changed word stands out"
        assert colour_of(view, "Ask") != accent and colour_of(view, "what.") != accent, (
            "its neighbours do not"
        )
        await pilot.pause(1.5)  # the mark's time passes
        assert visible(view) == ["Ask not what."]
        assert colour_of(view, "not") is None, "no longer drawn apart from its line"
        assert colour_of(view, "Ask not what.") not in (None, accent), "the line drawn as one, plain"

    run(story)


def test_an_empty_final_removes_its_partial() -> None:
    async def story(pilot: Pilot[None]) -> None:
        view = pilot.app.query_one(CaptionView)
        view.show_partial(partial(7, "uh"))
        await pilot.pause()
        assert visible(view) == ["uh"]
        view.show_final(final(7, ""))
        await pilot.pause()
        assert visible(view) == []
        assert view.entries == []

    run(story)


def test_dropped_audio_shows_a_marker_in_the_warning_colour() -> None:
    async def story(pilot: Pilot[None]) -> None:
        view = pilot.app.query_one(CaptionView)
        view.show_final(final(1, "before"))
        view.show_drop(AudioDropped(start_s=3.0, seconds=1.24))
        view.show_final(final(2, "after"))
        view.show_notice("switched to base.en (loaded in 0.3 s)")
        await pilot.pause()
        assert visible(view) == [
            "before",
            "⚠ 1.2 s dropped",
            "after",
            "switched to base.en (loaded in 0.3 s)",
        ]
        assert colour_of(view, "⚠ 1.2 s dropped") == theme_colour(pilot.app, "text-warning")

    run(story)


def test_timestamps_toggle_rerenders_existing_lines() -> None:
    async def story(pilot: Pilot[None]) -> None:
        view = pilot.app.query_one(CaptionView)
        view.show_final(final(1, "Ask not, my fellow Americans.", start_s=83.7))
        view.show_final(final(2, "Ask what you can do.", start_s=3725.0))
        await pilot.pause()
        assert visible(view) == ["Ask not, my fellow Americans.", "Ask what you can do."]
        await pilot.press("t")
        assert visible(view) == [
            "[00:01:23] Ask not, my fellow Americans.",
            "[01:02:05] Ask what you can do.",
        ]
        await pilot.press("t")
        assert visible(view) == ["Ask not, my fellow Americans.", "Ask what you can do."]

    run(story)


def test_new_text_scrolls_into_view_only_while_the_reader_is_at_the_bottom() -> None:
    async def story(pilot: Pilot[None]) -> None:
        view = pilot.app.query_one(CaptionView)
        for n in range(40):
            view.show_final(final(n, f"sentence {n}"))
        await pilot.pause()
        assert visible(view)[-1] == "sentence 39"  # followed to the bottom

        view.focus()
        await pilot.press("pageup")  # the reader scrolls up to read
        await pilot.pause()
        reading = visible(view)
        assert "sentence 39" not in reading
        view.show_partial(partial(40, "sentence"))
        view.show_final(final(40, "sentence 40"))
        view.show_final(final(41, "sentence 41"))
        await pilot.pause()
        assert visible(view) == reading  # not yanked down

        await pilot.press("end")  # back at the bottom: following again
        await pilot.pause()
        view.show_final(final(42, "sentence 42"))
        await pilot.pause()
        assert visible(view)[-1] == "sentence 42"

    run(story, size=(80, 12))


def test_old_lines_are_dropped_without_moving_the_reader() -> None:
    async def story(pilot: Pilot[None]) -> None:
        view = pilot.app.query_one(CaptionView)
        for n in range(30):
            view.show_final(final(n, f"sentence {n}"))
        await pilot.pause()
        view.focus()
        await pilot.press("pageup")
        await pilot.pause()
        reading = visible(view)
        for n in range(30, 35):
            view.show_final(final(n, f"sentence {n}"))
        await pilot.pause()
        assert len(view.entries) == 30
        assert view.entries[0].text == "sentence 5"
        assert visible(view) == reading

    run(story, size=(80, 12), max_entries=30)


def test_clear_empties_the_view() -> None:
    async def story(pilot: Pilot[None]) -> None:
        view = pilot.app.query_one(CaptionView)
        view.show_final(final(1, "gone soon"))
        view.show_partial(partial(2, "also"))
        view.clear()
        await pilot.pause()
        assert visible(view) == []
        view.show_final(final(2, "fresh"))  # the cleared partial does not come back
        await pilot.pause()
        assert visible(view) == ["fresh"]

    run(story)


# ---- health panel -------------------------------------------------------------------------------------

NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?!\w)")


def test_the_health_panel_shows_how_far_behind_the_revision_runs() -> None:
    async def story(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, WidgetsApp)
        row = app.query_one("#health-revision")
        app.health.update_health(snapshot(revision_lag_s=7.4), CUDA, "file talk.wav")
        await pilot.pause()
        assert text_of(app.query_one("#health-revision-value")) == "7 s behind"
        assert row.display and row.region.width <= app.health.region.width, "one row, within the panel"
        assert text_of(app.query_one("#health-passes-value")) == "every 1.1 s"
        app.health.update_health(snapshot(revision_lag_s=0.2), CUDA, "file talk.wav")
        await pilot.pause()
        assert text_of(app.query_one("#health-revision-value")) == "up to date"
        app.health.update_health(snapshot(revision_lag_s=None), CUDA, "file talk.wav")
        await pilot.pause()
        assert not row.display, "revision off: not shown"

    run(story)


def test_the_health_panel_shows_exactly_the_snapshots_figures() -> None:
    figures = snapshot(
        dropped_frames=19200, dropped_s=1.2, ledger=Ledger(int(12.3 * SAMPLE_RATE), 0, 0, 0, 0)
    )

    async def story(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, WidgetsApp)
        app.health.update_health(figures, CUDA, "file talk.wav")
        await pilot.pause()
        rows = ("rtf", "queue", "dropped", "latency", "passes", "resources", "level", "source")
        names = ("state", "backend", "model", "progress", *(f"{row}-value" for row in rows))
        shown = {name: text_of(app.query_one(f"#health-{name}")) for name in names}
        assert shown == {
            "state": "● listening",
            "backend": "GPU · CUDA",
            "model": "faster-whisper · small.en",
            "rtf-value": "0.23 last · 0.19 avg",
            "queue-value": "3.2/30 s 11%",
            "dropped-value": "19200 frames · 1.2 s",
            "latency-value": "p50 1.4 s · p95 2.9 s",
            "passes-value": "every 1.1 s",
            "resources-value": "45% · RSS 312 MB",
            "level-value": "-23 dB",
            "source-value": "file talk.wav",
            "progress": "12.3 / 66.2 s",
        }
        assert app.query_one("#health-rtf-history").data == figures.rtf_history  # type: ignore[attr-defined]
        assert app.query_one("#health-fill-history").data == figures.fill_history  # type: ignore[attr-defined]
        assert app.query_one("#health-dropped").has_class("-dropping")

        # Every number on the screen under the panel is a snapshot field, as rounded for display; the
        # charts' scale columns hold their fixed scales (test_reading.py), not figures.
        values = [getattr(figures, f.name) for f in fields(figures)] + [figures.audio_s]
        numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        charts = [chart.region for chart in app.query(Chart)]
        top = app.health.region.y
        lines = [
            line
            for y, line in enumerate(panel_lines(app), top)
            if not any(r.y <= y < r.bottom for r in charts)
        ]
        found = [m.group() for line in lines for m in NUMBER.finditer(line)]
        assert len(found) >= 14
        for text in found:
            decimals = len(text.partition(".")[2])
            assert any(abs(float(text) - v) <= 0.5 * 10**-decimals + 1e-9 for v in numbers), text

    run(story)


def test_the_panel_marks_trouble_in_the_error_colour() -> None:
    async def story(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, WidgetsApp)
        app.health.update_health(
            snapshot(
                state=State.OVERLOADED,
                overloaded=True,
                rtf_last=1.35,
                rtf_recent_mean=0.8,
                source_duration_s=None,
            ),
            CUDA,
            "device pulse",
        )
        await pilot.pause()
        state, rtf = app.query_one("#health-state"), app.query_one("#health-rtf-value")
        error = theme_colour(app, "text-error")
        assert text_of(state) == "● overloaded"
        assert colour_of(state, "● overloaded") == error
        assert text_of(rtf) == "1.35 last · 0.80 avg"
        assert colour_of(rtf, "1.35") == error
        assert colour_of(rtf, "0.80") != error
        assert not app.query_one("#health-progress").display  # a device has no length

    run(story)


def test_backend_badge_and_missing_figures() -> None:
    async def story(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, WidgetsApp)
        badge = app.query_one("#health-backend")
        empty = snapshot(
            rtf_last=None,
            rtf_recent_mean=None,
            latency_p50_s=None,
            latency_p95_s=None,
            word_latency_p50_s=None,
            word_latency_p95_s=None,
            pass_every_s=None,
        )
        app.health.update_health(empty, None, "device pulse")
        await pilot.pause()
        assert text_of(badge) == "loading…"
        assert text_of(app.query_one("#health-rtf-value")) == "— last · — avg"
        assert text_of(app.query_one("#health-latency-value")) == "p50 — · p95 —"
        assert text_of(app.query_one("#health-passes-value")) == "—"
        for backend, label in (
            ("metal", "GPU · Metal"),
            ("cuda", "GPU · CUDA"),
            ("cpu", "CPU"),
            ("rocm", "ROCM"),
        ):
            model = LoadedModel("whisper.cpp", "base.en", backend, "/m")
            app.health.update_health(empty, model, "device pulse")
            await pilot.pause()
            assert text_of(badge) == label

    run(story)


def test_updates_change_text_without_remounting() -> None:
    async def story(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, WidgetsApp)
        before = list(app.health.query("*"))
        for n in range(20):
            app.health.update_health(snapshot(queue_fill_s=n / 2, cpu_percent=float(n)), CUDA, "device pulse")
        await pilot.pause()
        assert list(app.health.query("*")) == before
        assert text_of(app.query_one("#health-resources-value")) == "19% · RSS 312 MB"

    run(story)


def test_the_panel_fits_an_80x24_terminal() -> None:
    worst = snapshot(
        queue_fill_s=118.5,
        queue_capacity_s=120.0,
        queue_fill_pct=98.75,
        dropped_frames=1_440_000,
        dropped_s=90.0,
        word_latency_p50_s=12.3,
        word_latency_p95_s=25.4,
        pass_every_s=12.5,
        overloaded=True,
        cpu_percent=187.0,
        rss_mb=2048.0,
        level_db=-120.0,
        server_split_s=(12.34, 10.25),  # a server engine: its calls split into server and network time
        revision_lag_s=128.4,  # the revision layer far behind
    )

    async def story(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, WidgetsApp)
        app.health.update_health(worst, CUDA, "file talk.wav")
        await pilot.pause()
        panel, screen = app.health, app.screen.region
        assert screen.contains_region(panel.region)
        assert 30 <= panel.region.width <= 34
        assert app.captions.region.width >= 44
        assert panel.max_scroll_y == 0  # every row fits: nothing hidden below
        for widget in panel.query("*"):
            if widget.display:  # hidden lines (no file progress, no download) take no room
                assert panel.region.contains_region(widget.region), widget
        for row in panel.query("HorizontalGroup"):
            assert row.region.height == 1, row  # no figure wrapped onto a second line
        lines = panel_lines(app)
        assert "118.5/120 s 99%" in "\n".join(lines)
        assert "server  12.3 s · net 10.2 s" in "\n".join(lines)
        assert "p50 12.3 s · p95 25.4 s" in "\n".join(lines)
        assert "revised 128 s behind" in "\n".join(lines)

    run(story)


def test_the_panel_says_why_the_session_stopped_but_leaves_a_failed_load_to_the_captions() -> None:
    async def story(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, WidgetsApp)
        state, backend = app.query_one("#health-state"), app.query_one("#health-backend")
        failed = snapshot(state=State.ENGINE_FAILED, reason="remote: 502")
        app.health.update_health(failed, None, "device pulse")
        await pilot.pause()
        assert text_of(state) == "● engine failed: remote: 502"
        assert colour_of(state, "● engine failed: remote: 502") == theme_colour(app, "text-error")
        assert text_of(backend) == "no model", "not 'loading…' beside a failure"

        not_loaded = snapshot(state=State.LOAD_FAILED, reason="not a whisper.cpp ggml model: pass another")
        app.health.update_health(not_loaded, None, "device pulse")
        await pilot.pause()
        assert text_of(state) == "● failed to load", "its reason is said once, in the captions"
        assert state.has_class("-failed") and state.has_class("-failed-to-load")
        assert not state.has_class("-engine-failed")

    run(story)


def test_an_update_before_mount_is_shown_once_mounted() -> None:
    async def main() -> None:
        panel = HealthPanel()
        panel.update_health(snapshot(state=State.PAUSED), CUDA, "device pulse")

        class Holder(App[None]):
            def compose(self) -> ComposeResult:
                yield panel

        async with Holder().run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert text_of(pilot.app.query_one("#health-state")) == "● paused"

    asyncio.run(main())
