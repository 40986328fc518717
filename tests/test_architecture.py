"""The layout shows the architecture: no import cycles between echotui's modules, and no module over 300
lines. Imports are read from the source (module level and inside functions alike; those under
`if TYPE_CHECKING:` only name types and never run)."""

from __future__ import annotations

import ast
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


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The echotui modules `name` imports (the most specific module each import names)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking_only(node):
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
