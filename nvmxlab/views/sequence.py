"""The swimlane sequence diagram: results → plotly traces.

One panel per world (bare metal above, nested below) with one lane per level (L2, L1, L0, HW)
and time flowing to the right on the shared, guest-visible axis of `timeline.py`.  Every trace
event is one mark; transitions also get one arrow (see `classify.py`).

The figure has a fixed set of traces (`TRACE_NAMES`), created once: one per mark category, one
per arrow style, the "who runs" bars, the interrupt-window spans and the step cursor.  A new run
replaces their data; a new step moves only the cursor.  Few, large traces keep a FigureWidget
update to one message and one repaint.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..result import Result
from ..trace import Event
from .classify import VMCS_GUEST, Mark, classify
from .explain import hover
from .labels import LabelPlacer
from .states import StepState, step_states
from .style import CATEGORIES, CATEGORY, LABEL_SIZE, WORLDS, lane_y
from .timeline import Timeline, align

MAX_EVENTS = 2000  # per world; a livelocked run can hold 200 000 steps, no figure should
ARROW_CATEGORIES = ("exit", "exit_emulated", "entry", "entry_emulated", "inject", "source",
                    "fail")
DATA_TRACES = ("windows", "running", *(f"arrow:{k}" for k in ARROW_CATEGORIES),
               *(f"mark:{c.key}" for c in CATEGORIES))
CURSOR_TRACES = ("veil", "cursor", "focus")
TRACE_NAMES = DATA_TRACES + CURSOR_TRACES
TRACE_INDEX = {name: i for i, name in enumerate(TRACE_NAMES)}
BAR_HALF = 0.45  # a "who runs" bar reaches this far either side of its first/last step
NMI_WINDOW_OFFSET = -0.12  # an NMI window's band runs a little under the lane's
PLOT_PX = 1100.0  # plot area width assumed until the page reports the real one
PX_PER_STEP = 15.0  # the view shows as many steps as fit at this spacing, and follows the cursor
MIN_VIEW, MAX_VIEW = 30.0, 160.0


@dataclass(frozen=True)
class WorldTrace:
    """One world's drawn events with everything derived from them, index by index."""

    world: str
    result: Result
    events: tuple[Event, ...]
    states: tuple[StepState, ...]
    marks: tuple[Mark, ...]
    x: tuple[float, ...]

    @property
    def truncated(self) -> bool:
        return len(self.events) < len(self.result.events)

    def position(self, index: int) -> tuple[float, float]:
        return self.x[index], lane_y(self.world, self.marks[index].lane)


@dataclass(frozen=True)
class SequenceData:
    """Everything the diagram draws for a set of runs; immutable, so steps can index into it."""

    worlds: Mapping[str, WorldTrace]
    timeline: Timeline
    traces: Mapping[str, dict]  # DATA_TRACES name → {"x", "y", "text", "hovertext", "ids"}
    view_width: float  # how many steps the x axis shows at once


def _world_trace(world: str, result: Result, x: tuple[float, ...]) -> WorldTrace:
    events = result.events[:MAX_EVENTS]
    states = step_states(result, MAX_EVENTS)
    return WorldTrace(world, result, events, states, tuple(classify(e) for e in events), x)


def view_width_for(plot_px: float) -> float:
    return min(max(plot_px / PX_PER_STEP, MIN_VIEW), MAX_VIEW)


def build(results: Mapping[str, Result], plot_px: float = PLOT_PX) -> SequenceData:
    """Map runs (keyed "bare" and/or "nested") to the diagram's trace data, with labels
    placed for a plot area `plot_px` pixels wide."""
    ordered = [w for w in WORLDS if w in results]
    timeline = align({w: results[w].events[:MAX_EVENTS] for w in ordered})
    worlds = {w: _world_trace(w, results[w], timeline.x[w]) for w in ordered}
    return SequenceData(worlds, timeline, _traces(worlds, timeline, plot_px),
                        view_width_for(plot_px))


def relabel(data: SequenceData, plot_px: float) -> SequenceData:
    """The same runs laid out for another plot width (no engine run, no replay)."""
    return SequenceData(data.worlds, data.timeline, _traces(data.worlds, data.timeline, plot_px),
                        view_width_for(plot_px))


def _traces(worlds: Mapping[str, WorldTrace], timeline: Timeline, plot_px: float) -> dict:
    traces = {name: _empty(name) for name in DATA_TRACES}
    # Steps on screen at once: the whole run when it fits, else the view that follows the cursor.
    # The view never reaches left of -1 or right of the last step + 0.5 (see view_range).
    placer = LabelPlacer(min(timeline.width, view_width_for(plot_px)) + 1.5, plot_px,
                         (-1.0, timeline.width + 0.5), LABEL_SIZE)
    labelled: list[tuple[dict, int]] = []  # (mark trace, point) of each label asked for
    for wt in worlds.values():
        _add_marks(traces, wt, placer, labelled)
        _add_bars(traces["running"], wt)
        _add_windows(traces["windows"], wt)
    for (trace, k), position in zip(labelled, placer.solve(), strict=True):
        if position is None:
            trace["text"][k] = ""  # no room: the step's hover text still names it
        else:
            trace["textposition"][k] = position
    return traces


def _empty(name: str) -> dict:
    if name.startswith("mark:"):
        return {"x": [], "y": [], "text": [], "hovertext": [], "ids": [], "textposition": []}
    return {"x": [], "y": [], "text": None, "hovertext": None, "ids": None,
            "textposition": None}


def _add_marks(traces: dict, wt: WorldTrace, placer: LabelPlacer,
               labelled: list[tuple[dict, int]]) -> None:
    for i, (e, mark) in enumerate(zip(wt.events, wt.marks, strict=True)):
        x, y = wt.position(i)
        category = CATEGORY[mark.category]
        t = traces[f"mark:{mark.category}"]
        if mark.label:
            placer.add(wt.world, x, y, mark.label, category.text_position, category.size,
                       category.label_rank)
            labelled.append((t, len(t["x"])))
        t["x"].append(x)
        t["y"].append(y)
        t["text"].append(mark.label)
        t["textposition"].append(category.text_position)
        t["hovertext"].append(hover(wt.world, e, wt.states[i]))
        t["ids"].append(f"{wt.world}:{e.seq}")
        if mark.has_arrow:
            source = lane_y(wt.world, mark.source)
            placer.add_arrow(wt.world, x, source, y)
            arrow = traces[f"arrow:{mark.category}"]
            arrow["x"] += [x, x, None]
            arrow["y"] += [source, y, None]


def _segments(values: list):
    """(value, first index, last index) for each run of equal, non-None consecutive values."""
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            if values[start] is not None:
                yield values[start], start, i - 1
            start = i


def _add_bars(trace: dict, wt: WorldTrace) -> None:
    running = [s.running for s in wt.states]
    for level, first, last in _segments(running):
        y = lane_y(wt.world, level)
        trace["x"] += [wt.x[first] - BAR_HALF, wt.x[last] + BAR_HALF, None]
        trace["y"] += [y, y, None]


def _add_windows(trace: dict, wt: WorldTrace) -> None:
    opened = {v for s in wt.states for v in s.windows}
    for window in sorted(opened):
        lane = VMCS_GUEST.get(window.split(":")[0], "L2")
        open_ = [window if window in s.windows else None for s in wt.states]
        # A band along the lane itself, under its "who runs" bar: the rows above and below
        # the lane belong to the labels.
        y = lane_y(wt.world, lane) + (NMI_WINDOW_OFFSET if window.endswith(":nmi") else 0.0)
        for _, first, last in _segments(open_):
            # Open from the step that opened it up to the step that closed it.
            end = wt.x[last + 1] if last + 1 < len(wt.x) else wt.x[last] + 1
            trace["x"] += [wt.x[first], end, None]
            trace["y"] += [y, y, None]


# -- the step cursor ------------------------------------------------------------------------


def view_range(data: SequenceData, x: float) -> list[float]:
    width, view = data.timeline.width, data.view_width
    if width <= view:
        return [-1.0, width + 0.5]
    left = min(max(-1.0, x - 0.6 * view), width + 0.5 - view)
    return [left, left + view]


def cursor(data: SequenceData, world: str, index: int) -> tuple[dict, dict]:
    """(trace data for CURSOR_TRACES by name, layout changes) showing step `index` of `world`."""
    from .style import y_span

    bottom, top = y_span()
    x, y = data.worlds[world].position(index)
    end = data.timeline.width + 5
    traces = {
        # Dims whatever happens after the current step, in both worlds (same guest time).
        "veil": {"x": [x + 0.5, end, end, x + 0.5, x + 0.5],
                 "y": [bottom, bottom, top, top, bottom]},
        "cursor": {"x": [x, x], "y": [bottom, top]},
        "focus": {"x": [x], "y": [y]},
    }
    return traces, {"xaxis.range": view_range(data, x)}
