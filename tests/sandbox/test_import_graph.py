"""The sandbox package imports without cycles: every module-level import counts, including
those under ``TYPE_CHECKING``, so that a module reads from its dependencies only."""

from __future__ import annotations

import ast
from pathlib import Path

import sandbox

PACKAGE = Path(sandbox.__file__).parent


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the sandbox modules it imports (``from sandbox.x import y`` names ``x.y``
    when ``y`` is a module, else ``x``)."""
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                deps.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    deps.add(sub if sub in modules else node.module)
        graph[name] = {d for d in deps if d in modules and d != name and d != "sandbox"}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state, stack = [], dict.fromkeys(graph, 0), []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph[node]):
            if state[dep] == 1:
                found.append([*stack[stack.index(dep) :], dep])
            elif state[dep] == 0:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if state[node] == 0:
            visit(node)
    return found


def test_sandbox_has_no_import_cycle():
    assert cycles(import_graph()) == []


def test_route_modules_do_not_import_the_app():
    graph = import_graph()
    routes = [m for m in graph if m.startswith("sandbox.routes")]
    assert routes and all("sandbox.app" not in graph[m] for m in routes)
