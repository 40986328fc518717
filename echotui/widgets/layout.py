"""The main screen's keys and how it fits a terminal: what each key does (the footer, the help screen and
the command palette say it), and the width below which the health panel folds under the captions."""

from __future__ import annotations

from textual.binding import Binding, BindingType

PANEL_WIDTH = 34
"""Columns of the health panel beside the captions (app.tcss sets the same)."""
CAPTIONS_MIN_WIDTH = 36
"""The fewest columns the captions get beside the panel; a narrower terminal folds the panel below them."""
NARROW_BELOW = PANEL_WIDTH + CAPTIONS_MIN_WIDTH
BREAKPOINTS = [(0, "-narrow"), (NARROW_BELOW, "-wide")]
"""The screen's class by terminal width: `-narrow` stacks the panel under the captions (app.tcss)."""

KEYS: list[BindingType] = [
    # Quit and Help first: a footer cut short by a narrow terminal still shows the way out and the way in.
    Binding("q", "quit", "Quit", tooltip="Stop listening, finish what was heard, and exit"),
    Binding("question_mark", "help", "Help", tooltip="Every key, what the figures mean, where logs go"),
    Binding("d", "pick_device", "Device", tooltip="Choose the input device"),
    Binding("p", "pick_provider", "Provider", tooltip="Swap the speech engine"),
    Binding("m", "pick_model", "Model", tooltip="Swap or download a model"),
    Binding("space", "toggle_pause", "Pause", tooltip="Stop capturing audio, or start again"),
    Binding("s", "save", "Save", tooltip="Save the whole transcript as txt, srt, vtt or jsonl"),
    # In the help screen and the palette, not the footer: it has room for the keys above only.
    Binding("t", "toggle_timestamps", "Times", show=False, tooltip="Show when each sentence began"),
    Binding("c", "clear", "Clear", show=False, tooltip="Empty the screen; a save still holds everything"),
    Binding("h", "toggle_health", "Health", show=False, tooltip="Show or hide the health panel"),
]
