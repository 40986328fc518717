"""The layout shows the architecture: no import cycles between echotui's modules, no module over 300
lines, and one door between the UI and the engine. Imports are read from the source (module level and
inside functions alike; those under `if TYPE_CHECKING:` only name types and never run)."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

import echotui

PACKAGE = Path(echotui.__file__).parent
MAX_LINES = 300


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(name: str, path: Path, known: set[str], type_only: bool = False) -> set[str]:
    """The echotui modules `name` imports (the most specific module each import names); with `type_only`
    those under `if TYPE_CHECKING:` too."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking_only(node) and not type_only:
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
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


def test_no_import_cycles() -> None:
    graph = import_graph()
    assert graph["echotui.cli.providers"] >= {"echotui.selection.auto", "echotui.cli.tables"}  # it reads
    assert cycles(graph) == []


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
        name: imports_of(name, path, known, type_only=True) - DOORS - PLAIN - set(ui_modules())
        for name, path in ui_modules().items()
    }
    assert {"echotui.app", "echotui.widgets.panels", "echotui.widgets.pickers"} <= set(reached)
    assert {name: targets for name, targets in reached.items() if targets} == {}


def test_the_checker_sees_an_engine_import_under_type_checking(tmp_path: Path) -> None:
    source = tmp_path / "widget.py"
    guarded = "    from echotui.pipeline.runner import Pipeline"
    source.write_text("\n".join(("from typing import TYPE_CHECKING", "if TYPE_CHECKING:", guarded)) + "\n")
    known = {"echotui.pipeline.runner"}
    assert imports_of("echotui.widgets.widget", source, known) == set()
    assert imports_of("echotui.widgets.widget", source, known, type_only=True) == {"echotui.pipeline.runner"}


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
