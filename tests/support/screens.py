"""What tests of the screens share: hand-made figures and events, the real app over a session that shows
them, and the screen read back as text."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.app import App
from textual.widget import Widget
from textual.widgets import Static

from echotui import SAMPLE_RATE
from echotui.app import EchoApp
from echotui.config import Settings
from echotui.pipeline.events import FinalTranscribed, PartialTranscribed
from echotui.pipeline.metrics import Ledger, MetricsSnapshot
from echotui.pipeline.state import State
from echotui.providers.base import LoadedModel, Segment, Word
from echotui.session import Session
from echotui.widgets.captions import CaptionView
from tests.doubles import QuietSource, ReadyProvider

CUDA = LoadedModel(provider="faster-whisper", model="small.en", backend="cuda", path="/models/small.en")


def snapshot(**changes: Any) -> MetricsSnapshot:
    """A hand-made snapshot: 12.3 s of a 66.2 s file heard, the engine keeping up."""
    figures: dict[str, Any] = {
        "ledger": Ledger(
            captured=int(12.3 * SAMPLE_RATE), transcribed=0, vad_skipped=0, dropped=0, pending=0
        ),
        "rtf_last": 0.23,
        "rtf_mean": 0.21,
        "rtf_p95": 0.41,
        "rtf_recent_mean": 0.19,
        "calls": 12,
        "compute_s": 2.8,
        "queue_fill_s": 3.2,
        "queue_capacity_s": 30.0,
        "queue_fill_pct": 3.2 / 30.0 * 100.0,
        "queue_max_fill_s": 4.1,
        "dropped_frames": 0,
        "dropped_s": 0.0,
        "latency_p50_s": 0.9,
        "latency_p95_s": 2.5,
        "word_latency_p50_s": 1.4,
        "word_latency_p95_s": 2.9,
        "pass_every_s": 1.1,
        "window_s": 4.6,
        "cpu_percent": 45.0,
        "rss_mb": 312.4,
        "peak_rss_mb": 330.0,
        "segments": 4,
        "rtf_history": (0.12, 0.2, 0.31, 0.25, 0.5, 0.22, 0.18, 0.23),
        "fill_history": (0.4, 1.1, 2.0, 2.6, 3.2),
        "level_db": -23.0,
        "state": State.LISTENING,
        "source_duration_s": 66.2,
    }
    figures.update(changes)
    return MetricsSnapshot(**figures)


def final(utterance_id: int, text: str, start_s: float = 0.0) -> FinalTranscribed:
    captions = (Segment(start_s, start_s + 2.0, text),) if text else ()
    return FinalTranscribed(utterance_id, start_s, start_s + 2.0, captions, latency_s=0.8)


def spoken(utterance_id: int, text: str, start_s: float, closes: bool = True) -> FinalTranscribed:
    """Committed words with word times, as whisper.cpp and faster-whisper give them: a word every 0.4 s."""
    words = tuple(Word(start_s + 0.4 * n, start_s + 0.4 * n + 0.3, w) for n, w in enumerate(text.split()))
    said = (Segment(words[0].start_s, words[-1].end_s, text),)
    return FinalTranscribed(utterance_id, words[0].start_s, words[-1].end_s, said, 0.0, words, closes=closes)


def partial(utterance_id: int, text: str, start_s: float = 0.0) -> PartialTranscribed:
    return PartialTranscribed(utterance_id, start_s, start_s + 1.0, text)


def screen_lines(app: App[Any]) -> list[str]:
    """The terminal as text, one string per row (as Textual's own screenshot export draws it)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, record=True)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=[], simplify=True))
    return console.export_text().splitlines()


def visible(view: CaptionView) -> list[str]:
    """The caption view's rows as shown now (scroll position included), blank rows dropped."""
    rows = (view.render_line(y).text.strip() for y in range(view.scrollable_content_region.height))
    return [row for row in rows if row]


def text_of(widget: Widget) -> str:
    assert isinstance(widget, Static)
    return str(widget.visual)


class FixedFiguresSession(Session):
    """A real session whose metrics snapshot is set by the test (live figures would change every run)."""

    figures: MetricsSnapshot

    def snapshot(self) -> MetricsSnapshot:
        return self.figures


def app_with(figures: MetricsSnapshot, loaded: LoadedModel, source: str, duration_s: float | None) -> EchoApp:
    quiet = QuietSource(source, duration_s)  # no journal: its path holds the time, and a snapshot must not
    session = FixedFiguresSession(Settings(), quiet, provider=ReadyProvider(loaded), journal=False)
    session.figures = figures
    return EchoApp(session, log_path=Path("/home/user/.local/state/echotui/echotui.log"))
