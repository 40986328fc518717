"""The engine (audio, providers, models, selection, pipeline, config, session, CLI) never imports the UI
toolkit: each module is imported on its own, in a fresh interpreter, and neither `textual` nor `rich` may
be loaded after it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import echotui

UI_MODULES = ("echotui.app", "echotui.widgets")
FORBIDDEN = ("textual", "rich")


def engine_modules() -> list[str]:
    root = Path(echotui.__file__).parent
    names = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if not name.startswith(UI_MODULES) and name != "echotui.__main__":
            names.append(name)
    return names


def test_every_engine_folder_is_checked() -> None:
    folders = {name.split(".")[1] for name in engine_modules() if name.count(".") >= 2}
    assert folders >= {"audio", "cli", "models", "pipeline", "providers", "selection"}


@pytest.mark.parametrize("module", engine_modules())
def test_engine_module_does_not_import_the_ui_toolkit(module: str) -> None:
    code = (
        "import importlib, sys\n"
        f"importlib.import_module({module!r})\n"
        f"print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"{module} imports {result.stdout.strip()}"
