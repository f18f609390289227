"""No import circles among course/'s modules: each module's imports at its top level form a graph without
cycles, read from the source (ast), so a circle fails here before it fails at an unlucky import order.

An import inside a function hides a circle from this test as from the reader: every one is listed here
(`INSIDE_FUNCTIONS`) with why it is there, and a new one fails until it is listed or moved to the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

COURSE = Path(__file__).resolve().parents[2] / "course"

# (module, imported module): why it is imported inside a function.
_FACTORY = "the app factory (course/__init__.py) imports what it registers while it builds an app"
_COMMAND = "a command imports what it runs when it runs, so other `flask` commands start without it"
INSIDE_FUNCTIONS: dict[tuple[str, str], str] = {
    ("course", "course.account"): _FACTORY,
    ("course", "course.admin"): _FACTORY,
    ("course", "course.assess"): _FACTORY,
    ("course", "course.auth"): _FACTORY,
    ("course", "course.cli"): _FACTORY,
    ("course", "course.clinic"): _FACTORY,
    ("course", "course.errors"): _FACTORY,
    ("course", "course.journal"): _FACTORY,
    ("course", "course.learn"): _FACTORY,
    ("course", "course.site"): _FACTORY,
    ("course", "course.practice"): _FACTORY,
    ("course", "course.messages"): _FACTORY,
    ("course", "course.notify"): _FACTORY,
    ("course", "course.templating"): _FACTORY,
    ("course", "course.tracking"): _FACTORY,
    ("course.cli", "course.assets"): _COMMAND,
    ("course.cli", "course.backup"): _COMMAND,
    ("course.cli", "course.demo"): _COMMAND,
    ("course.cli", "course.journal.services"): _COMMAND,
    ("course.cli", "course.notify.mailer"): _COMMAND,
    ("course.cli", "course.notify.services"): _COMMAND,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(COURSE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(COURSE.rglob("*.py"))}


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def targets(name: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The course modules an import statement in module `name` imports."""
    found: set[str] = set()
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in MODULES}
    if node.level:
        package = name if is_package(name) else name.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{node.module}" if node.module else package
    else:
        base = node.module or ""
    for alias in node.names:
        if f"{base}.{alias.name}" in MODULES:
            found.add(f"{base}.{alias.name}")
        elif base in MODULES:
            found.add(base)
    return found


def type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports(name: str) -> tuple[set[str], set[str]]:
    """The course modules `name` imports at its top level, and those it imports inside functions."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    top: set[str] = set()
    inside: set[str] = set()

    def walk(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if type_checking_only(child):
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                (inside if in_function else top).update(targets(name, child) - {name})
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            walk(child, nested)

    walk(tree, False)
    return top, inside


GRAPH = {name: imports(name) for name in MODULES}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected group of more than one module (Tarjan's algorithm), as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_graph_is_read() -> None:
    # The reading itself works: modules known to import each other at the top level are linked.
    assert "course.models" in GRAPH["course.activity"][0]
    assert "course.schema" in GRAPH["course.models"][0]
    assert "course.learn.services" in GRAPH["course.tracking.services"][0]


def test_no_import_circles_among_course_modules() -> None:
    assert cycles({name: top for name, (top, _inside) in GRAPH.items()}) == []


def test_the_cycle_finder_finds_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_imports_inside_functions_are_listed_with_their_reason() -> None:
    found = {(name, target) for name, (_top, inside) in GRAPH.items() for target in inside}
    assert found == set(INSIDE_FUNCTIONS)


def test_no_circle_hides_inside_a_function() -> None:
    # Were every import inside a function at the top, there would still be no circle.
    assert cycles({name: top | inside for name, (top, inside) in GRAPH.items()}) == []
