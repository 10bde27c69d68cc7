"""The current state: a ring around the state the run is in at a step, and the transition
that led into it highlighted along its edge."""

from __future__ import annotations

from .geometry import RING_PX, node_size
from .graph import StateGraph


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
