"""The state graph of a run: the vCPU states it passes through (from `step_states`), edges
weighted by how often it took them, laid out (layout.py) and drawn as trace data (the states
and their names here, the edges in edges.py) that the figure (figure.py) shows.

State names are a text trace drawn above every other (the current state's ring and the
highlighted edge never cover them), with a halo in the background colour.

networkx is imported inside the functions, so importing nvmxlab.views stays light (a future
JupyterLite build loads it only when a graph is drawn).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ..states import StepState
from ..style import GREY, OKABE_ITO
from .edges import EDGE_TRACES, draw_edges
from .geometry import PLOT_WIDTH, ROW_PX, Box, name_box, name_point, node_lines, node_size
from .layout import layout, name_sides

LEVEL_COLORS = {"L2": OKABE_ITO["blue"], "L1": OKABE_ITO["bluish_green"], "L0": GREY}
# The traces a graph draws (the current state's, "here" and "taken", are ring.py's).
DRAWN = (*EDGE_TRACES, "heads", "counts", "nodes", "names")


@dataclass(frozen=True)
class StateGraph:
    nodes: tuple[str, ...]  # in order of first visit
    levels: dict[str, str]
    visits: dict[str, int]
    edges: dict[tuple[str, str], int]  # (from, to) → times taken
    positions: dict[str, tuple[float, float]]  # x in px of a PLOT_WIDTH plot, y the row
    path: tuple[str, ...]  # the state after each step
    came_from: tuple[str | None, ...]  # the state before the last change, at each step
    traces: dict[str, dict]
    curves: dict[tuple[str, str], list[tuple[float, float]]]  # each edge's drawn points
    sides: dict[str, str]  # where each state's name is: "top" or "bottom" of it
    width: float  # the x axis spans 0 … width


def transitions(states: Sequence[StepState]) -> Counter:
    return Counter((a.label, b.label) for a, b in zip(states, states[1:], strict=False)
                   if a.label != b.label)


def _came_from(path: Sequence[str]) -> tuple[str | None, ...]:
    out: list[str | None] = []
    previous = None
    for i, label in enumerate(path):
        if i and label != path[i - 1]:
            previous = path[i - 1]
        out.append(previous)
    return tuple(out)


def build_graph(states: Sequence[StepState]):
    """A networkx DiGraph of the states: node attrs `level`, `visits`; edge attr `weight`."""
    import networkx as nx

    graph = nx.DiGraph()
    for s in states:
        if s.label not in graph:
            graph.add_node(s.label, level=s.running, visits=0)
    for a, b in zip([None, *states], states, strict=False):
        if a is None or a.label != b.label:
            graph.nodes[b.label]["visits"] += 1
    for (a, b), n in transitions(states).items():
        graph.add_edge(a, b, weight=n)
    return graph


def _draw(nodes, levels, visits, edges, pos) -> tuple[dict, dict, dict[str, str]]:
    traces = {name: {"x": [], "y": [], "text": [], "hovertext": [], "marker.size": [],
                     "marker.color": [], "textposition": []} for name in DRAWN}
    sizes = {n: node_size(visits[n]) for n in nodes}
    rows: dict[float, list[str]] = {}
    for n in sorted(nodes, key=lambda n: pos[n][0]):
        rows.setdefault(pos[n][1], []).append(n)
    side = {n: s for y, members in rows.items()
            for n, s in zip(members, name_sides(y, len(members)), strict=True)}
    # What a count must keep clear of: the states and their names.
    taken: list[Box] = []
    for node in nodes:
        x, y = pos[node]
        r = sizes[node] / 2
        taken.append((x - r, y * ROW_PX - r, x + r, y * ROW_PX + r))
        taken.append(name_box(x, y, side[node], sizes[node], node))
        names = traces["names"]
        name_y, position = name_point(node, x, y, side[node], sizes[node])
        names["x"].append(x)
        names["y"].append(name_y)
        names["text"].append("<br>".join(node_lines(node)))
        names["textposition"].append(position)
        t = traces["nodes"]
        t["x"].append(x)
        t["y"].append(y)
        t["hovertext"].append(f"<b>{node}</b><br>entered {visits[node]}×")
        t["marker.size"].append(sizes[node])
        t["marker.color"].append(LEVEL_COLORS.get(levels[node], GREY))
    curves = draw_edges(traces, edges, pos, sizes, taken)
    return traces, curves, side


def state_graph(states: Sequence[StepState]) -> StateGraph:
    graph = build_graph(states)
    path = tuple(s.label for s in states)
    pos, width = layout(graph, path[0]) if path else ({}, PLOT_WIDTH)
    edges = {(a, b): d["weight"] for a, b, d in graph.edges(data=True)}
    levels = {n: d["level"] for n, d in graph.nodes(data=True)}
    visits = {n: d["visits"] for n, d in graph.nodes(data=True)}
    traces, curves, sides = _draw(tuple(graph.nodes), levels, visits, edges, pos)
    return StateGraph(tuple(graph.nodes), levels, visits, edges, pos, path, _came_from(path),
                      traces, curves, sides, width)
