"""Diagrams of a run: the swimlane sequence diagram, the state graph and static exports.

    >>> from nvmxlab import views
    >>> views.sequence_figure("seed-interrupt")          # bare metal above, nested below
    >>> views.state_graph_figure(nvmxlab.run(scenario))  # the vCPU states of one run
    >>> views.to_html(views.static_figure("seed-interrupt"), "seed.html")  # plays offline

Everything takes a result, a comparison, a scenario, a bundled scenario's name, a path or a
share string.  The engine never imports this package; this package imports plotly.
"""

from __future__ import annotations

import plotly.graph_objects as go

from .figure import new_figure
from .runs import Source, runs_of
from .sequence import SequenceData, build
from .stategraph import StateGraph, new_graph_figure, state_graph
from .states import StepState, step_states
from .static import static_figure, to_html, write_png

__all__ = [
    "SequenceData", "Source", "StateGraph", "StepState", "build", "runs_of", "sequence_figure",
    "state_graph", "state_graph_figure", "static_figure", "step_states", "to_html",
    "write_png",
]


def _step(count: int, step: int | None) -> int:
    return count - 1 if step is None else min(max(step, 0), count - 1)


def sequence_figure(source: Source, *, world: str = "nested", step: int | None = None,
                    widget: bool = False) -> go.Figure:
    """The sequence diagram of `source`, the cursor on `step` of `world` (default: the end)."""
    data = build(runs_of(source))
    world = world if world in data.worlds else next(iter(data.worlds))
    index = _step(len(data.worlds[world].events), step)
    return new_figure(data, world, index, widget=widget)


def state_graph_figure(source: Source, *, world: str = "nested", step: int | None = None,
                       widget: bool = False) -> go.Figure:
    """The state graph of one world of `source`, the current state at `step`."""
    results = runs_of(source)
    result = results.get(world) or next(iter(results.values()))
    graph = state_graph(step_states(result))
    return new_graph_figure(graph, _step(len(graph.path), step), widget=widget)
