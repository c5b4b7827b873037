"""The project's packages import each other without a cycle.

Every import counts, including the ones under ``TYPE_CHECKING`` and inside functions: a cycle
hidden there is still one for a reader and a type checker. A package's ``__init__``
re-exporting its own modules is not a cycle: only the edges import statements name count.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("models", "custify", "sandbox", "pipelines", "reverse_etl", "warehouse", "custify_sync")


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, modules: set[str], root: Path = ROOT) -> set[str]:
    """Our modules ``path`` imports: ``from a.b import c`` counts ``a.b.c`` when that is one."""
    here = module_name(path, root).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                found.add(sub if sub in modules else module)
    return found & modules


def graph() -> dict[str, set[str]]:
    files = {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    return {name: imports(path, set(files)) - {name} for name, path in files.items()}


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path of module names, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_packages_have_no_import_cycle() -> None:
    edges = graph()
    assert {m.split(".")[0] for m in edges} == set(PACKAGES)
    found = cycle(edges)
    assert found is None, " -> ".join(found or [])


def test_the_check_finds_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("import b\n")
    b.write_text("def f():\n    from a import x\n")
    edges = {m: imports(p, {"a", "b"}, tmp_path) for m, p in (("a", a), ("b", b))}
    assert cycle(edges) == ["a", "b", "a"]


def test_sandbox_routes_depend_on_the_account_not_the_app() -> None:
    edges = graph()
    routes = [m for m in edges if m.startswith("sandbox.routes")]
    assert routes and all("sandbox.app" not in edges[m] for m in routes)
