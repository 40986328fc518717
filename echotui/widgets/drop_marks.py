"""Where dropped audio shows in the caption flow: one line per stretch of drops (drops with no text between
them add up; nothing under 0.1 s is shown, so never "0.0 s dropped"), and one line per overload episode,
updated in place as it grows and closed with its total. The drops that revealed an episode are counted in
its line, which takes over theirs."""

from __future__ import annotations

from collections.abc import Callable

from echotui.pipeline.events import SHOWN_DROP_S, AudioDropped, OverloadEpisode
from echotui.widgets.caption_entries import CaptionEntry, drop_text


class DropMarks:
    """The open drop line and the open episode line of one caption view, which owns the rows: `add` shows a
    new entry at the bottom and returns its row, `put` shows an entry in place of a row's (False if the
    row is gone), `last` is the bottom row."""

    def __init__(
        self,
        add: Callable[[CaptionEntry], object],
        put: Callable[[object, CaptionEntry], bool],
        last: Callable[[], object | None],
    ) -> None:
        self._add, self._put, self._last = add, put, last
        self._drops: tuple[object | None, float, float] | None = None  # its row (None: not shown), s, start
        self._episode: object | None = None

    def drop(self, event: AudioDropped) -> None:
        if self._episode is not None:
            return  # the episode's line counts it
        row, seconds, start = self._drops or (None, 0.0, event.start_s)
        if row is not None and self._last() is not row:
            row, seconds, start = None, 0.0, event.start_s  # text came since: a new line here
        seconds += event.seconds
        if seconds >= SHOWN_DROP_S:
            entry = CaptionEntry("drop", drop_text(AudioDropped(start, seconds)), start)
            if row is None or not self._put(row, entry):
                row = self._add(entry)
        self._drops = (row, seconds, start)

    def overload(self, event: OverloadEpisode) -> None:
        row = self._episode
        if row is None and self._drops is not None and self._drops[0] is self._last():
            row = self._drops[0]  # the line of the drops that revealed it becomes the episode's
        entry = CaptionEntry("drop", event.text, event.since_s)
        if row is None or not self._put(row, entry):
            row = self._add(entry)
        self._drops = None
        self._episode = None if event.change == "ended" else row

    def clear(self) -> None:
        self._drops, self._episode = None, None
