"""The state graph: the vCPU states a run passes through, edges weighted by how often it took
them, laid out in rows by the level that runs (L2 on top, L1, then L0).  One idea a module,
each importing only those before it:

- geometry.py: the rows, the figure's size, the size of a state, its name and its ring;
- layout.py: where each state goes;
- edges.py: each transition's curve, arrowhead and count;
- graph.py: the graph of a run's step states (`state_graph`), drawn as trace data;
- ring.py: the current state and the transition into it (`highlight`);
- figure.py: the plotly figure, created once and updated in place.
"""

from __future__ import annotations

from .edges import EDGE_TRACES, WIDTH_BUCKETS
from .figure import GRAPH_INDEX, GRAPH_TRACES, TITLE, apply_graph, new_graph_figure, show_graph_step
from .geometry import (
    HEIGHT,
    LINE_PX,
    MARGIN,
    PLOT_WIDTH,
    RING_PX,
    ROW_NAMES,
    ROW_PX,
    ROWS,
    name_box,
    node_lines,
    node_size,
)
from .graph import LEVEL_COLORS, StateGraph, build_graph, state_graph, transitions
from .layout import layout
from .ring import highlight

__all__ = [
    "EDGE_TRACES", "GRAPH_INDEX", "GRAPH_TRACES", "HEIGHT", "LEVEL_COLORS", "LINE_PX", "MARGIN",
    "PLOT_WIDTH", "RING_PX", "ROWS", "ROW_NAMES", "ROW_PX", "TITLE", "WIDTH_BUCKETS",
    "StateGraph", "apply_graph", "build_graph", "highlight", "layout", "name_box",
    "new_graph_figure", "node_lines", "node_size", "show_graph_step", "state_graph",
    "transitions",
]
