"""The state graph: the vCPU states a run passes through, edges weighted by how often it took
them, laid out in layers by the level that runs (L2 on top, L1, then L0).

Within a layer the states start in breadth-first order from the first state (networkx's
`bfs_layers`, the layering of `nx.bfs_layout`, whose own coordinates would pull in numpy),
spread evenly; a few barycentre sweeps then move each state part of the way towards the
states of other layers it is linked to, reordering its layer, and are kept when they shorten
the edges.  The spacing comes from the names: x is measured in pixels of a plot `PLOT_WIDTH`
wide, and no two names on the same side of a layer may overlap (L2's names above, L0's below,
L1's alternately above and below); the axis grows when a layer needs more.

State names are a text trace drawn above every other (the current state's ring and the
highlighted edge never cover them), with a halo in the background colour.  An edge's count
sits beside its midpoint, at the first place along it clear of state names and other counts;
edges taken once carry no count, the title says so, and their hover still tells.

networkx is imported inside the functions, so importing nvmxlab.views stays light (a future
JupyterLite build loads it only when a graph is drawn).
"""

from __future__ import annotations

import functools
import math
import textwrap
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .labels import text_px
from .redraw import as_widget, redraw_traces, replot_traces, set_traces
from .states import StepState
from .style import FONT, FONT_SIZE, GREY, HALO, LABEL_SIZE, OKABE_ITO

ROWS = {"L2": 2.0, "L1": 1.0, "L0": 0.0}
ROW_NAMES = {2.0: "L2", 1.0: "L1", 0.0: "L0"}
LEVEL_COLORS = {"L2": OKABE_ITO["blue"], "L1": OKABE_ITO["bluish_green"], "L0": GREY}
WIDTH_BUCKETS = ((1, 1, 1.5), (2, 3, 3.0), (4, 10**9, 5.0))  # (min, max weight, line width)
EDGE_TRACES = tuple(f"edges:{low}" for low, _, _ in WIDTH_BUCKETS)
GRAPH_TRACES = (*EDGE_TRACES, "heads", "counts", "nodes", "taken", "here", "names")
GRAPH_INDEX = {name: i for i, name in enumerate(GRAPH_TRACES)}

# Geometry, in px: the figure's height is fixed, its width follows the page.
HEIGHT = 580
MARGIN = {"l": 44, "r": 10, "t": 56, "b": 8}
Y_RANGE = (-0.75, 2.75)
ROW_PX = (HEIGHT - MARGIN["t"] - MARGIN["b"]) / (Y_RANGE[1] - Y_RANGE[0])
PLOT_WIDTH = 780.0  # the plot's width in the lab in a 1280 px window; wider pages only add air
WRAP = 15  # characters per line of a state's name (words are not broken)
LINE_PX = LABEL_SIZE * 1.3  # plotly's line spacing
LABEL_GAP = 16.0  # between two state names side by side
NODE_GAP = 88.0  # between two neighbouring states whose names are on opposite sides
RING_PX = 8  # the current state's ring: this much wider than the state, all round
COUNT_PX = 12.0  # from an edge to the centre of its count
SWEEPS = 4
PULL = 0.35  # how far a sweep moves a state from its even spot towards its linked states


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


# -- layout ----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=256)
def node_lines(label: str) -> tuple[str, ...]:
    """A state's name as the lines it is drawn in: split at its commas and dots, wrapped."""
    parts = label.replace(" · ", ", ").split(", ")
    return tuple(line for part in parts
                 for line in textwrap.wrap(part, WRAP, break_long_words=False,
                                           break_on_hyphens=False))


def node_size(visits: int) -> float:
    return min(18 + 5 * math.sqrt(visits), 40.0)


@functools.lru_cache(maxsize=256)
def _label_box(label: str) -> tuple[float, float]:
    """(width, height) of a state's name in px, with the annotation's padding."""
    lines = node_lines(label)
    return (max((text_px(line, LABEL_SIZE) for line in lines), default=0.0) + 6,
            len(lines) * LINE_PX + 4)


def _sides(y: float, count: int) -> list[str]:
    """Where the names of a row's states go, left to right."""
    if y >= ROWS["L2"]:
        return ["top"] * count
    if y <= ROWS["L0"]:
        return ["bottom"] * count
    return ["top" if k % 2 == 0 else "bottom" for k in range(count)]


def _spread(members: list[str], y: float, widths: dict[str, float]) -> list[float]:
    """x of a row's states, as far left as their names allow."""
    sides = _sides(y, len(members))
    xs: list[float] = []
    for k, node in enumerate(members):
        x = widths[node] / 2
        if k:
            x = max(x, xs[k - 1] + NODE_GAP)
        for j in range(k):
            if sides[j] == sides[k]:
                x = max(x, xs[j] + (widths[members[j]] + widths[node]) / 2 + LABEL_GAP)
        xs.append(x)
    return xs


def _isotonic(values: list[float]) -> list[float]:
    """The nondecreasing sequence closest to `values` in the least-squares sense (pool
    adjacent violators)."""
    blocks: list[list[float]] = []  # [sum, count]
    for v in values:
        blocks.append([v, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    return [total / count for total, count in blocks for _ in range(int(count))]


def _place(members: list[str], y: float, widths: dict[str, float], width: float,
           targets: dict[str, float]) -> list[float]:
    """x of a row's states, each as near its target as the names allow.  Packed to the left
    the row satisfies every spacing rule; a nondecreasing shift keeps them all, so the best
    shift is an isotonic fit of (target - packed x), kept inside the axis."""
    packed = _spread(members, y, widths)
    spare = width - (packed[-1] + widths[members[-1]] / 2)
    shift = _isotonic([targets[n] - x for n, x in zip(members, packed, strict=True)])
    return [x + min(max(d, 0.0), spare) for x, d in zip(packed, shift, strict=True)]


def _width(rows: dict[float, list[str]], widths: dict[str, float]) -> float:
    """The x axis: PLOT_WIDTH, or more if a row's names need it."""
    needed = [_spread(m, y, widths)[-1] + widths[m[-1]] / 2 for y, m in rows.items() if m]
    return max([PLOT_WIDTH, *needed])


def _even(rows: dict[float, list[str]], widths: dict[str, float], width: float
          ) -> dict[str, tuple[float, float]]:
    """Each row spread evenly across the axis, as far as its names allow."""
    pos = {}
    for y, members in rows.items():
        targets = {n: (k + 0.5) * width / len(members) for k, n in enumerate(members)}
        for n, x in zip(members, _place(members, y, widths, width, targets), strict=True):
            pos[n] = (x, y)
    return pos


def _cost(pos: dict[str, tuple[float, float]], edges: dict[tuple[str, str], int]) -> float:
    return sum(w * abs(pos[a][0] - pos[b][0]) for (a, b), w in edges.items())


def layout(graph, start: str) -> tuple[dict[str, tuple[float, float]], float]:
    """Rows by running level; within a row, breadth-first from `start` (then first visit) and
    spread evenly; then barycentre sweeps move each state towards the states of other rows it
    is linked to (reordering its row), kept while they shorten the edges.  Returns the
    positions and the width of the x axis."""
    import networkx as nx

    layer = {node: i for i, nodes in enumerate(nx.bfs_layers(graph, [start])) for node in nodes}
    rows: dict[float, list[str]] = {}
    for node in graph.nodes:  # insertion order = first visit
        rows.setdefault(ROWS.get(graph.nodes[node]["level"], 0.0), []).append(node)
    for members in rows.values():
        members.sort(key=lambda n: layer.get(n, len(graph)))  # stable: ties keep visit order
    widths = {n: _label_box(n)[0] for n in graph.nodes}
    width = _width(rows, widths)
    edges = {(a, b): d["weight"] for a, b, d in graph.edges(data=True)}
    linked: dict[str, list[tuple[str, int]]] = {n: [] for n in graph.nodes}
    for (a, b), w in edges.items():
        linked[a].append((b, w))
        linked[b].append((a, w))
    pos = best = _even(rows, widths, width)
    best_cost = _cost(best, edges)
    for _ in range(SWEEPS):
        for y in sorted(rows, key=lambda r: -len(rows[r])):  # the fullest row first
            even = {n: (k + 0.5) * width / len(rows[y]) for k, n in enumerate(rows[y])}
            targets = {n: PULL * _centre(n, linked[n], pos) + (1 - PULL) * even[n]
                       for n in rows[y]}
            rows[y] = sorted(rows[y], key=targets.__getitem__)
            xs = _place(rows[y], y, widths, width, targets)
            pos = {**pos, **{n: (x, y) for n, x in zip(rows[y], xs, strict=True)}}
        cost = _cost(pos, edges)
        if cost < best_cost - 1e-6:
            best, best_cost = pos, cost
    return best, width


def _centre(node: str, linked: list[tuple[str, int]], pos: dict) -> float:
    """Where the states of other rows linked to `node` are, weighted by the edges' counts."""
    y = pos[node][1]
    others = [(pos[m][0], w) for m, w in linked if pos[m][1] != y]
    total = sum(w for _, w in others)
    return sum(x * w for x, w in others) / total if total else pos[node][0]


# -- drawing ---------------------------------------------------------------------------------
def _curve(p: tuple[float, float], q: tuple[float, float], bend: float, r_from: float,
           r_to: float) -> list[tuple]:
    """A quadratic Bézier from p towards q (data units), bent to its right, leaving p's node
    and stopping at q's edge.  Computed in px, so that "bent" means the same in every
    direction."""
    (x0, y0), (x1, y1) = (p[0], p[1] * ROW_PX), (q[0], q[1] * ROW_PX)
    length = math.hypot(x1 - x0, y1 - y0) or 1.0
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    x0, y0 = x0 + ux * r_from, y0 + uy * r_from
    x1, y1 = x1 - ux * r_to, y1 - uy * r_to
    cx = (x0 + x1) / 2 + bend * (y1 - y0)
    cy = (y0 + y1) / 2 - bend * (x1 - x0)
    points = []
    for i in range(13):
        t = i / 12
        points.append(((1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t * t * x1,
                       ((1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t * t * y1) / ROW_PX))
    return points


def _bend(a: str, b: str, edges: dict, pos: dict) -> float:
    """How far an edge bows to its right (the control point's offset / the edge's length)."""
    (xa, ya), (xb, yb) = pos[a], pos[b]
    if ya != yb:
        return 0.18 if (b, a) in edges else 0.08
    # Along a row: an arc clear of the states in between, on the side without names (above
    # L0, below L2); a pair of opposite edges nests.  In L1, names are on both sides: a pair
    # goes one above and one below, as elsewhere.
    rightwards = xb > xa
    if ya <= ROWS["L0"] or ya >= ROWS["L2"]:
        up = ya <= ROWS["L0"]
        size = 0.14 if (b, a) in edges and rightwards else 0.24
        return -size if up == rightwards else size
    return 0.22


Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in px (y up)


def _overlap(box: Box, others: list[Box]) -> float:
    x0, y0, x1, y1 = box
    total = 0.0
    for a0, b0, a1, b1 in others:
        if a0 >= x1 or a1 <= x0 or b0 >= y1 or b1 <= y0:
            continue
        total += (((x1 if x1 < a1 else a1) - (x0 if x0 > a0 else a0))
                  * ((y1 if y1 < b1 else b1) - (y0 if y0 > b0 else b0)))
    return total


def _count_place(points: list[tuple], text: str, taken: list[Box]) -> tuple[float, float, Box]:
    """Where an edge's count goes: beside the edge near its midpoint, first clear place."""
    w, h = text_px(text, LABEL_SIZE) + 4, LINE_PX
    best = None
    for i, further in [(i, 0.0) for i in (6, 5, 7, 4, 8, 3, 9)] + [(6, 10.0), (4, 10.0),
                                                                   (8, 10.0), (2, 0.0),
                                                                   (10, 0.0)]:
        (xa, ya), (xb, yb) = points[i - 1], points[i + 1]
        dx, dy = xb - xa, (yb - ya) * ROW_PX
        norm = math.hypot(dx, dy) or 1.0
        nx_, ny_ = -dy / norm, dx / norm
        x, y = points[i][0], points[i][1] * ROW_PX
        for sign in (1, -1):
            # Far enough off the edge that a box of w x h does not touch it.
            reach = COUNT_PX + further + abs(nx_) * w / 2 + abs(ny_) * h / 2 - 6
            cx, cy = x + sign * nx_ * reach, y + sign * ny_ * reach
            box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            score = _overlap(box, taken)
            if best is None or score < best[0]:
                best = (score, cx, cy, box)
            if score == 0:
                return cx, cy / ROW_PX, box
    assert best is not None
    return best[1], best[2] / ROW_PX, best[3]


def _name_point(node: str, x: float, y: float, side: str, size: float) -> tuple[float, str]:
    """(y, textposition) of a state's name: its near edge the ring's width plus 5 px away."""
    offset = (size / 2 + RING_PX + 5) / ROW_PX
    if side == "top":
        return y + offset, "top center"
    return y - offset, "bottom center"


def name_box(x: float, y: float, side: str, size: float, label: str) -> Box:
    w, h = _label_box(label)
    offset = size / 2 + RING_PX + 5
    base = y * ROW_PX + (offset if side == "top" else -offset - h)
    return (x - w / 2, base, x + w / 2, base + h)


def _draw(nodes, levels, visits, edges, pos) -> tuple[dict, dict, dict[str, str]]:
    traces = {name: {"x": [], "y": [], "text": [], "hovertext": [], "marker.size": [],
                     "marker.color": [], "textposition": []} for name in GRAPH_TRACES}
    sizes = {n: node_size(visits[n]) for n in nodes}
    rows: dict[float, list[str]] = {}
    for n in sorted(nodes, key=lambda n: pos[n][0]):
        rows.setdefault(pos[n][1], []).append(n)
    side = {n: s for y, members in rows.items()
            for n, s in zip(members, _sides(y, len(members)), strict=True)}
    # What a count must keep clear of: the states and their names.
    taken: list[Box] = []
    for node in nodes:
        x, y = pos[node]
        r = sizes[node] / 2
        taken.append((x - r, y * ROW_PX - r, x + r, y * ROW_PX + r))
        taken.append(name_box(x, y, side[node], sizes[node], node))
        names = traces["names"]
        name_y, position = _name_point(node, x, y, side[node], sizes[node])
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
    curves = {}
    # Heavier edges first: they get the best places for their counts.
    for (a, b), weight in sorted(edges.items(), key=lambda item: -item[1]):
        points = _curve(pos[a], pos[b], _bend(a, b, edges, pos), sizes[a] / 2 + 1,
                        sizes[b] / 2 + 3)
        curves[(a, b)] = points
        bucket = next(f"edges:{lo}" for lo, hi, _ in WIDTH_BUCKETS if lo <= weight <= hi)
        traces[bucket]["x"] += [p[0] for p in points] + [None]
        traces[bucket]["y"] += [p[1] for p in points] + [None]
        heads = traces["heads"]
        heads["x"] += [points[-2][0], points[-1][0], None]
        heads["y"] += [points[-2][1], points[-1][1], None]
        heads["marker.size"] += [0, 13, 0]
        taken_text = f"{a} → {b}: taken {weight}×"
        heads["hovertext"] += ["", taken_text, ""]
        if weight == 1:
            # No count, and no point in the counts trace: plotly.js drops an empty text's
            # node, and a later update that gives the point a text finds none to fill.
            continue
        text = f"{weight}×"
        x, y, box = _count_place(points, text, taken)
        taken.append(box)
        counts = traces["counts"]
        counts["x"].append(x)
        counts["y"].append(y)
        counts["text"].append(text)
        counts["hovertext"].append(taken_text)
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


def highlight(graph: StateGraph, index: int) -> dict[str, dict]:
    """Trace data for the current state (`here`) and the transition into it (`taken`)."""
    node = graph.path[index]
    x, y = graph.positions[node]
    taken: dict = {"x": [], "y": []}
    came = graph.came_from[index]
    if came is not None:
        points = graph.curves[(came, node)]
        taken = {"x": [p[0] for p in points], "y": [p[1] for p in points]}
    ring = node_size(graph.visits[node]) + 2 * RING_PX
    return {"here": {"x": [x], "y": [y], "marker.size": ring}, "taken": taken}


def _styles() -> dict[str, dict]:
    edge = {f"edges:{lo}": {"mode": "lines", "hoverinfo": "skip",
                            "line": {"color": "#9A9A9A", "width": w}}
            for lo, _, w in WIDTH_BUCKETS}
    return {
        **edge,
        "heads": {"mode": "markers", "hoverinfo": "text",
                  "marker": {"symbol": "arrow", "angleref": "previous", "color": "#7A7A7A"}},
        "counts": {"mode": "text", "hoverinfo": "text",
                   "textfont": {"size": LABEL_SIZE, "color": "#333333", "shadow": HALO}},
        "nodes": {"mode": "markers", "hoverinfo": "text",
                  "marker": {"line": {"color": "white", "width": 2}}},
        "taken": {"mode": "lines", "hoverinfo": "skip",
                  "line": {"color": OKABE_ITO["orange"], "width": 6}},
        "here": {"mode": "markers", "hoverinfo": "skip",
                 "marker": {"symbol": "circle-open", "size": 46, "color": OKABE_ITO["orange"],
                            "line": {"width": 5}}},
        "names": {"mode": "text", "hoverinfo": "skip", "cliponaxis": False,
                  "textfont": {"size": LABEL_SIZE, "color": "#222222", "shadow": HALO}},
    }


def _axes(graph: StateGraph) -> dict:
    return {"xaxis.range": [0, graph.width], "yaxis.range": list(Y_RANGE),
            "xaxis.visible": False, "xaxis.fixedrange": True}


def _per_trace(graph: StateGraph, index: int) -> dict[str, dict]:
    """Each trace's data for this graph and step: x and y, and whatever else it has."""
    traces = {**graph.traces, **highlight(graph, index)}
    return {name: {k: v for k, v in traces[name].items() if k in ("x", "y") or v != []}
            for name in GRAPH_TRACES}


TITLE = "vCPU states · arrows: the transitions the run took, N× how often (no count: once)"


def new_graph_figure(graph: StateGraph, index: int = 0, *, widget: bool = False):
    import plotly.graph_objects as go

    styles = _styles()
    fig = go.Figure(data=[go.Scatter(**styles[n], x=[], y=[]) for n in GRAPH_TRACES],
                    layout={"template": "plotly_white", "height": HEIGHT, "showlegend": False,
                            "autosize": True,
                            "font": {"family": FONT, "size": LABEL_SIZE},
                            "margin": MARGIN,
                            "title": {"text": TITLE, "font": {"size": FONT_SIZE}, "x": 0.01},
                            "hovermode": "closest",
                            "hoverlabel": {"font": {"size": LABEL_SIZE}},
                            # The rows, named at the left: position tells the level, not
                            # colour alone.
                            "yaxis": {"fixedrange": True, "tickvals": list(ROW_NAMES),
                                      "ticktext": list(ROW_NAMES.values()),
                                      "showgrid": False, "zeroline": False,
                                      "tickfont": {"size": FONT_SIZE}}})
    set_traces(fig, _per_trace(graph, index), GRAPH_INDEX)
    fig.update_layout(_axes(graph))
    return as_widget(fig) if widget else fig


def apply_graph(fig, graph: StateGraph, index: int) -> None:
    """A new run's graph. Redraws only the traces (see redraw.py) unless the graph needs
    another x axis than the figure has, which replots the whole figure."""
    traces = _per_trace(graph, index)
    if list(fig.layout.xaxis.range or ()) == [0, graph.width]:
        redraw_traces(fig, traces, GRAPH_INDEX)
    else:
        replot_traces(fig, traces, GRAPH_INDEX, _axes(graph))


def show_graph_step(fig, graph: StateGraph, index: int) -> None:
    redraw_traces(fig, highlight(graph, index), GRAPH_INDEX)
