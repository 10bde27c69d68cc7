"""Plotly figures for the sequence diagram: created once, then updated in place.

`new_figure()` builds the fixed traces; `apply()` puts a new run's data in with one
`plotly_update` message (the same message `batch_update()` would send, without re-validating
thousands of list elements in Python: the data comes from `sequence.build()`, whose output
the tests validate); `show_step()` moves the cursor in one `batch_update()`.
"""

from __future__ import annotations

import plotly.graph_objects as go

from .sequence import (
    ARROW_CATEGORIES,
    DATA_TRACES,
    TRACE_INDEX,
    TRACE_NAMES,
    SequenceData,
    cursor,
)
from .style import (
    CATEGORY,
    FONT,
    FONT_SIZE,
    HALO,
    LABEL_SIZE,
    LANE_NAMES,
    LANES,
    OKABE_ITO,
    WORLD_TITLES,
    WORLDS,
    lane_y,
    y_span,
)

HEIGHT = 800  # lanes about 60 px apart: room for a row of labels on either side of each
MARGIN_LEFT = 160  # the lane names
MARGIN_X = MARGIN_LEFT + 20  # left + right margins, in px: the plot area is the rest


# Categories whose marks carry a label; the others skip plotly's text layer, which costs
# render time per point even when a label is empty.
LABELLED = ("key_instr", "window", "source", "inject", "exit_emulated", "exit", "deliver", "fail",
            "apic")


def _mark_style(key: str) -> dict:
    c = CATEGORY[key]
    outline = "#333333" if key == "apic" else c.color
    style = {
        "mode": "markers+text" if key in LABELLED else "markers",
        "name": c.label, "legendgroup": key, "hoverinfo": "text",
        "marker": {"symbol": c.symbol, "size": c.size, "color": c.color,
                   "line": {"color": outline, "width": 2 if "open" in c.symbol else 1}},
        "textfont": {"size": LABEL_SIZE, "color": c.text_color, "shadow": HALO},
        "hoverlabel": {"bordercolor": c.color},
    }
    return style


def _arrow_style(key: str) -> dict:
    c = CATEGORY[key]
    width = 2.5 if key in ("exit", "entry") else 2
    return {"mode": "lines", "legendgroup": key, "showlegend": False, "hoverinfo": "skip",
            "line": {"color": c.color, "width": width, "dash": c.dash}}


def trace_styles() -> dict[str, dict]:
    """The static look of every trace, by name (data comes separately)."""
    styles = {
        "running": {"mode": "lines", "name": "who runs (level executing)", "hoverinfo": "skip",
                    "line": {"color": "rgba(0,0,0,0.15)", "width": 12}},
        # Wider than the "who runs" bar drawn over it: a blue band around the bar.
        "windows": {"mode": "lines", "name": "interrupt / NMI window open", "hoverinfo": "skip",
                    "line": {"color": "rgba(86,180,233,0.55)", "width": 24}},
        "veil": {"mode": "lines", "fill": "toself", "fillcolor": "rgba(255,255,255,0.55)",
                 "line": {"width": 0}, "hoverinfo": "skip", "showlegend": False},
        "cursor": {"mode": "lines", "hoverinfo": "skip", "showlegend": False,
                   "line": {"color": OKABE_ITO["black"], "width": 1.5, "dash": "dot"}},
        # A translucent disc (Okabe-Ito orange) rather than a ring: a ring drawn over the
        # labels of the current mark would cross them out.
        "focus": {"mode": "markers", "hoverinfo": "skip", "showlegend": False,
                  "marker": {"symbol": "circle", "size": 38, "color": "rgba(230,159,0,0.4)",
                             "line": {"width": 0}}},
    }
    styles.update({f"arrow:{k}": _arrow_style(k) for k in ARROW_CATEGORIES})
    styles.update({name: _mark_style(name[5:]) for name in DATA_TRACES
                   if name.startswith("mark:")})
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


def _shapes() -> list[dict]:
    shapes = []
    for world in WORLDS:
        top, bottom = lane_y(world, "L2") + 0.5, lane_y(world, "HW") - 0.5
        shapes.append({"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "y0": bottom,
                       "y1": top, "layer": "below", "line": {"width": 0},
                       "fillcolor": "#F4F4F4" if world == "bare" else "#FBFBFB"})
        for level in LANES:
            y = lane_y(world, level)
            shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": y, "y1": y,
                           "layer": "below", "line": {"color": "#D9D9D9", "width": 1}})
    return shapes


def _annotations() -> list[dict]:
    notes = [{"xref": "paper", "x": 0, "y": lane_y(w, "L2") + 0.62, "xanchor": "left",
              "yanchor": "bottom", "showarrow": False, "text": WORLD_TITLES[w],
              "font": {"size": FONT_SIZE + 1}} for w in WORLDS]
    notes.append({"xref": "paper", "x": 1, "y": lane_y(WORLDS[0], "L2") + 0.62,
                  "xanchor": "right", "yanchor": "bottom", "showarrow": False, "text": "",
                  "font": {"size": FONT_SIZE - 1, "color": OKABE_ITO["vermillion"]}})
    return notes


def base_layout() -> dict:
    tickvals, ticktext = _lane_ticks()
    return {
        # autosize: fill the notebook's width (plotly's own default is a fixed 700 px).
        "template": "plotly_white", "height": HEIGHT, "autosize": True,
        "font": {"family": FONT, "size": FONT_SIZE},
        "margin": {"l": MARGIN_LEFT, "r": MARGIN_X - MARGIN_LEFT, "t": 36, "b": 20},
        "xaxis": {"title": {"text": "guest-visible time: instructions retired by L1 and L2",
                            "standoff": 6},
                  "zeroline": False, "showgrid": True, "gridcolor": "#E6E6E6"},
        "yaxis": {"tickvals": tickvals, "ticktext": ticktext, "range": list(y_span()),
                  "fixedrange": True, "showgrid": False, "zeroline": False},
        "shapes": _shapes(), "annotations": _annotations(),
        # At the bottom of the figure: the plot area shrinks to make room for however many
        # rows the legend takes at the page's width, so it never covers the axis title.
        "legend": {"orientation": "h", "x": 0, "y": 0, "yref": "container", "yanchor": "bottom",
                   "font": {"size": LABEL_SIZE}},
        "hovermode": "closest", "hoverlabel": {"align": "left", "font": {"size": LABEL_SIZE},
                                               "bgcolor": "white"},
    }


def titles(data: SequenceData) -> dict[str, str]:
    """Relayout keys for the panel titles and the status note of this run."""
    out = {}
    for i, world in enumerate(WORLDS):
        wt = data.worlds.get(world)
        text = WORLD_TITLES[world]
        if wt is not None:
            s = wt.result.stats
            if world == "nested":
                text += f" ({wt.result.policy}) · {_exits(s.get('l0_exits', 0))} to L0"
            text += f" · L1 sees {_exits(s.get('l1_exits', 0))}"
        out[f"annotations[{i}].text"] = text
    out[f"annotations[{len(WORLDS)}].text"] = _status_note(data)
    return out


def _exits(n: int) -> str:
    return f"{n} exit" if n == 1 else f"{n} exits"


def _status_note(data: SequenceData) -> str:
    notes = []
    for wt in data.worlds.values():
        r = wt.result
        if r.status in ("livelock", "max_steps"):
            notes.append(f"{wt.world}: {r.status}")
        if wt.truncated:
            notes.append(f"{wt.world}: first {len(wt.events)} of {len(r.events)} steps drawn")
    return " · ".join(notes)


def _restyle(data: SequenceData, world: str, index: int) -> tuple[dict, dict, list[int]]:
    moved, relayout = cursor(data, world, index)
    per_trace = {**data.traces, **moved}
    keys = ("x", "y", "text", "hovertext", "ids", "textposition")
    restyle = {k: [per_trace[name].get(k) for name in TRACE_NAMES] for k in keys}
    relayout.update(_axis(data))
    relayout.update(titles(data))
    return restyle, relayout, list(range(len(TRACE_NAMES)))


def _axis(data: SequenceData) -> dict:
    tl = data.timeline
    return {"xaxis.tickvals": list(tl.tickvals), "xaxis.ticktext": list(tl.ticktext)}


def new_figure(data: SequenceData, world: str = "nested", index: int = 0, *,
               widget: bool = False) -> go.Figure:
    """A figure (or FigureWidget) showing `data` with the cursor on step `index` of `world`."""
    styles = trace_styles()
    traces = [go.Scatter(**styles[name], x=[], y=[]) for name in TRACE_NAMES]
    cls = go.FigureWidget if widget else go.Figure
    fig = cls(data=traces, layout=base_layout())
    if widget:
        fig._config = {**fig._config, "responsive": True}  # follow the page's width
    apply(fig, data, world, index)
    return fig


def apply(fig: go.Figure, data: SequenceData, world: str, index: int) -> None:
    """Show a new run: every trace's data, the axis and the titles, in one update message."""
    restyle, relayout, indexes = _restyle(data, world, index)
    fig.plotly_update(restyle_data=restyle, relayout_data=relayout, trace_indexes=indexes)


def show_step(fig: go.Figure, data: SequenceData, world: str, index: int) -> None:
    """Move the cursor to step `index` of `world`: one batch_update of three small traces."""
    moved, relayout = cursor(data, world, index)
    with fig.batch_update():
        for name, props in moved.items():
            fig.data[TRACE_INDEX[name]].update(props)
        fig.layout.xaxis.range = relayout["xaxis.range"]
