"""Plotly figures for the sequence diagram: created once, then updated in place.

`new_figure()` builds a figure with the fixed traces, its x axis on the view around the
cursor (static exports, slides).  `LiveFigure` is the lab's FigureWidget: a new run or step
redraws only the traces it changes (see redraw.py), and its layout never changes after
creation except when the plot's width does.
"""

from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go

from .labels import text_px
from .paging import cursor, show
from .redraw import as_widget, redraw_traces, replot_traces, set_traces
from .sequence import (
    ARROW_CATEGORIES,
    DATA_TRACES,
    LEGEND_TRACES,
    TITLE_SIZES,
    TRACE_INDEX,
    TRACE_NAMES,
    SequenceData,
    plotly_keys,
)
from .style import (
    BARE_PANEL,
    CATEGORIES,
    CATEGORY,
    FONT,
    FONT_SIZE,
    HALO,
    IF_OFF,
    LABEL_SIZE,
    LANE_LINE,
    LANE_NAMES,
    LANES,
    OKABE_ITO,
    WORLDS,
    lane_y,
    y_span,
)

HEIGHT = 800  # lanes about 60 px apart: room for a row of labels on either side of each
WIDGET_HEIGHT = 640  # the same without the plotly legend
MARGIN_LEFT = 160  # the lane names
MARGIN_X = MARGIN_LEFT + 20  # left + right margins, in px: the plot area is the rest
# The lab's FigureWidget: every trace but the legend's (which come last, so TRACE_INDEX holds).
WIDGET_TRACES = tuple(name for name in TRACE_NAMES if name not in LEGEND_TRACES)


def _mark_style(name: str) -> dict:
    """The marks' common look; colour, symbol and size come point by point (MARK_KEYS)."""
    style = {"mode": "markers", "hoverinfo": "text", "showlegend": False}
    if name == "labelled":
        style.update(mode="markers+text", textfont={"size": LABEL_SIZE, "shadow": HALO})
    return style


def _legend_style(key: str) -> dict:
    """An empty trace that only draws a category's legend entry, never updated."""
    c = CATEGORY[key]
    outline, width = c.outline
    return {"mode": "markers", "name": c.label, "legendgroup": key, "hoverinfo": "skip",
            "x": [None], "y": [None],
            "marker": {"symbol": c.symbol, "size": c.size, "color": c.color,
                       "line": {"color": outline, "width": width}}}


def _arrow_style(key: str) -> dict:
    c = CATEGORY[key]
    width = 2.5 if key in ("exit", "entry") else 2
    return {"mode": "lines", "legendgroup": key, "showlegend": False, "hoverinfo": "skip",
            "line": {"color": c.color, "width": width, "dash": c.dash}}


def trace_styles() -> dict[str, dict]:
    """The static look of every trace, by name (data comes separately)."""
    styles = {
        "panels": {"mode": "lines", "fill": "toself", "fillcolor": BARE_PANEL,
                   "line": {"width": 0}, "hoverinfo": "skip", "showlegend": False},
        "grid": {"mode": "lines", "hoverinfo": "skip", "showlegend": False,
                 "line": {"color": "#E6E6E6", "width": 1}},
        "running": {"mode": "lines", "name": "who runs (level executing)", "hoverinfo": "skip",
                    "line": {"color": "rgba(0,0,0,0.15)", "width": 12}},
        # On the "who runs" bar: a dotted line where the level running has IF = 0.
        "if_off": {"mode": "lines", "name": IF_OFF, "hoverinfo": "skip",
                   "line": {"color": OKABE_ITO["vermillion"], "width": 3, "dash": "dot"}},
        # Wider than the "who runs" bar drawn over it: a blue band around the bar.
        "windows": {"mode": "lines", "name": "interrupt / NMI window open", "hoverinfo": "skip",
                    "line": {"color": "rgba(86,180,233,0.55)", "width": 24}},
        # Under the plot area, where an axis draws its tick labels.
        "ticks": {"mode": "text", "hoverinfo": "skip", "showlegend": False,
                  "cliponaxis": False, "textposition": "bottom center",
                  "textfont": {"size": LABEL_SIZE, "color": "#444444"}},
        "titles": {"mode": "text", "hoverinfo": "skip", "showlegend": False,
                   "cliponaxis": False,
                   "textposition": ["top right"] * len(WORLDS) + ["top left"],
                   "textfont": {"size": TITLE_SIZES,
                                "color": ["#222222"] * len(WORLDS) + [OKABE_ITO["vermillion"]]}},
        "veil": {"mode": "lines", "fill": "toself", "fillcolor": "rgba(255,255,255,0.55)",
                 "line": {"width": 0}, "hoverinfo": "skip", "showlegend": False},
        "cursor": {"mode": "lines", "hoverinfo": "skip", "showlegend": False,
                   "line": {"color": OKABE_ITO["black"], "width": 1.5, "dash": "dot"}},
        # A translucent disc (Okabe-Ito orange) rather than a ring: a ring drawn over the
        # labels of the current mark would cross them out.
        "focus": {"mode": "markers", "hoverinfo": "skip", "showlegend": False,
                  "marker": {"symbol": "circle", "size": 38, "color": "rgba(230,159,0,0.4)",
                             "line": {"width": 0}}},
        "marks": _mark_style("marks"),
        "labelled": _mark_style("labelled"),
    }
    styles.update({f"arrow:{k}": _arrow_style(k) for k in ARROW_CATEGORIES})
    styles.update({f"legend:{c.key}": _legend_style(c.key) for c in CATEGORIES})
    return styles


def _lane_ticks() -> tuple[list[float], list[str]]:
    vals, text = [], []
    for world in WORLDS:
        for level in LANES:
            vals.append(lane_y(world, level))
            no_l0 = world == "bare" and level == "L0"
            # "L2 · guest", "L1 · hypervisor", "L0 · KVM", "HW · CPU"
            text.append("(no L0)" if no_l0 else f"{level} · {LANE_NAMES[level].split()[-1]}")
    return vals, text


AXIS_TITLES = ("guest-visible time: instructions retired by L1 and L2",
               "instructions retired by L1 and L2")


def axis_title(plot_px: float) -> str:
    """The x axis's title, the short one where the long one would be cut at the figure's
    right edge (it is centred on the plot area, and the right margin is narrow)."""
    fits = [t for t in AXIS_TITLES if text_px(t, FONT_SIZE) <= plot_px]
    return fits[0] if fits else AXIS_TITLES[-1]


def base_layout() -> dict:
    tickvals, ticktext = _lane_ticks()
    return {
        # autosize: fill the notebook's width (plotly's own default is a fixed 700 px).
        # No template: plotly.js would merge one into the figure on every redraw, and
        # plotly_white's few settings that matter are here (font colour, automargin).
        "template": "none", "height": HEIGHT, "autosize": True,
        "paper_bgcolor": "white", "plot_bgcolor": "white",
        "font": {"family": FONT, "size": FONT_SIZE, "color": "#2A3F5F"},
        "margin": {"l": MARGIN_LEFT, "r": MARGIN_X - MARGIN_LEFT, "t": 36, "b": 20},
        # Its tick labels and grid are the "ticks" and "grid" traces (see sequence._add_ticks).
        "xaxis": {"title": {"text": AXIS_TITLES[0], "standoff": 28},
                  "zeroline": False, "showgrid": False, "showticklabels": False,
                  "ticks": "", "automargin": True},
        # The lanes are the y axis's grid lines, one per tick: shapes would cost a redraw of
        # their own on every update, and the bare metal panel's shade is the "panels" trace.
        "yaxis": {"tickvals": tickvals, "ticktext": ticktext, "range": list(y_span()),
                  "fixedrange": True, "showgrid": True, "gridcolor": LANE_LINE, "gridwidth": 1,
                  "zeroline": False, "ticks": "", "automargin": True},
        # At the bottom of the figure: the plot area shrinks to make room for however many
        # rows the legend takes at the page's width, so it never covers the axis title.
        # One trace draws every category's marks: clicking an entry could hide none of them.
        "legend": {"orientation": "h", "x": 0, "y": 0, "yref": "container", "yanchor": "bottom",
                   "font": {"size": LABEL_SIZE}, "itemclick": False, "itemdoubleclick": False},
        "hovermode": "closest", "hoverlabel": {"align": "left", "font": {"size": LABEL_SIZE},
                                               "bgcolor": "white"},
    }


def _run_traces(data: SequenceData) -> dict[str, dict]:
    """Every data trace's per-run properties, by name, as plotly takes them."""
    return {name: plotly_keys(data.traces[name]) for name in DATA_TRACES}


def new_figure(data: SequenceData, world: str = "nested", index: int = 0, *,
               widget: bool = False) -> go.Figure:
    """A figure (or FigureWidget) showing `data` with the cursor on step `index` of `world`,
    its x axis on the view around the cursor (see paging.view_range)."""
    moved, relayout = cursor(data, world, index)
    return _figure({**_run_traces(data), **moved}, relayout["xaxis.range"], widget,
                   data.plot_px)


def _figure(shown: Mapping[str, dict], view: list[float], widget: bool,
            plot_px: float) -> go.Figure:
    styles = trace_styles()
    # The lab shows legend.legend_html() instead of the legend's traces: plotly sets up every
    # trace again on each redraw (supplyDefaults, and doCalcdata's findArrayAttributes walks
    # the whole scatter schema once per trace), the 13 that only draw legend entries too.
    names = WIDGET_TRACES if widget else TRACE_NAMES
    traces = [go.Scatter(**styles[name], x=[], y=[]) if name in shown
              else go.Scatter(**styles[name]) for name in names]
    layout = base_layout()
    layout["xaxis"]["range"] = view
    layout["xaxis"]["title"]["text"] = axis_title(plot_px)
    if widget:
        layout.update(showlegend=False, height=WIDGET_HEIGHT)
    fig = go.Figure(data=traces, layout=layout)
    set_traces(fig, shown, TRACE_INDEX)
    return as_widget(fig) if widget else fig


class LiveFigure:
    """The sequence diagram as a FigureWidget that follows a run step by step.

    Its x axis never moves: it always spans [0, view_width], and the drawing is shifted to
    the page of the run the view shows (see paging.py), so a new run or a new page is new
    trace data, redrawn without replotting the figure (see redraw.py), and a step within the
    page moves only the cursor's traces."""

    def __init__(self, data: SequenceData, world: str, index: int):
        self.left, traces = show(data, world, index)
        self.widget = _figure(traces, [0.0, data.view_width], True, data.plot_px)

    def show_run(self, data: SequenceData, world: str, index: int) -> None:
        """A new run: every data trace and the cursor, in one message."""
        self.left, traces = show(data, world, index, self.left)
        redraw_traces(self.widget, traces, TRACE_INDEX)

    def show_step(self, data: SequenceData, world: str, index: int) -> None:
        """A new step of the same run: the cursor, and the run's traces if the page turns."""
        self.left, traces = show(data, world, index, self.left, whole=False)
        redraw_traces(self.widget, traces, TRACE_INDEX)

    def replot(self, data: SequenceData, world: str, index: int) -> None:
        """`data` laid out for a new plot width: redraw the whole figure (the page has laid it
        out anew), the axis spanning the new view width."""
        self.left, traces = show(data, world, index, self.left)
        replot_traces(self.widget, traces, TRACE_INDEX,
                      {"xaxis.range": [0.0, data.view_width],
                       "xaxis.title.text": axis_title(data.plot_px)})
