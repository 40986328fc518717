"""A line-API scroll view (like Textual's `Log`): it shows a list of rendered lines, keeps the reader's
place (`_pinned`: at the bottom, as of their last scroll), caches its component styles, and asks its
subclass to render again when the width, the theme or the CSS changes (`_invalidate`, `_reflow`)."""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from textual.events import Resize
from textual.scroll_view import ScrollView
from textual.strip import Strip


class LineView(ScrollView):
    """The lines shown (`_lines`, top to bottom) and the mechanics around them; `CaptionView` fills them."""

    STYLE_PREFIX: ClassVar[str] = ""
    """Component classes are `STYLE_PREFIX` + a kind ("caption-view--final")."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._lines: list[Strip] = []  # every row's strips, top to bottom
        self._styles: dict[str, Style] = {}
        self._pinned = True  # the reader is at the bottom (as of their last scroll)

    def _invalidate(self) -> None:
        """Forget every rendered line (the next `_reflow` renders them all)."""

    def _reflow(self, removed_lines: int = 0) -> None:
        """Rebuild `_lines` and keep the reader's place."""

    def _style(self, kind: str) -> Style:
        style = self._styles.get(kind)
        if style is None:
            style = self._styles[kind] = self.get_component_rich_style(f"{self.STYLE_PREFIX}{kind}")
        return style

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        index = scroll_y + y
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        return self._lines[index].crop_extend(scroll_x, scroll_x + width, self.rich_style)

    # ---- Textual hooks -----------------------------------------------------------------------------

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._pinned = self.is_vertical_scroll_end

    def on_resize(self, event: Resize) -> None:
        self._reflow()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if not self._styles:
            return
        before = dict(self._styles)
        self._styles.clear()
        if any(self._style(kind) != style for kind, style in before.items()):  # a theme or CSS change
            self._invalidate()
            self._reflow()
