"""Modal screens: a generic picker (device, provider, model, save format) and the help screen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option


@dataclass(frozen=True)
class Choice:
    """One line of a picker: what it shows, what choosing it returns, and whether it can be chosen."""

    label: str
    value: str
    enabled: bool = True


class PickerScreen(ModalScreen[str | None]):
    """A titled list; Enter chooses, Escape cancels (returns None). Disabled lines say why they are."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, title: str, choices: list[Choice], note: str = "", picker_id: str = "picker") -> None:
        super().__init__(id=picker_id)
        self.title_text = title
        self.choices = choices
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(classes="picker"):
            yield Label(self.title_text, classes="picker-title")
            yield OptionList(
                *(Option(c.label, id=c.value, disabled=not c.enabled) for c in self.choices),
                id="picker-options",
            )
            if self.note:
                yield Static(self.note, classes="picker-note")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


HELP = """\
[b]echotui[/b] — live captions, and the truth about the pipeline

  [b]q[/b]  quit                [b]space[/b]  pause / resume
  [b]d[/b]  input device        [b]s[/b]      save transcript
  [b]p[/b]  provider (engine)   [b]t[/b]      sentence start times
  [b]m[/b]  model               [b]h[/b]      show / hide the health panel
  [b]c[/b]  clear the screen    [b]?[/b]      this help     [b]ctrl+p[/b] palette

RTF = engine seconds ÷ audio seconds (under 1 keeps up); its chart: recent calls, full at 1.0.
The queue chart: its fill over time, full when the queue is.
Overloaded = the backlog keeps growing: pick a smaller model.
Engine logs: {log}
Transcript journal (each line as it is written, kept if echotui dies): {journal}
"""


class HelpScreen(ModalScreen[None]):
    """Keys, what the figures mean, and where the engine logs go."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "dismiss(None)", "Close")]

    def __init__(self, log_path: str, journal_path: str = "(none)") -> None:
        super().__init__(id="help")
        self.log_path = log_path
        self.journal_path = journal_path

    def compose(self) -> ComposeResult:
        with Vertical(classes="picker"):
            yield Static(HELP.format(log=self.log_path, journal=self.journal_path), id="help-text")
