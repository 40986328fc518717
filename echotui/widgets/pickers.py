"""Modal screens: a generic picker (device, provider, save format), the model picker (which can open a
model by its path) and the help screen."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from echotui.session import ModelEntry


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


@dataclass(frozen=True)
class ModelPick:
    """What the model picker returns: a model `name` from the list, or the `path` the user typed."""

    name: str | None = None
    path: Path | None = None
    running: bool = False


OPEN = "<open a path>"
MODEL_NOTE = "▶ running  ● on this machine  ↓ downloads from Hugging Face (progress in the log), then runs"
PATH_HINT = "a whisper.cpp ggml-*.bin file or a CTranslate2 folder: the engine is worked out from it"


def model_line(entry: ModelEntry) -> str:
    mark = "▶" if entry.running else "●" if entry.present else "↓"
    size = f"{entry.size_mb or '?':>6} MB" if entry.source != "server" else " " * 9  # a server's: not said
    return f"{mark} {entry.name:<22} {size}  {entry.location or ''}"


class ModelScreen(ModalScreen[ModelPick | None]):
    """The `m` picker: the provider's models (the running one marked, those on this machine first) and
    "open a local file or folder…", which asks for a path. Escape cancels (returns None)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, provider: str, entries: list[ModelEntry]) -> None:
        super().__init__(id="models")
        self.provider = provider
        self.entries = {
            f"model-{i}": entry
            for i, entry in enumerate(sorted(entries, key=lambda e: (not e.present, e.name)))
        }

    def compose(self) -> ComposeResult:
        with Vertical(classes="picker"):
            yield Label(f"{self.provider} model", classes="picker-title")
            options = [Option(model_line(entry), id=key) for key, entry in self.entries.items()]
            yield OptionList(*options, Option("… open a local file or folder…", id=OPEN), id="picker-options")
            path = Input(placeholder="path to a model file or folder", id="path-input")
            path.display = False  # until "open a local file or folder…" is chosen
            yield path
            yield Static(MODEL_NOTE, classes="picker-note")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id != OPEN:
            entry = self.entries[str(event.option.id)]
            self.dismiss(ModelPick(entry.name, running=entry.running))
            return
        self.query_one(OptionList).display = False
        path = self.query_one(Input)
        path.display = True
        path.focus()
        self.query_one(".picker-note", Static).update(PATH_HINT)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        typed = event.value.strip()
        self.dismiss(ModelPick(path=Path(typed)) if typed else None)


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
