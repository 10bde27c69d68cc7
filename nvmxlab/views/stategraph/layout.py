"""The state graph's layout: the states in rows by the level that runs (L2 on top, L1, then L0).

Within a row the states start in breadth-first order from the first state (networkx's
`bfs_layers`, the layering of `nx.bfs_layout`, whose own coordinates would pull in numpy),
spread evenly; a few barycentre sweeps then move each state part of the way towards the
states of other rows it is linked to, reordering its row, and are kept when they shorten
the edges.  The spacing comes from the names: no two names on the same side of a row may
overlap (L2's names above, L0's below, L1's alternately above and below); the axis grows
when a row needs more than `PLOT_WIDTH`.
"""

from __future__ import annotations

from .geometry import PLOT_WIDTH, ROWS, label_box

LABEL_GAP = 16.0  # between two state names side by side
NODE_GAP = 88.0  # between two neighbouring states whose names are on opposite sides
SWEEPS = 4
PULL = 0.35  # how far a sweep moves a state from its even spot towards its linked states


def name_sides(y: float, count: int) -> list[str]:
    """Where the names of a row's states go, left to right."""
    if y >= ROWS["L2"]:
        return ["top"] * count
    if y <= ROWS["L0"]:
        return ["bottom"] * count
    return ["top" if k % 2 == 0 else "bottom" for k in range(count)]


def _spread(members: list[str], y: float, widths: dict[str, float]) -> list[float]:
    """x of a row's states, as far left as their names allow."""
    sides = name_sides(y, len(members))
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
    widths = {n: label_box(n)[0] for n in graph.nodes}
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
