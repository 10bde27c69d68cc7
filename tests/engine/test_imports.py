"""Imports run one way: no module of nvmxlab (outside the lab's widgets/ and views/) imports,
directly or through others, a module that imports it back - at module level or inside a
function alike.  Read from the source with `ast`, without importing anything."""

from __future__ import annotations

import ast
from itertools import pairwise
from pathlib import Path

import nvmxlab

PACKAGE = Path(nvmxlab.__file__).parent
LAB_PARTS = ("widgets", "views")  # the lab's own layers, outside this rule


def module_name(path: Path) -> str:
    parts = ("nvmxlab", *path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported(node: ast.Import | ast.ImportFrom, here: str, is_package: bool,
             known: dict[str, Path]) -> list[str]:
    """The nvmxlab modules one import statement names."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name in known]
    base = here if is_package else here.rpartition(".")[0]
    for _ in range(node.level - 1):
        base = base.rpartition(".")[0]
    target = ".".join(filter(None, (base if node.level else "", node.module or "")))
    named = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in known]
    return named or ([target] if target in known else [])


def import_graph() -> dict[str, dict[str, int]]:
    """Module -> {module it imports: line of the first such import}."""
    known = modules()
    graph: dict[str, dict[str, int]] = {}
    for name, path in known.items():
        edges = graph.setdefault(name, {})
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in imported(node, name, path.name == "__init__.py", known):
                    if target != name:
                        edges.setdefault(target, node.lineno)
    return graph


def in_scope(name: str) -> bool:
    return not any(name.startswith(f"nvmxlab.{part}") for part in LAB_PARTS)


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One shortest circle through each module that is on one (in-scope modules only)."""
    found: dict[frozenset, list[str]] = {}
    for start in filter(in_scope, graph):
        paths, seen = [[start]], {start}
        while paths:
            path = paths.pop(0)
            for nxt in graph[path[-1]]:
                if nxt == start:
                    found.setdefault(frozenset(path), path + [start])
                elif nxt not in seen and in_scope(nxt):
                    seen.add(nxt)
                    paths.append(path + [nxt])
    return list(found.values())


def describe(cycle: list[str], graph: dict[str, dict[str, int]]) -> str:
    steps = [f"{a} (line {graph[a][b]})" for a, b in pairwise(cycle)]
    return " -> ".join([*steps, cycle[-1]])


def test_no_module_of_nvmxlab_imports_itself_back_through_others():
    graph = import_graph()
    assert [describe(c, graph) for c in cycles(graph)] == []


def test_the_cycle_finder_sees_a_circle_through_a_function_local_import():
    graph = {"nvmxlab.a": {"nvmxlab.b": 1}, "nvmxlab.b": {"nvmxlab.c": 3},
             "nvmxlab.c": {"nvmxlab.a": 9}, "nvmxlab.views.x": {"nvmxlab.views.y": 1},
             "nvmxlab.views.y": {"nvmxlab.views.x": 1}}
    assert [len(c) for c in cycles(graph)] == [4]


def test_the_import_graph_resolves_relative_imports():
    graph = import_graph()
    assert "nvmxlab.result" in graph["nvmxlab.engine"]  # from .result import Result
    assert "nvmxlab.kvm" in graph["nvmxlab.engine"]  # from .kvm import POLICY_CLASSES
    assert "nvmxlab.formats" in graph["nvmxlab.cli"]  # from . import formats


def reachable(graph: dict[str, dict[str, int]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for name in graph.get(todo.pop(), {}):
            if name not in seen:
                seen.add(name)
                todo.append(name)
    return seen


def test_the_checker_compares_results_without_running_the_engine():
    """check() sits beside run() in engine.py; the checker only compares two results (it is
    handed the run it needs to prove a delay)."""
    assert "nvmxlab.engine" not in reachable(import_graph(), "nvmxlab.checker")
