"""The engine (audio, providers, models, selection, pipeline, config, session, CLI) never imports the UI
toolkit: each module is imported on its own, for real, and neither `textual` nor `rich` may be loaded after
it. One fresh interpreter forks a child per module to import it (`tests/support/import_probe.py`): the same
answer as a fresh interpreter per module, without importing numpy, Ray and echotui's core a hundred times."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import echotui

UI_MODULES = ("echotui.app", "echotui.widgets")
Imports = dict[str, dict[str, Any]]
"""Module → {"forbidden": the toolkit's modules its import loaded} or {"error": the traceback}."""


def engine_modules() -> list[str]:
    root = Path(echotui.__file__).parent
    names = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if not name.startswith(UI_MODULES) and name != "echotui.__main__":
            names.append(name)
    return names


@pytest.fixture(scope="module")
def imports() -> Imports:
    """One probe run over every engine module."""
    command = [sys.executable, "-m", "tests.support.import_probe", *engine_modules()]
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=600)
    report: Imports = json.loads(result.stdout)
    return report


def test_every_engine_folder_is_checked() -> None:
    folders = {name.split(".")[1] for name in engine_modules() if name.count(".") >= 2}
    assert folders >= {"audio", "cli", "models", "pipeline", "providers", "selection"}


@pytest.mark.parametrize("module", engine_modules())
def test_engine_module_does_not_import_the_ui_toolkit(module: str, imports: Imports) -> None:
    answer = imports[module]
    assert "error" not in answer, answer["error"]
    assert answer["forbidden"] == [], f"{module} imports {','.join(answer['forbidden'])}"
