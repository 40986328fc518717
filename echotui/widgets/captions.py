"""The transcript as it grows: dimmed partials replaced in place, finals (a line per sentence), drop
markers (one line per stretch of drops, one per overload episode: `drop_marks`) and notices.

`CaptionView` is a line-API scroll view (like Textual's `Log`), not a container of one widget per line:
a long session keeps thousands of lines, and a container re-lays-out every child on each change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from rich.text import Text
from textual.geometry import Size
from textual.reactive import var
from textual.strip import Strip

from echotui.pipeline.events import (
    AudioDropped,
    FinalTranscribed,
    OverloadEpisode,
    PartialTranscribed,
    TranscriptRevised,
)
from echotui.widgets.caption_entries import (
    REVISED_MARK_S,
    CaptionEntry,
    Word,
    add_words,
    committed_words,
    revise_words,
    revised_marks,
    unmarked,
)
from echotui.widgets.caption_render import entry_texts, wrap_texts
from echotui.widgets.drop_marks import DropMarks
from echotui.widgets.line_view import LineView

MAX_ENTRIES = 2000


@dataclass(eq=False)
class _Row:
    """An entry and its wrapped lines at the view's current width and styles (None: not rendered yet)."""

    entry: CaptionEntry
    strips: list[Strip] | None = None
    words: tuple[Word, ...] = ()  # a final's committed words, for a revision to replace


class CaptionView(LineView, can_focus=True):
    """The live transcript, one paragraph per utterance and a line per sentence, newest at the bottom.

    It follows new text only while the reader is at the bottom: scrolled up to read, they stay put (also
    when old lines are dropped off the top). At most `max_entries` paragraphs are kept; the app keeps the
    full transcript.

    Attributes:
        timestamps: prefix each sentence, partial and drop marker with its start time "[hh:mm:ss]".
        max_entries: the most paragraphs kept; the oldest go first.
    """

    STYLE_PREFIX = "caption-view--"
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "caption-view--partial",
        "caption-view--final",
        "caption-view--drop",
        "caption-view--notice",
        "caption-view--timestamp",
        "caption-view--revised",
    }

    DEFAULT_CSS = """
    CaptionView {
        background: $surface;
        color: $text;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
        scrollbar-size-vertical: 1;
        padding: 0 1;
        & > .caption-view--partial { color: $text-muted; text-style: italic; }
        & > .caption-view--final { color: $text; }
        & > .caption-view--drop { color: $text-warning; text-style: bold; }
        & > .caption-view--notice { color: $text-muted; }
        & > .caption-view--timestamp { color: $text-muted; }
        & > .caption-view--revised { color: $accent; text-style: underline; }
    }
    """

    timestamps: var[bool] = var(False)

    def __init__(
        self,
        max_entries: int = MAX_ENTRIES,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.max_entries = max(1, max_entries)
        self._rows: list[_Row] = []
        self._open: dict[int, _Row] = {}  # utterance id → its partial's row
        self._width = 0  # the width the strips were wrapped at
        self._marks = DropMarks(self._add_entry, self._set_entry, self._last_row)

    # ---- what the app calls ------------------------------------------------------------------------

    @property
    def entries(self) -> list[CaptionEntry]:
        """The paragraphs shown, oldest first."""
        return [row.entry for row in self._rows]

    def shown_text(self, entry: CaptionEntry) -> str:
        """An entry's text as displayed (with timestamps when `timestamps` is on), a line per sentence,
        unwrapped."""
        return "\n".join(stamp + body.plain for stamp, body in self._texts(entry))

    def show_partial(self, event: PartialTranscribed) -> None:
        """Show (or replace in place) the open utterance's tentative words, dimmed after its committed
        ones ("…" while it has neither)."""
        text = event.text.strip()
        row = self._open.get(event.utterance_id)
        if row is None:
            entry = CaptionEntry("partial", text or "…", event.start_s, event.utterance_id)
            row = _Row(entry)
            self._open[event.utterance_id] = row
            self._append(row)
            return
        old = row.entry
        if old.kind == "final":
            entry = replace(old, tentative=text)
        else:
            entry = CaptionEntry("partial", text or "…", old.start_s, old.utterance_id)
        row.entry, row.strips = entry, None
        self._reflow()

    def show_final(self, event: FinalTranscribed) -> None:
        """Add committed words to the utterance's paragraph (they replace its tentative words and are
        never rewritten). When the event closes the utterance, an empty paragraph is removed."""
        row = self._open.get(event.utterance_id)
        if event.closes:
            self._open.pop(event.utterance_id, None)
        committed = row.entry.sentences if row is not None and row.entry.kind == "final" else ()
        sentences = add_words(committed, committed_words(event))
        if not sentences:
            if row is not None and event.closes:
                self._rows.remove(row)
                self._reflow()
            return
        entry = CaptionEntry.final(sentences, event.utterance_id)
        words = (row.words if row is not None else ()) + committed_words(event)
        if row is None:
            row = _Row(entry, words=words)
            if not event.closes:
                self._open[event.utterance_id] = row
            self._append(row)
        else:
            row.entry, row.strips, row.words = entry, None, words
            self._reflow()

    def show_revision(self, event: TranscriptRevised) -> None:
        """Revised words replace, in place, the committed words they name (in the paragraphs still kept);
        the words that changed are marked for `REVISED_MARK_S`, so the reader notices."""
        rows = [row for row in self._rows if set(row.words) & set(event.replaced)]
        for row, words in zip(rows, revise_words([row.words for row in rows], event), strict=True):
            old, row.words, row.strips = row.entry, words, None
            if words:
                sentences = add_words((), words, revised_marks(event))
                row.entry = CaptionEntry.final(sentences, old.utterance_id or 0, old.tentative)
                self.set_timer(REVISED_MARK_S, lambda row=row: self._unmark(row))
            else:  # its words went to the paragraph before
                self._rows.remove(row)
                self._open = {k: v for k, v in self._open.items() if v is not row}
        self._reflow()

    def _unmark(self, row: _Row) -> None:
        if row in self._rows and row.entry.kind == "final":
            row.entry, row.strips = unmarked(row.entry), None
            self._reflow()

    def show_drop(self, event: AudioDropped) -> None:
        """A marker line, e.g. "⚠ 1.2 s dropped", where the drop happened in the flow (drops in a row add
        up on one line; during an overload episode, its line counts them)."""
        self._marks.drop(event)

    def show_overload(self, event: OverloadEpisode) -> None:
        """The overload episode's one line, updated in place and closed with its total."""
        self._marks.overload(event)

    def show_notice(self, text: str) -> None:
        """A muted one-line note in the flow (e.g. a model swap)."""
        self._append(_Row(CaptionEntry("notice", text)))

    def clear(self) -> None:
        """Empty the view."""
        self._rows.clear()
        self._open.clear()
        self._marks.clear()
        self._pinned = True
        self._reflow()

    # ---- layout ------------------------------------------------------------------------------------

    def _last_row(self) -> _Row | None:
        return self._rows[-1] if self._rows else None

    def _add_entry(self, entry: CaptionEntry) -> _Row:
        row = _Row(entry)
        self._append(row)
        return row

    def _set_entry(self, row: object, entry: CaptionEntry) -> bool:
        """Show `entry` in place of `row`'s; False if that row is no longer shown."""
        if not isinstance(row, _Row) or row not in self._rows:
            return False
        row.entry, row.strips = entry, None
        self._reflow()
        return True

    def _append(self, row: _Row) -> None:
        self._rows.append(row)
        removed_lines = 0
        excess = len(self._rows) - self.max_entries
        if excess > 0:
            for old in self._rows[:excess]:
                removed_lines += len(old.strips or ())
                if old.entry.kind == "partial" and old.entry.utterance_id is not None:
                    self._open.pop(old.entry.utterance_id, None)
            del self._rows[:excess]
        self._reflow(removed_lines)

    def _reflow(self, removed_lines: int = 0) -> None:
        """Rebuild the line list from the rows (rendering only rows that changed) and keep the reader's
        place: at the bottom when pinned there, else on the same text."""
        if not self.is_mounted:
            return  # laid out on mount (the first resize)
        follow = self._pinned and not self.is_vertical_scrollbar_grabbed
        width = self.scrollable_content_region.width
        if width != self._width:
            self._width = width
            self._invalidate()
        lines: list[Strip] = []
        if width > 0:
            for row in self._rows:
                if row.strips is None:
                    row.strips = self._render_entry(row.entry, width)
                lines.extend(row.strips)
        self._lines = lines
        self.virtual_size = Size(width, len(lines))
        if follow:
            # force: the scrollbar (and so "may scroll") only appears at the next layout
            self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)
        elif removed_lines:
            self.scroll_to(
                y=max(0.0, self.scroll_y - removed_lines), animate=False, immediate=True, force=True
            )
        self.refresh()

    def watch_show_vertical_scrollbar(self, shown: bool) -> None:
        """A scrollbar appears at the layout after the scroll to the bottom, and Textual moves its thumb
        only as the view scrolls: put the thumb where the view already is."""
        if shown:
            self.vertical_scrollbar.position = self.scroll_y

    def _invalidate(self) -> None:
        for row in self._rows:
            row.strips = None

    def _texts(self, entry: CaptionEntry) -> list[tuple[str, Text]]:
        return entry_texts(entry, self._style, self.timestamps)

    def _render_entry(self, entry: CaptionEntry, width: int) -> list[Strip]:
        return wrap_texts(self._texts(entry), width, self.app.console, self._style("timestamp"))

    # ---- Textual hooks -----------------------------------------------------------------------------

    def watch_timestamps(self) -> None:
        self._invalidate()
        self._reflow()
