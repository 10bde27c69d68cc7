"""The state graph's edges: each transition the run took as a curve bent to its right, with an
arrowhead, its line as wide as it was taken often, and its count beside its midpoint, at the
first place along it clear of state names and other counts.  Edges taken once carry no count
(the title says so), and their hover still tells."""

from __future__ import annotations

import math

from ..labels import text_px
from ..style import LABEL_SIZE
from .geometry import LINE_PX, ROW_PX, ROWS, Box

WIDTH_BUCKETS = ((1, 1, 1.5), (2, 3, 3.0), (4, 10**9, 5.0))  # (min, max weight, line width)
EDGE_TRACES = tuple(f"edges:{low}" for low, _, _ in WIDTH_BUCKETS)
COUNT_PX = 12.0  # from an edge to the centre of its count


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


def draw_edges(traces: dict[str, dict], edges: dict[tuple[str, str], int],
               pos: dict[str, tuple[float, float]], sizes: dict[str, float],
               taken: list[Box]) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """Each edge's curve into its width's trace, its arrowhead into "heads" and its count
    into "counts", clear of the boxes `taken` (which the counts placed join).  Returns each
    edge's drawn points."""
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
    return curves
