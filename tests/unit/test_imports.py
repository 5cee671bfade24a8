"""The shape of the package, checked from the source: engines never import each other,
media never imports an engine, and packages do not import each other in a circle."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "daemon"

# None: the edits schema config.py validates with lives in daemon/editplan, which imports
# neither the config nor an engine. A cycle added later must be fixed, or listed here with
# the reason (the test below fails if an entry is no longer needed).
KNOWN_CYCLES: list[str] = []


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def imports_of(path: Path) -> set[str]:
    """Every daemon module a file imports, at run time (not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return {m for m in found if m == "daemon" or m.startswith("daemon.")}


def package_of(module: str) -> str:
    """The unit of layering: each engine and media/ as a whole; every other module alone."""
    parts = module.split(".")
    if parts[1:2] == ["engines"] and len(parts) >= 3 and parts[2] not in ("base", "registry"):
        return ".".join(parts[:3])
    if parts[1:2] == ["media"]:
        return "daemon.media"
    return module


GRAPH = {name: imports_of(path) for name, path in modules()}
KNOWN = set(GRAPH)


def real(module: str) -> str | None:
    """`from daemon.x import name` names a module only if daemon.x.name is one."""
    while module and module not in KNOWN:
        module = module.rpartition(".")[0]
    return module or None


def package_edges() -> set[tuple[str, str]]:
    edges = set()
    for source, targets in GRAPH.items():
        for target in filter(None, map(real, targets)):
            a, b = package_of(source), package_of(target)
            if a != b:
                edges.add((a, b))
    return edges


ENGINES = {
    f"daemon.engines.{d.name}"
    for d in (ROOT / "engines").iterdir()
    if (d / "__init__.py").is_file()
}


def test_the_engines_are_found() -> None:
    assert {"daemon.engines.local", "daemon.engines.nemo"} <= ENGINES


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_no_engine_imports_another_engine(engine: str) -> None:
    others = ENGINES - {engine}
    offenders = sorted(
        f"{source} imports {target}"
        for source, targets in GRAPH.items()
        if package_of(source) == engine
        for target in filter(None, map(real, targets))
        if package_of(target) in others
    )
    assert offenders == []


def test_media_imports_no_engine() -> None:
    offenders = sorted(
        f"{source} imports {target}"
        for source, targets in GRAPH.items()
        if package_of(source) == "daemon.media"
        for target in filter(None, map(real, targets))
        if target.startswith("daemon.engines")
    )
    assert offenders == []


def loops_in(graph: dict[str, set[str]]) -> list[str]:
    """One readable loop per back edge found by a depth-first walk ("a → b → a")."""
    state: dict[str, int] = {}
    loops: list[str] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                loops.append(" → ".join([*trail[trail.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return loops


def test_no_package_cycles() -> None:
    graph: dict[str, set[str]] = {}
    for a, b in package_edges():
        graph.setdefault(a, set()).add(b)
    assert loops_in(graph) == KNOWN_CYCLES, "a new cycle, or a known one fixed: update the list"


def test_no_module_cycles() -> None:
    """Module level: no import loops at all (they break depending on who imports first)."""
    graph = {m: {t for t in map(real, ts) if t and t != m} for m, ts in GRAPH.items()}
    # A package's __init__ re-exporting its modules is not a loop of its own.
    graph = {m: {t for t in ts if not m.startswith(t + ".")} for m, ts in graph.items()}
    assert loops_in(graph) == []
