"""Bars for the health panel: a one-line meter, and a labelled chart of recent values on a fixed scale.

They draw the figures they are given; nothing here computes one. A chart's scale is fixed (0 to `top`), so
the height of a bar means the same from one moment to the next: a queue a tenth full is a low bar, not a
full-height one because everything before it was lower still.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

BLOCKS = "▁▂▃▄▅▆▇█"
AXIS_WIDTH = 8
"""Columns of a chart's scale column (the panel's label column is as wide)."""


class Meter(Widget):
    """A one-line bar over its whole width, `fraction` of it filled: "████░░░░".

    Attributes:
        fraction: how much is filled, 0..1 (clamped).
    """

    DEFAULT_CSS = """
    Meter {
        width: 1fr;
        height: 1;
        min-width: 4;
        color: $primary;
    }
    """

    fraction: reactive[float] = reactive(0.0)

    def render(self) -> Content:
        width = self.content_size.width
        filled = round(min(1.0, max(0.0, self.fraction)) * width)
        return Content("█" * filled + "░" * (width - filled))


def bar_eighths(value: float, top: float, height: int) -> int:
    """How many eighths of a cell a bar for `value` fills, on a scale 0..`top` over `height` rows: any value
    above 0 shows at least one eighth, `top` and above fill the column."""
    if value <= 0 or top <= 0:
        return 0
    return max(1, round(min(1.0, value / top) * height * 8))


def axis_marks(height: int, name: str, top_label: str) -> list[str]:
    """The scale column's text, top row first: the top of the scale, the chart's name, and 0 at the bottom
    (one row: "0-1.0"; two rows: the top and 0)."""
    if height <= 1:
        return [f"0-{top_label}"]
    marks = [top_label, *([""] * (height - 2)), "0"]
    if height >= 3:
        marks[1] = name
    return marks


class Chart(Widget):
    """Recent values as bars, newest at the right, on a fixed scale from 0 to `top`; on the left its scale
    and name ("1.0 ┤ / RTF │ / 0 ┤"). Values at or above `top` fill their column in the error colour.

    Attributes:
        data: the values, oldest first; the newest that fit are drawn.
        top: the value drawn at full height.
        name: what the chart shows, written in its scale column.
        top_label: how the top of the scale is written ("1.0", "100%").
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"chart--axis", "chart--bar", "chart--over"}
    DEFAULT_CSS = """
    Chart {
        width: 1fr;
        height: 3;
        & > .chart--axis { color: $text-muted; }
        & > .chart--bar { color: $primary; }
        & > .chart--over { color: $text-error; }
    }
    """

    data: reactive[tuple[float, ...]] = reactive(())
    top: reactive[float] = reactive(1.0)

    def __init__(self, name: str, top_label: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.chart_name = name
        self.top_label = top_label

    def show(self, data: Sequence[float], top: float) -> None:
        """Draw `data` on the scale 0..`top` (redrawn only if either changed)."""
        self.data, self.top = tuple(data), top

    def render(self) -> Text:
        width, height = self.content_size.width, max(1, self.content_size.height)
        columns = max(0, width - AXIS_WIDTH)
        values = self.data[-columns:] if columns else ()
        eighths = [bar_eighths(value, self.top, height) for value in values]
        over = [value >= self.top > 0 for value in values]
        axis = self.get_component_rich_style("chart--axis")
        styles = (self.get_component_rich_style("chart--bar"), self.get_component_rich_style("chart--over"))
        text = Text(no_wrap=True, overflow="crop", end="")
        for row, mark in enumerate(axis_marks(height, self.chart_name, self.top_label)):
            if row:
                text.append("\n")
            tick = "┤" if row in (0, height - 1) else "│"
            text.append(f"{mark[: AXIS_WIDTH - 2]:>{AXIS_WIDTH - 2}} {tick}", axis)
            text.append(" " * (columns - len(values)))
            floor = (height - 1 - row) * 8  # eighths below this row
            for filled, alarm in zip(eighths, over, strict=True):
                cell = min(8, filled - floor)
                text.append(BLOCKS[cell - 1] if cell > 0 else " ", styles[alarm])
        return text
