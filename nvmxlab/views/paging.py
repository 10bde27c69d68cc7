"""Paging: which page of the run shows a step, and what of the run the lab draws on that page.

The diagram's time scale never changes: its x axis always spans `view_width` steps (see
sequence.view_width_for).  A step well inside the page shown stays on it; one that comes near
an edge turns a page (`view_range`).  The lab's figure draws only the page it shows, shifted so
that the page starts at x = 0 (`on_page`): plotly styles every point it is given, on every
redraw, whether the axis shows it or not, and a page turned is then new trace data, never a
new axis.  Static figures and slides hold the whole run and move their axis (`cursor`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .sequence import (
    ARROW_CATEGORIES,
    DATA_TRACES,
    MARK_TRACES,
    SequenceData,
    cursor_traces,
    plotly_keys,
    unlabel,
)

PAGE_EDGE = 0.08  # the view turns a page when the cursor comes this close to its edge
PAGE_LEAD = 0.2  # ... and puts the cursor this far from the edge it came from
PAGE_MARGIN = 1.0  # steps drawn beyond either edge of the lab's view
# How page() cuts a data trace to a stretch of the run: point by point, or segment by segment
# (x, x', None); the rest ("panels") span the run whatever the stretch.
POINT_TRACES = (*MARK_TRACES, "ticks")
SEGMENT_TRACES = ("grid", "windows", "running", "if_off",
                  *(f"arrow:{k}" for k in ARROW_CATEGORIES))


# -- which page shows a step -----------------------------------------------------------------
def view_range(data: SequenceData, x: float,
               current: Sequence[float] | None = None) -> list[float]:
    """The x range that shows step position `x`: always `view_width` steps wide.

    With `current`, the view the figure shows now, the view stays put while `x` is well inside
    it, and otherwise turns a page, leaving the cursor `PAGE_LEAD` of a view from the edge it
    came from; without, the cursor sits at 60 % of the view.  A run that fits starts at -1."""
    view = data.view_width
    highest = max(-1.0, data.timeline.width + 0.5 - view)
    if current is not None and abs(current[1] - current[0] - view) < 1e-9:
        left = current[0]
        edge = PAGE_EDGE * view
        if left + edge <= x <= left + view - edge and -1.0 <= left <= highest:
            return [left, left + view]
        left = x - PAGE_LEAD * view if x > left + view - edge else x - (1 - PAGE_LEAD) * view
    else:
        left = x - 0.6 * view
    left = min(max(-1.0, left), highest)
    return [left, left + view]


def cursor(data: SequenceData, world: str, index: int,
           current: Sequence[float] | None = None) -> tuple[dict, dict]:
    """(trace data for CURSOR_TRACES by name, layout changes) showing step `index` of `world`,
    the view turning a page from `current` if it must (see view_range)."""
    x, _ = data.worlds[world].position(index)
    view = view_range(data, x, current)
    return cursor_traces(data, world, index, view), {"xaxis.range": view}


# -- what the lab draws on a page ------------------------------------------------------------
def page(traces: Mapping[str, dict], low: float, high: float) -> dict[str, dict]:
    """The data traces cut to what lies between x = `low` and `high`: a live figure whose
    axis stays on one page of the run draws only that page's points."""
    paged = {}
    for name, trace in traces.items():
        if name in POINT_TRACES:
            keep = [k for k, x in enumerate(trace["x"]) if low <= x <= high]
        elif name in SEGMENT_TRACES:
            keep = [k for start in _segments_within(trace["x"], low, high)
                    for k in range(start, start + 3)]
        else:
            paged[name] = trace
            continue
        paged[name] = {key: [values[k] for k in keep] if isinstance(values, list) else values
                       for key, values in trace.items()}
    return paged


def _segments_within(xs: Sequence[float], low: float, high: float) -> list[int]:
    """The first index of each (x, x', None) segment that reaches into [low, high]."""
    return [start for start in range(0, len(xs), 3)
            if min(xs[start], xs[start + 1]) <= high and max(xs[start], xs[start + 1]) >= low]


def clip_labels(traces: dict[str, dict], low: float, high: float) -> None:
    """Leave the labels that reach past x = `low` or `high` out of a page of the run (their
    marks stay, without text): plotly clips a label at the edge of the plot, and a cut "EOI"
    reads "OI"."""
    labelled, marks = dict(traces["labelled"]), dict(traces["marks"])
    reach = labelled["label_x"]
    unlabel(labelled, marks, lambda k: not low <= reach[k][0] <= reach[k][1] <= high)
    traces["labelled"], traces["marks"] = labelled, marks


def shifted(traces: Mapping[str, dict], left: float) -> dict[str, dict]:
    """`traces` moved so that x = `left` is drawn at 0, where the lab's axis starts."""
    return {name: {**props, "x": [None if x is None else x - left for x in props["x"]]}
            for name, props in traces.items()}


def on_page(data: SequenceData, left: float, moved: Mapping[str, dict]) -> dict:
    """The run's traces on the page starting at `left`, and the cursor's, shifted to the axis.
    Marks up to PAGE_MARGIN beyond either edge are kept, so that one on an edge shows whole;
    those further out are left out, labels and all."""
    run = page({name: data.traces[name] for name in DATA_TRACES}, left - PAGE_MARGIN,
               left + data.view_width + PAGE_MARGIN)
    clip_labels(run, left, left + data.view_width)
    return shifted({**{name: plotly_keys(t) for name, t in run.items()}, **moved}, left)


def show(data: SequenceData, world: str, index: int, left: float | None = None, *,
         whole: bool = True) -> tuple[float, dict]:
    """(where the page that shows step `index` of `world` starts, the traces to draw on it),
    the page turned from the one starting at `left` only if the step is near its edge (no
    `left`: a first page, the step at 60 % of it).  The traces are every data trace and the
    cursor's; with `whole=False`, only the cursor's while the page stays the same."""
    current = None if left is None else [left, left + data.view_width]
    moved, relayout = cursor(data, world, index, current)
    new_left = relayout["xaxis.range"][0]
    if not whole and new_left == left:
        return new_left, shifted(moved, new_left)
    return new_left, on_page(data, new_left, moved)
