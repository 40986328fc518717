"""How a caption entry looks: its lines (a stamp and a styled body each), wrapped to the view's width. A
word a revision changed is marked (`Sentence.marks`) until the view takes the mark off."""

from __future__ import annotations

import re
from collections.abc import Callable

from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from echotui.widgets.caption_entries import CLOCK_WIDTH, CaptionEntry, clock

HANG_MIN_WIDTH = 24
"""The fewest columns left for the text beside a stamp for its continuation lines to be indented under it."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

StyleOf = Callable[[str], Style]
"""The view's style for a kind of text: "final", "partial", "timestamp", "revised", ..."""


def entry_texts(entry: CaptionEntry, style: StyleOf, timestamps: bool) -> list[tuple[str, Text]]:
    """The entry's lines before wrapping, each with its stamp ("" for none): a line per sentence (its
    start time when `timestamps` is on), the tentative words after the last one, or on a line of their own
    (aligned under the sentences) when that one is complete."""
    texts: list[tuple[str, Text]] = []
    for sentence in entry.lines:
        stamped = timestamps and sentence.start_s is not None
        stamp = f"{clock(sentence.start_s or 0.0)} " if stamped else ""
        body = Text(_CONTROL.sub(" ", sentence.text), style(entry.kind), end="", overflow="fold")
        for start, end in sentence.marks:
            body.stylize(style("revised"), start, end)
        texts.append((stamp, body))
    if entry.tentative:
        tentative, own_line = _CONTROL.sub(" ", entry.tentative), entry.lines[-1].complete
        if own_line:
            texts.append((" " * (CLOCK_WIDTH + 1) if timestamps else "", Text(end="", overflow="fold")))
        texts[-1][1].append(tentative if own_line else f" {tentative}", style("partial"))
    return texts


def wrap_texts(
    texts: list[tuple[str, Text]], width: int, console: Console, stamp_style: Style
) -> list[Strip]:
    """Wrapped to `width`; a stamped line's continuation is indented under its text, room allowing."""
    lines: list[Text] = []
    for stamp, body in texts:
        if width - len(stamp) < HANG_MIN_WIDTH:  # too narrow to hang: the stamp wraps with the text
            lines.extend(Text.assemble((stamp, stamp_style), body, end="").wrap(console, width))
            continue
        for n, line in enumerate(body.wrap(console, width - len(stamp))):
            lines.append(Text.assemble((stamp if n == 0 else " " * len(stamp), stamp_style), line, end=""))
    return [Strip(line.render(console), line.cell_len) for line in lines]
