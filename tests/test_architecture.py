"""The layout shows the architecture: no import cycles between echotui's modules, type-only ones included,
no module over 300 lines, every package says what it is, and one door between the UI and the engine.
Imports are read from the source: module level, inside functions, and under `if TYPE_CHECKING:` alike (a
type a module names is still a module it depends on)."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

import echotui
from echotui.providers.names import PROVIDER_NAMES
from echotui.providers.registry import PROVIDERS

PACKAGE = Path(echotui.__file__).parent
MAX_LINES = 300


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The echotui modules `name` imports (the most specific module each import names)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {module for module in found if module in known and module != name}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def import_graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports_of(name, path, set(found)) for name, path in found.items()}


# Cycles being taken apart on other branches this round (the runner and its policies; the session and its
# refinement); the lead empties this once they are merged.
BEING_REMOVED: set[str] = set()


def described(cycle: list[str], graph: dict[str, set[str]]) -> str:
    """Each module of a cycle with the modules of the cycle it imports."""
    return "; ".join(f"{name} -> {', '.join(sorted(graph[name] & set(cycle)))}" for name in cycle)


def test_no_import_cycles_not_even_through_type_imports() -> None:
    graph = import_graph()
    assert graph["echotui.cli.providers"] >= {"echotui.selection.auto", "echotui.cli.tables"}  # it reads
    assert "echotui.config" in graph["echotui.providers.base"]  # a type-only import counts
    found = [described(cycle, graph) for cycle in cycles(graph) if not set(cycle) <= BEING_REMOVED]
    assert found == [], "import cycles:\n" + "\n".join(found)


def test_the_checker_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_the_pipeline_does_not_import_models_or_downloads() -> None:
    """Download progress reaches the pipeline injected (`Pipeline(progress=...)`, from the session)."""
    graph = import_graph()
    pipeline = [targets for name, targets in graph.items() if name.startswith("echotui.pipeline.")]
    reached = {target for targets in pipeline for target in targets}
    assert not {name for name in reached if name.startswith("echotui.models")}


def test_no_module_is_over_300_lines() -> None:
    long = {
        name: lines
        for name, path in modules().items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_every_package_says_what_it_is() -> None:
    """A reader can tell each package's job from the first sentence of its `__init__` docstring."""
    packages = sorted(path for path in PACKAGE.rglob("__init__.py"))
    assert len(packages) >= 9
    unsaid = [
        str(path.relative_to(PACKAGE.parent))
        for path in packages
        if not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert unsaid == []


ENGINE_PACKAGES = {"pywhispercpp", "_pywhispercpp", "faster_whisper", "ctranslate2"}


def test_selection_asks_the_providers_and_imports_no_engine() -> None:
    """Auto-selection reaches an engine only through its provider class (`providers.registry`): no module of
    `echotui.selection` imports an engine package or spells a provider's name."""
    selection = {name: path for name, path in modules().items() if name.startswith("echotui.selection.")}
    assert len(selection) >= 6
    imported: dict[str, set[str]] = {name: set() for name in selection}
    named: dict[str, set[str]] = {}
    for name, path in selection.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported[name].update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported[name].add(node.module.split(".")[0])
            elif isinstance(node, ast.Constant) and node.value in PROVIDER_NAMES:
                named.setdefault(name, set()).add(str(node.value))
    engines = {name: found & ENGINE_PACKAGES for name, found in imported.items() if found & ENGINE_PACKAGES}
    assert engines == {}
    assert named == {}
    assert "echotui" in imported["echotui.selection.status"]  # the walk sees imports


def test_every_provider_is_spelled_in_one_place() -> None:
    """The registry's classes carry exactly the names `providers.names` spells (settings check those)."""
    assert tuple(PROVIDERS) == PROVIDER_NAMES


UI = ("echotui.app", "echotui.widgets")
DOORS = {"echotui.session", "echotui.pipeline.events", "echotui.pipeline.output"}
"""All the UI may import from the engine side: the session, what its events carry, how text is laid out."""
PLAIN = {"echotui", "echotui.errors", "echotui.shutdown"}
"""Helpers that belong to neither side (the sample rate, one-line errors, signal handling)."""


def ui_modules() -> dict[str, Path]:
    return {name: path for name, path in modules().items() if name.startswith(UI)}


def test_the_app_and_widgets_reach_the_engine_only_through_the_session_and_its_events() -> None:
    known = set(modules())
    reached = {
        name: imports_of(name, path, known) - DOORS - PLAIN - set(ui_modules())
        for name, path in ui_modules().items()
    }
    assert {"echotui.app", "echotui.widgets.panels", "echotui.widgets.pickers"} <= set(reached)
    assert {name: targets for name, targets in reached.items() if targets} == {}


def reaches_into_a_pipeline(path: Path) -> list[str]:
    """Every `x.pipeline` in the source at `path` (a session's pipeline, read past the session)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.name}:{node.lineno}: {ast.unparse(node)}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "pipeline"
    ]


def test_no_way_in_reaches_past_the_session_to_its_pipeline() -> None:
    """The app, the widgets, the CLI, bench and replay ask the session; none reads `session.pipeline`."""
    ways_in = [
        *ui_modules().values(),
        *(PACKAGE / "cli").glob("*.py"),
        PACKAGE / "bench.py",
        PACKAGE / "replay.py",
    ]
    assert [found for path in ways_in for found in reaches_into_a_pipeline(path)] == []


def test_the_checker_sees_a_session_pipeline(tmp_path: Path) -> None:
    source = tmp_path / "app.py"
    source.write_text("def exit_code(app):\n    return 3 if app.session.pipeline.failure else 0\n")
    assert reaches_into_a_pipeline(source) == ["app.py:2: app.session.pipeline"]


def test_every_type_an_event_or_snapshot_carries_can_be_named_from_the_events_module() -> None:
    """The UI reads what it is handed (a word, a model, a state) with names from `events` alone."""
    from echotui.pipeline import events

    def named(hint: object) -> set[type]:
        found = {hint} if isinstance(hint, type) and hint.__module__.startswith("echotui") else set()
        return found.union(*(named(arg) for arg in typing.get_args(hint)))

    carriers = [*typing.get_args(events.PipelineEvent), events.MetricsSnapshot, events.Failure]
    carried = {
        cls for carrier in carriers for hint in typing.get_type_hints(carrier).values() for cls in named(hint)
    }
    assert {events.Word, events.LoadedModel, events.State, events.Ledger} <= carried
    assert {cls.__name__ for cls in carried if getattr(events, cls.__name__, None) is not cls} == set()


TESTS = Path(__file__).parent


def imported_test_modules(source: str) -> set[str]:
    """The test modules (`tests.test_*`) a test file's source imports, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "tests" if node.level else node.module or ""
            if node.level and node.module:
                base = f"tests.{node.module}"
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {
        name for name in found if name.split(".")[:2][-1].startswith("test_") and name.startswith("tests.")
    }


def test_no_test_module_imports_another() -> None:
    """Shared helpers live in tests/support/: a story never depends on another story's module."""
    imported = {
        path.name: names
        for path in sorted(TESTS.glob("test_*.py"))
        if (names := imported_test_modules(path.read_text(encoding="utf-8")))
    }
    assert imported == {}


def test_the_test_import_checker_sees_every_spelling() -> None:
    for source in (
        "from tests.test_app import wait_for",
        "def f():\n    from tests.test_app import wait_for",
        "import tests.test_app",
        "from tests import test_app",
        "from .test_app import wait_for",
    ):
        assert "tests.test_app" in imported_test_modules(source), source
    assert imported_test_modules("from tests.support.app import wait_for\nimport tests.doubles") == set()
