"""The state graph: the vCPU states a run passes through, edges weighted by how often it took
them, laid out in rows by the level that runs (L2 on top, L1, then L0) and in columns by
breadth-first distance from the first state (networkx's `bfs_layers`, the layering of
`nx.bfs_layout`, whose own coordinates would pull in numpy).

networkx is imported inside the functions, so importing nvmxlab.views stays light (a future
JupyterLite build loads it only when a graph is drawn).
"""

from __future__ import annotations

import math
import textwrap
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .states import StepState
from .style import FONT, GREY, OKABE_ITO

ROWS = {"L2": 2.0, "L1": 1.0, "L0": 0.0}
LEVEL_COLORS = {"L2": OKABE_ITO["blue"], "L1": OKABE_ITO["bluish_green"], "L0": GREY}
WIDTH_BUCKETS = ((1, 1, 1.5), (2, 3, 3.0), (4, 10**9, 5.0))  # (min, max weight, line width)
EDGE_TRACES = tuple(f"edges:{low}" for low, _, _ in WIDTH_BUCKETS)
GRAPH_TRACES = (*EDGE_TRACES, "heads", "counts", "nodes", "taken", "here")
NODE_RADIUS = 0.16  # in data units: where an arrow stops short of its target


@dataclass(frozen=True)
class StateGraph:
    nodes: tuple[str, ...]  # in order of first visit
    levels: dict[str, str]
    visits: dict[str, int]
    edges: dict[tuple[str, str], int]  # (from, to) → times taken
    positions: dict[str, tuple[float, float]]
    path: tuple[str, ...]  # the state after each step
    came_from: tuple[str | None, ...]  # the state before the last change, at each step
    traces: dict[str, dict]


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


def layout(graph, start: str) -> dict[str, tuple[float, float]]:
    """Rows by running level; within a row, ordered by BFS distance from `start` (then first
    visit) and spread evenly, so a row's states never share a column."""
    import networkx as nx

    layer = {node: i for i, nodes in enumerate(nx.bfs_layers(graph, [start])) for node in nodes}
    rows: dict[float, list[str]] = {}
    for node in graph.nodes:  # insertion order = first visit
        rows.setdefault(ROWS.get(graph.nodes[node]["level"], 0.0), []).append(node)
    width = max((len(members) for members in rows.values()), default=1)
    pos = {}
    for y, members in rows.items():
        members.sort(key=lambda n: layer.get(n, len(graph)))  # stable: ties keep visit order
        for k, node in enumerate(members):
            pos[node] = ((k + 0.5) * width / len(members), y)
    return pos


def state_graph(states: Sequence[StepState]) -> StateGraph:
    graph = build_graph(states)
    path = tuple(s.label for s in states)
    pos = layout(graph, path[0]) if path else {}
    edges = {(a, b): d["weight"] for a, b, d in graph.edges(data=True)}
    levels = {n: d["level"] for n, d in graph.nodes(data=True)}
    visits = {n: d["visits"] for n, d in graph.nodes(data=True)}
    traces = _traces(tuple(graph.nodes), levels, visits, edges, pos)
    return StateGraph(tuple(graph.nodes), levels, visits, edges, pos, path, _came_from(path),
                      traces)


# -- drawing ---------------------------------------------------------------------------------
def _curve(p: tuple[float, float], q: tuple[float, float], bend: float) -> list[tuple]:
    """A quadratic Bézier from p towards q, bent to its right, stopping short of q's node."""
    (x0, y0), (x1, y1) = p, q
    length = math.hypot(x1 - x0, y1 - y0) or 1.0
    cx = (x0 + x1) / 2 + bend * (y1 - y0)
    cy = (y0 + y1) / 2 - bend * (x1 - x0)
    end = max(0.5, 1 - NODE_RADIUS / length)
    points = []
    for i in range(9):
        t = end * i / 8
        points.append(((1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t * t * x1,
                       (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t * t * y1))
    return points


def _node_text(label: str) -> str:
    parts = label.replace(" · ", ", ").split(", ")
    return "<br>".join(line for part in parts for line in textwrap.wrap(part, 22))


def _text_position(y: float, k: int) -> str:
    # L2's labels above, L0's below, L1's alternate so that neighbours do not collide.
    if y >= ROWS["L2"]:
        return "top center"
    if y <= ROWS["L0"]:
        return "bottom center"
    return "top center" if k % 2 else "bottom center"


def _traces(nodes, levels, visits, edges, pos) -> dict[str, dict]:
    traces = {name: {"x": [], "y": [], "text": [], "hovertext": [], "marker.size": [],
                     "marker.color": []} for name in GRAPH_TRACES}
    for (a, b), weight in edges.items():
        points = _curve(pos[a], pos[b], 0.18 if (b, a) in edges else 0.08)
        bucket = next(f"edges:{lo}" for lo, hi, _ in WIDTH_BUCKETS if lo <= weight <= hi)
        traces[bucket]["x"] += [p[0] for p in points] + [None]
        traces[bucket]["y"] += [p[1] for p in points] + [None]
        heads = traces["heads"]
        heads["x"] += [points[-2][0], points[-1][0], None]
        heads["y"] += [points[-2][1], points[-1][1], None]
        heads["marker.size"] += [0, 11, 0]
        mid = points[4]
        traces["counts"]["x"].append(mid[0])
        traces["counts"]["y"].append(mid[1])
        traces["counts"]["text"].append(f"{weight}×")
        traces["counts"]["hovertext"].append(f"{a} → {b}: taken {weight}×")
    row_rank = {n: sum(1 for m in nodes if pos[m][1] == pos[n][1] and pos[m][0] < pos[n][0])
                for n in nodes}
    for node in nodes:
        k = row_rank[node]
        t = traces["nodes"]
        t["x"].append(pos[node][0])
        t["y"].append(pos[node][1])
        t["text"].append(_node_text(node))
        t.setdefault("textposition", []).append(_text_position(pos[node][1], k))
        t["hovertext"].append(f"<b>{node}</b><br>entered {visits[node]}×")
        t["marker.size"].append(16 + 5 * math.sqrt(visits[node]))
        t["marker.color"].append(LEVEL_COLORS.get(levels[node], GREY))
    return traces


def highlight(graph: StateGraph, index: int) -> dict[str, dict]:
    """Trace data for the current state (`here`) and the transition into it (`taken`)."""
    node = graph.path[index]
    x, y = graph.positions[node]
    taken: dict = {"x": [], "y": []}
    came = graph.came_from[index]
    if came is not None:
        points = _curve(graph.positions[came], (x, y), 0.18 if (node, came) in graph.edges
                        else 0.08)
        taken = {"x": [p[0] for p in points], "y": [p[1] for p in points]}
    return {"here": {"x": [x], "y": [y]}, "taken": taken}


def _styles() -> dict[str, dict]:
    edge = {f"edges:{lo}": {"mode": "lines", "hoverinfo": "skip",
                            "line": {"color": "#9A9A9A", "width": w}}
            for lo, _, w in WIDTH_BUCKETS}
    return {
        **edge,
        "heads": {"mode": "markers", "hoverinfo": "skip",
                  "marker": {"symbol": "arrow", "angleref": "previous", "color": "#7A7A7A"}},
        "counts": {"mode": "text", "hoverinfo": "text", "textfont": {"size": 12,
                                                                      "color": "#555555"}},
        "nodes": {"mode": "markers+text", "hoverinfo": "text", "textposition": "bottom center",
                  "textfont": {"size": 11}, "marker": {"line": {"color": "white", "width": 2}}},
        "taken": {"mode": "lines", "hoverinfo": "skip",
                  "line": {"color": OKABE_ITO["orange"], "width": 6}},
        "here": {"mode": "markers", "hoverinfo": "skip",
                 "marker": {"symbol": "circle-open", "size": 46, "color": OKABE_ITO["orange"],
                            "line": {"width": 5}}},
    }


def _axes(graph: StateGraph) -> dict:
    xs = [p[0] for p in graph.positions.values()] or [0.0]
    return {"xaxis.range": [min(xs) - 0.7, max(xs) + 0.7], "yaxis.range": [-0.8, 2.8],
            "xaxis.visible": False, "yaxis.visible": False, "xaxis.fixedrange": True}


def _styled(style: dict, dotted: str):
    """A dotted key's value in a trace style ("marker.size" → style["marker"]["size"])."""
    node = style
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def new_graph_figure(graph: StateGraph, index: int = 0, *, widget: bool = False):
    import plotly.graph_objects as go

    styles = _styles()
    cls = go.FigureWidget if widget else go.Figure
    fig = cls(data=[go.Scatter(**styles[n], x=[], y=[]) for n in GRAPH_TRACES],
              layout={"template": "plotly_white", "height": 480, "showlegend": False,
                      "autosize": True,
                      "font": {"family": FONT, "size": 13},
                      "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
                      "title": {"text": "vCPU states (edges: how often the run took them)",
                                "font": {"size": 15}, "x": 0.01},
                      "hovermode": "closest", "yaxis": {"fixedrange": True}})
    if widget:
        fig._config = {**fig._config, "responsive": True}
    apply_graph(fig, graph, index)
    return fig


def apply_graph(fig, graph: StateGraph, index: int) -> None:
    """A new run's graph, in one update message (see figure.apply for why not validated)."""
    per_trace = {**graph.traces, **highlight(graph, index)}
    styles = _styles()
    keys = ("x", "y", "text", "hovertext", "marker.size", "marker.color", "textposition")
    # Every trace gets every key; where the run has no per-point value the static style's
    # value is sent again, so that no property is reset.
    restyle = {k: [per_trace[n].get(k) or _styled(styles[n], k) for n in GRAPH_TRACES]
               for k in keys}
    for k in ("x", "y"):
        restyle[k] = [per_trace[n][k] for n in GRAPH_TRACES]
    fig.plotly_update(restyle_data=restyle, relayout_data=_axes(graph),
                      trace_indexes=list(range(len(GRAPH_TRACES))))


def show_graph_step(fig, graph: StateGraph, index: int) -> None:
    with fig.batch_update():
        for name, props in highlight(graph, index).items():
            fig.data[GRAPH_TRACES.index(name)].update(props)
