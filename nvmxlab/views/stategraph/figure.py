"""The state graph as a plotly figure (or the lab's FigureWidget): created once with a fixed
set of traces, then updated in place (see redraw.py) for a new run or a new step."""

from __future__ import annotations

from ..redraw import as_widget, redraw_traces, replot_traces, set_traces
from ..style import FONT, FONT_SIZE, HALO, LABEL_SIZE, OKABE_ITO
from .edges import EDGE_TRACES, WIDTH_BUCKETS
from .geometry import HEIGHT, MARGIN, ROW_NAMES, Y_RANGE
from .graph import StateGraph
from .ring import highlight

GRAPH_TRACES = (*EDGE_TRACES, "heads", "counts", "nodes", "taken", "here", "names")
GRAPH_INDEX = {name: i for i, name in enumerate(GRAPH_TRACES)}


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
