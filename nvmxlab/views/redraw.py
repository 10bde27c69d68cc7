"""Redrawing some traces of a plotly figure without replotting the whole figure.

`Plotly.update` (what plotly_update and batch_update send) replots everything: axes, shapes,
legend and every trace; plotly's batch_animate() validates every element in Python and then
asks Plotly.animate for a full redraw as well.  `redraw_traces` applies a change to the
Python figure the way plotly_update does (`_perform_plotly_update`) and sends a FigureWidget
one Plotly.animate message with `frame.redraw` off: plotly.js re-plots just those (scatter)
traces and leaves everything else as it is drawn.  The layout is left alone; a change that
needs a new layout goes through `replot_traces`, which replots the whole figure.
"""

from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go

NO_REDRAW = {"transition": {"duration": 0}, "frame": {"duration": 0, "redraw": False}}


def set_traces(fig: go.Figure, traces: Mapping[str, dict], index: Mapping[str, int]) -> None:
    """Set the traces' properties (name → {key: value}; `index` maps a name to its trace) in
    the Python figure, one restyle per set of keys: plotly checks every key it is given
    against every trace it is given."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for name, props in traces.items():
        groups.setdefault(tuple(props), []).append(name)
    for keys, names in groups.items():
        fig._perform_plotly_update(
            restyle_data={k: [traces[n][k] for n in names] for k in keys},
            trace_indexes=[index[n] for n in names])


GAP = {"x": [None], "y": [None]}


def _drawable(props: dict) -> dict:
    """Plotly.animate without a redraw leaves a trace as it was drawn when its new data is
    empty (the previous run's arrows stayed on the page): an empty trace is sent as one gap,
    which draws nothing."""
    return {**props, **GAP} if "x" in props and not props["x"] else props


def redraw_traces(fig: go.Figure, traces: Mapping[str, dict], index: Mapping[str, int]
                  ) -> None:
    """Set `traces` on `fig` and, on a FigureWidget, redraw only them on the page (the
    message goes first: the page can draw while Python updates its copy)."""
    traces = {name: _drawable(props) for name, props in traces.items()}
    # A widget (not go.Figure): asking `go.FigureWidget` would import plotly's widget code
    # without plotlyjs.py's care, for a plain figure too.
    if not isinstance(fig, go.Figure):
        names = list(traces)
        fig._send_animate_msg(styles_data=[traces[n] for n in names], relayout_data={},
                              trace_indexes=[index[n] for n in names],
                              animation_opts=NO_REDRAW)
    set_traces(fig, traces, index)


def replot_traces(fig: go.Figure, traces: Mapping[str, dict], index: Mapping[str, int],
                  relayout: dict) -> None:
    """Set `traces` and `relayout` on `fig` and replot the whole figure (one Plotly.update).
    batch_update, unlike one plotly_update, leaves a property a trace is not given as it is."""
    with fig.batch_update():
        for name, props in traces.items():
            fig.data[index[name]].update(props)
        fig.update_layout(relayout)


def as_widget(fig: go.Figure) -> go.FigureWidget:
    """A FigureWidget of the finished `fig`.  A widget's state goes to the page when it is
    made, later changes only as messages, and a message that comes while plotly is still
    drawing the figure makes its view fail: a new widget must need none.  It ships plotly.js
    once a page (see plotlyjs.py), and plotly's widget code is imported only now."""
    from .plotlyjs import SharedFigureWidget

    widget = SharedFigureWidget(fig)
    widget._config = {**widget._config, "responsive": True}  # follow the page's width
    return widget
