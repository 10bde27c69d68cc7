"""The swimlane sequence diagram: results → plotly traces.

One panel per world (bare metal above, nested below) with one lane per level (L2, L1, L0, HW)
and time flowing to the right on the shared, guest-visible axis of `timeline.py`.  Every trace
event is one mark; transitions also get one arrow (see `classify.py`).

The figure has a fixed set of traces (`TRACE_NAMES`), created once: bare metal's panel shade,
the marks (two traces, one for the categories that carry labels), one per arrow style, the
"who runs" bars, the interrupt-window spans, the guest-time ticks, the panel titles and the
step cursor, plus one empty trace per category that only draws its legend entry (static
figures only: the lab's legend is HTML).  A new run replaces the data of the first ones; a
new step moves only the cursor.  The time scale never changes: the x axis always spans
`view_width` steps, and pages along the run when the cursor reaches its edge, so a toggle
redraws the traces and nothing else, and the lab draws only that page (see paging.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..limits import counted
from ..result import Result
from ..trace import Event, Kind
from .classify import VMCS_GUEST, Mark, classify
from .explain import hover
from .labels import LabelPlacer, text_px
from .states import StepState, step_states
from .style import (
    CATEGORIES,
    CATEGORY,
    FONT_SIZE,
    LABEL_SIZE,
    LABELLED,
    WORLD_TITLES,
    WORLDS,
    lane_y,
    y_span,
)
from .timeline import Timeline, align

MAX_EVENTS = 2000  # per world; a livelocked run can hold 200 000 steps, no figure should
ARROW_CATEGORIES = ("exit", "exit_emulated", "entry", "entry_emulated", "inject", "source",
                    "fail")
MARK_TRACES = ("marks", "labelled")  # categories without labels, then those with
# The data drawn beneath the step cursor, and over it (the marks and the ticks carry text).
UNDER_CURSOR = ("panels", "grid", "windows", "running", "if_off",
                *(f"arrow:{k}" for k in ARROW_CATEGORIES))
OVER_CURSOR = (*MARK_TRACES, "ticks")
DATA_TRACES = (*UNDER_CURSOR, *OVER_CURSOR)
CURSOR_TRACES = ("titles", "veil", "cursor", "focus")
LEGEND_TRACES = tuple(f"legend:{c.key}" for c in CATEGORIES)
# The order the traces are drawn in, each over the ones before.  The cursor's dotted line runs
# beneath the marks and every text (a line drawn through "raise 0x30" or a panel's title
# cuts it in two); the veil over what is still to come and the focus disc stay on top.
TRACE_NAMES = (*UNDER_CURSOR, "cursor", *OVER_CURSOR, "titles", "veil", "focus",
               *LEGEND_TRACES)
TRACE_INDEX = {name: i for i, name in enumerate(TRACE_NAMES)}
# What a mark trace holds per point besides x and y; the PYTHON_KEYS stay in Python: a mark's
# category, and how far its label reaches left and right (x units, None without a label).
MARK_KEYS = ("text", "textposition", "hovertext", "ids", "marker.symbol", "marker.size",
             "marker.color", "marker.line.color", "marker.line.width", "textfont.color",
             "hoverlabel.bordercolor", "category", "label_x")
PYTHON_KEYS = ("category", "label_x")
BAR_HALF = 0.45  # a "who runs" bar reaches this far either side of its first/last step
NMI_WINDOW_OFFSET = -0.12  # an NMI window's band runs a little under the lane's
TITLE_OFFSET = 0.62  # a panel's title sits this far above its top lane
PLOT_PX = 1100.0  # plot area width assumed until the page reports the real one
PX_PER_STEP = 15.0  # the view shows as many steps as fit at this spacing (see paging.py)
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
    def story_step(self) -> int:
        """The step a view opens on: the first interrupt or NMI a device raises, where every
        scenario's story starts; the last step when the run raises none."""
        raised = (i for i, e in enumerate(self.events) if e.kind == Kind.RAISE)
        return next(raised, len(self.events) - 1)

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
    traces: Mapping[str, dict]  # DATA_TRACES name → {"x", "y", …} (MARK_KEYS for marks)
    view_width: float  # how many steps the x axis spans, always
    plot_px: float = PLOT_PX  # the plot area's width the labels were placed for


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
                        view_width_for(plot_px), plot_px)


def relabel(data: SequenceData, plot_px: float) -> SequenceData:
    """The same runs laid out for another plot width (no engine run, no replay)."""
    return SequenceData(data.worlds, data.timeline, _traces(data.worlds, data.timeline, plot_px),
                        view_width_for(plot_px), plot_px)


def _traces(worlds: Mapping[str, WorldTrace], timeline: Timeline, plot_px: float) -> dict:
    traces = {name: _empty(name) for name in DATA_TRACES}
    view = view_width_for(plot_px)
    # The labels are placed for the scale the x axis always has (see view_range), and never
    # left of -1 or right of the last step + 0.5.
    placer = LabelPlacer(view, plot_px, (-1.0, timeline.width + 0.5), LABEL_SIZE)
    labelled: list[tuple[dict, int, int]] = []  # (mark trace, point, request) of each label
    for wt in worlds.values():
        _add_marks(traces, wt, placer, labelled)
        _add_bars(traces["running"], wt)
        _add_interrupts_off(traces["if_off"], wt)
        _add_windows(traces["windows"], wt)
    _add_panels(traces["panels"], worlds, timeline, view)
    for (trace, k, request), position in zip(labelled, placer.solve(), strict=True):
        if position is None:
            trace["text"][k] = ""  # no room: the step's hover text still names it
        else:
            trace["textposition"][k] = position
            trace["label_x"][k] = placer.extent(request, position)
    unlabel(traces["labelled"], traces["marks"])
    for name in MARK_TRACES:
        _stack(traces[name])
    _add_ticks(traces, timeline)
    return traces


def _empty(name: str) -> dict:
    trace: dict = {"x": [], "y": []}
    if name in MARK_TRACES:
        trace.update({key: [] for key in MARK_KEYS})
    elif name == "ticks":
        trace["text"] = []
    return trace


def _add_marks(traces: dict, wt: WorldTrace, placer: LabelPlacer,
               labelled: list[tuple[dict, int, int]]) -> None:
    for i, (e, mark) in enumerate(zip(wt.events, wt.marks, strict=True)):
        x, y = wt.position(i)
        category = CATEGORY[mark.category]
        t = traces["labelled" if mark.category in LABELLED else "marks"]
        if mark.label:
            request = placer.add(wt.world, x, y, mark.label, category.text_position,
                                 category.size, category.label_rank)
            labelled.append((t, len(t["x"]), request))
        t["x"].append(x)
        t["y"].append(y)
        for key, value in _mark_point(category, mark.label).items():
            t[key].append(value)
        t["hovertext"].append(hover(wt.world, e, wt.states[i]))
        t["ids"].append(f"{wt.world}:{e.seq}")
        if mark.has_arrow:
            source = lane_y(wt.world, mark.source)
            placer.add_arrow(wt.world, x, source, y)
            arrow = traces[f"arrow:{mark.category}"]
            arrow["x"] += [x, x, None]
            arrow["y"] += [source, y, None]


def _mark_point(category, label: str) -> dict:
    """A mark's look, point by point: one trace draws every category."""
    outline, width = category.outline
    return {"category": category.key, "text": label, "textposition": category.text_position,
            "marker.symbol": category.symbol, "marker.size": category.size,
            "marker.color": category.color, "marker.line.color": outline,
            "marker.line.width": width, "textfont.color": category.text_color,
            "hoverlabel.bordercolor": category.color, "label_x": None}


def unlabel(labelled: dict, marks: dict, drop: Callable[[int], bool] | None = None) -> None:
    """Move the labelled marks that `drop` picks (by default those whose label found no
    room) to the trace without labels, as marks without text.  A text trace must hold no
    empty text: plotly.js removes an empty point's <text> node and, when a later update
    gives that point a text, finds no node to put it in (the label never shows)."""
    texts = labelled["text"]
    moved = {k for k in range(len(labelled["x"])) if (drop(k) if drop else texts[k] == "")}
    for key, values in labelled.items():
        marks[key] += ["" if key == "text" else v for k, v in enumerate(values) if k in moved]
        labelled[key] = [v for k, v in enumerate(values) if k not in moved]


def plotly_keys(trace: dict) -> dict:
    """A data trace as plotly takes it: without the PYTHON_KEYS."""
    return {k: v for k, v in trace.items() if k not in PYTHON_KEYS}


RANK = {c.key: i for i, c in enumerate(CATEGORIES)}


def _stack(trace: dict) -> None:
    """Order a mark trace's points by category, so later categories draw on top (as in
    CATEGORIES); within a category, in trace order."""
    order = sorted(range(len(trace["x"])), key=lambda k: RANK[trace["category"][k]])
    for key, values in trace.items():
        trace[key] = [values[k] for k in order]


def _add_ticks(traces: dict, timeline: Timeline) -> None:
    """Guest time: a labelled grid line every few guest instructions. Drawn as traces, not
    as axis ticks, so that a new run changes trace data only."""
    bottom, top = y_span()
    ticks, grid = traces["ticks"], traces["grid"]
    for x, text in zip(timeline.tickvals, timeline.ticktext, strict=True):
        ticks["x"].append(x)
        ticks["y"].append(bottom)
        ticks["text"].append(text)
        grid["x"] += [x, x, None]
        grid["y"] += [bottom, top, None]


def _add_panels(trace: dict, worlds: Mapping[str, WorldTrace], timeline: Timeline,
                view: float) -> None:
    """Bare metal's panel, shaded across every x range a view of the run can show."""
    if "bare" not in worlds:
        return
    left, right = -2.0, max(timeline.width, view) + 2.0
    bottom, top = lane_y("bare", "HW") - 0.5, lane_y("bare", "L2") + 0.5
    trace["x"] += [left, right, right, left, left]
    trace["y"] += [bottom, bottom, top, top, bottom]


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


def _add_interrupts_off(trace: dict, wt: WorldTrace) -> None:
    """Along the "who runs" bar, where the level running has IF = 0: L1 in its exit handler
    (a VM exit loads RFLAGS = 0x2), which is why an interrupt for L1 waits for STI."""
    off = [s.running if s.interrupts_off else None for s in wt.states]
    for level, first, last in _segments(off):
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


# -- the step cursor, on a view ---------------------------------------------------------------


def titles(data: SequenceData, view: Sequence[float]) -> dict:
    """The panel titles (left) and the status note (right) at the edges of the view."""
    left, right = view
    texts = []
    for world in WORLDS:
        text = WORLD_TITLES[world]
        wt = data.worlds.get(world)
        if wt is not None:
            s = wt.result.stats
            if world == "nested":
                text += f" ({wt.result.policy}) · {counted(s.get('l0_exits', 0), 'exit')} to L0"
            text += f" · L1 sees {counted(s.get('l1_exits', 0), 'exit')}"
        texts.append(_fit(text, TITLE_SIZES[0], data.plot_px))
    ys = [lane_y(w, "L2") + TITLE_OFFSET for w in WORLDS]
    xs = [left] * len(WORLDS)
    # The status note only when there is one: a text trace holds no empty text (see unlabel).
    if note := _status_note(data):
        texts.append(note)
        ys.append(lane_y(WORLDS[0], "L2") + TITLE_OFFSET)
        xs.append(right)
    return {"x": xs, "y": ys, "text": texts}


TITLE_SIZES = [FONT_SIZE + 1] * len(WORLDS) + [FONT_SIZE - 1]


def _fit(title: str, size: float, plot_px: float) -> str:
    """A panel's title on as many lines as the plot's width needs, broken after its name
    (a title runs from the left edge of the plot: past the right edge, plotly cuts it)."""
    if text_px(title, size) <= plot_px:
        return title
    name, _, rest = title.partition(" · ")
    return f"{name}<br>{rest}" if rest else title


def _status_note(data: SequenceData) -> str:
    notes = []
    for wt in data.worlds.values():
        r = wt.result
        if r.status in ("livelock", "max_steps"):
            notes.append(f"{wt.world}: {r.status}")
        if wt.truncated:
            notes.append(f"{wt.world}: first {len(wt.events)} of {len(r.events)} steps drawn")
    return " · ".join(notes)


def cursor_traces(data: SequenceData, world: str, index: int, view: Sequence[float]) -> dict:
    """Trace data for CURSOR_TRACES by name, showing step `index` of `world` on `view` (the x
    range shown: see paging.view_range)."""
    bottom, top = y_span()
    x, y = data.worlds[world].position(index)
    end = max(data.timeline.width, view[1]) + 5
    return {
        "titles": titles(data, view),
        # Dims whatever happens after the current step, in both worlds (same guest time).
        "veil": {"x": [x + 0.5, end, end, x + 0.5, x + 0.5],
                 "y": [bottom, bottom, top, top, bottom]},
        "cursor": {"x": [x, x], "y": [bottom, top]},
        "focus": {"x": [x], "y": [y]},
    }
