"""The lab as the browser shows it: open it in a notebook, find its controls, read its diagram.

Everything here reads the rendered page (SVG and HTML), never the kernel's Python objects: a
lab whose Python state is right but whose figure did not repaint must fail. The hooks are the
lab's stable CSS classes (`nvmx-lab`, `nvmx-sequence`, `nvmx-stategraph`, `nvmx-step-text`,
`nvmx-player`, `nvmx-share`, `nvmx-paste`) and the controls' visible labels.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator

from nvmxlab.views.figure import MARGIN_X, WIDGET_TRACES
from nvmxlab.views.labstate import WIDTH_SLACK
from nvmxlab.views.sequence import MAX_VIEW, MIN_VIEW, PX_PER_STEP, TRACE_INDEX
from nvmxlab.views.stategraph import GRAPH_INDEX

from .jupyterlab import LabPage, open_page, scratch_folder, write_notebook
from .latency import (
    CLICKS,
    WARMUP,
    Measurement,
    NoRepaint,
    Whole,
    measure_clicks,
    timing_report,
)

SCENARIO = "seed-interrupt"
LAB_CELL = f'from nvmxlab.widgets import Lab\n\nlab = Lab("{SCENARIO}")\nlab'

LAB = ".jp-OutputArea-output .nvmx-lab"
SEQUENCE = f"{LAB} .nvmx-sequence"
STATEGRAPH = f"{LAB} .nvmx-stategraph"
STEP_TEXT = f"{LAB} .nvmx-step-text"
PLAYER = f"{LAB} .nvmx-player"
# What must be on screen for the lab to count as rendered: both figures with their traces.
DRAWN = (f"{SEQUENCE} .scatterlayer .trace", f"{STATEGRAPH} .scatterlayer .trace")
# Everything the sequence diagram draws from a run: marks, arrows, labels and bars.
SEQUENCE_DATA = f"{SEQUENCE} .scatterlayer"

PIN_BASED = "PIN_BASED_EXT_INTR_MASK"
ACK_ON_EXIT = "VM_EXIT_ACK_INTR_ON_EXIT"
LABEL = "lab (seed-interrupt, PIN_BASED_EXT_INTR_MASK)"

# The text of every label the page's plotly has drawn on the sequence diagram (mark labels,
# ticks, panel titles), trace by trace in data order: read from the figure the page holds
# (`_fullData`) rather than from its <text> nodes, whose document order and number depend on
# which steps were on the view's page before (plotly keeps nodes of steps that stay on it).
_DRAWN_LABELS = """(selector) => {
  const holder = document.querySelector(selector);
  const figure = holder && (holder.matches('.js-plotly-plot')
    ? holder : holder.querySelector('.js-plotly-plot'));
  if (!figure || !figure._fullData) return null;
  return figure._fullData
    .filter((trace) => trace.visible === true && trace.mode && trace.mode.includes('text'))
    .flatMap((trace) => Array.isArray(trace.text) ? trace.text : [trace.text])
    .filter((text) => typeof text === 'string' && text !== '');
}"""

# Where the step highlight (the open circle on the current step) is drawn: the SVG transform
# of its one point. Its <g> carries the trace's uid, which the figure's data maps to its index.
_HIGHLIGHT = """([selector, index]) => {
  const figure = document.querySelector(selector);
  const trace = figure && figure._fullData && figure._fullData.find((t) => t.index === index);
  if (!trace) return null;
  const point = figure.querySelector(`.trace${CSS.escape(trace.uid)} path.point`);
  return point ? point.getAttribute('transform') : null;
}"""


def lab_notebook(folder: Path, name: str = "lab.ipynb") -> Path:
    """A notebook whose one cell shows the lab on the seed case, as a learner would."""
    return write_notebook(folder / name, [LAB_CELL])


@contextmanager
def lab_notebook_open(browser, server, name: str) -> Iterator[tuple[LabPage, str]]:
    """A page with the lab notebook open (not yet run), and the notebook's path; its kernel
    is shut down afterwards."""
    with scratch_folder() as folder, open_page(browser, server, name) as page:
        relative = lab_notebook(folder).relative_to(server.root).as_posix()
        try:
            page.open_notebook(relative)
            yield page, relative
        finally:
            server.shutdown_kernels(relative)


def control(lab: LabPage, label: str) -> Locator:
    """A checkbox of the lab's control panel, by the label the learner reads."""
    return lab.page.locator(LAB).get_by_role("checkbox", name=label, exact=True)


def drawn_labels(lab: LabPage) -> list[str]:
    return lab.page.evaluate(_DRAWN_LABELS, SEQUENCE)


def highlight(lab: LabPage) -> str | None:
    """The SVG position of the step highlight, e.g. "translate(521.85,236.94)"."""
    return lab.page.evaluate(_HIGHLIGHT, [SEQUENCE, TRACE_INDEX["focus"]])


def highlight_xy(transform: str) -> tuple[float, float]:
    x, y = transform.removeprefix("translate(").removesuffix(")").split(",")
    return float(x), float(y)


def step_text(lab: LabPage) -> str:
    return lab.page.locator(STEP_TEXT).inner_text()


def wait_for_new_labels(lab: LabPage, before: list[str], timeout_ms: float = 30_000) -> list[str]:
    """Wait until the diagram's labels differ from `before`; return them."""
    lab.page.wait_for_function(
        "([selector, before]) => {"
        f"  const now = ({_DRAWN_LABELS})(selector);"
        "  return now !== null && JSON.stringify(now) !== JSON.stringify(before);"
        "}",
        arg=[SEQUENCE, before],
        timeout=timeout_ms,
    )
    return drawn_labels(lab)


# Whether the diagram is laid out for the width the page gives it: the lab draws for PLOT_PX
# until the page reports its width, then redraws with as many steps as fit (Lab._on_width),
# unless the two differ by less than WIDTH_SLACK.
_FITTED = """([selector, marginX, pxPerStep, least, most, slack]) => {
  const figure = document.querySelector(selector);
  const plot = figure && (figure.matches('.js-plotly-plot')
    ? figure : figure.querySelector('.js-plotly-plot'));
  // The diagram's box: the lab's width, or less where the step's text sits beside it.
  const box = figure && figure.closest('.nvmx-figure-box');
  if (!plot || !box || !plot._fullLayout) return false;
  const shown = Math.max(box.getBoundingClientRect().width - marginX, 200);
  const fits = Math.min(Math.max(shown / pxPerStep, least), most);
  return Math.abs(fits - plot._fullLayout.xaxis.range[1]) * pxPerStep < slack;
}"""


def wait_until_fitted(lab: LabPage, timeout_ms: float = 30_000) -> None:
    """Wait until the diagram shows as many steps as fit the width the page gives it."""
    lab.page.wait_for_function(
        _FITTED, arg=[SEQUENCE, MARGIN_X, PX_PER_STEP, MIN_VIEW, MAX_VIEW, WIDTH_SLACK],
        timeout=timeout_ms,
    )


# The page has settled when the kernel has handled every widget message the page sent and
# the page has every update that came of them.  A kernel round trip (an empty, silent execute
# request) does not prove that: ipykernel 7.4 was seen to handle an execute request sent 8 ms
# after a widget update before that update, when the kernel was busy with an earlier one, and
# ipywidgets' front end does not send every change at once either: it keeps one update per
# model in flight and holds the next one back (WidgetModel.sync puts it in `_msg_buffer`
# while `_pending_msgs` >= 1) until the kernel's idle status for the one before.  That idle
# status is what proves a message handled: the kernel publishes it on iopub, one ordered
# stream, after every update its handler sent.  So after a round trip (for what is not a
# widget message) the wait goes on, a frame at a time, until no model has a message in flight
# or held back for two painted frames running (plotly draws in one, and sends its relayout
# in the next).
# `_pending_msgs` and `_msg_buffer` are private to @jupyter-widgets/base: if a release renames
# them, or the notebook's widget manager cannot be found, this wait fails saying so rather
# than pass too early.
_UNSETTLED = """(path) => {
  const panel = window.__nvmxPanel(path);
  const managers = [];
  const visit = (widget) => {
    if (widget._manager && widget._manager.promise) managers.push(widget._manager.promise);
    for (const child of widget.widgets || []) visit(child);
  };
  for (const cell of panel.content.widgets) if (cell.outputArea) visit(cell.outputArea);
  const describe = (model) => {
    const name = `${model.get('_model_name')} ${model.get('description') || ''}`.trim();
    if (typeof model._pending_msgs !== 'number' || model._msg_buffer === undefined) {
      return `${name}: no _pending_msgs/_msg_buffer (ipywidgets changed)`;
    }
    if (model._pending_msgs === 0 && model._msg_buffer === null) return null;
    const held = model._msg_buffer ? `, holds back ${Object.keys(model._msg_buffer)}` : '';
    return `${name}: ${model._pending_msgs} in flight${held}`;
  };
  return async () => {
    if (!managers.length) return ['no widget manager in the notebook (ipywidgets changed)'];
    const manager = await managers[0];
    const models = await Promise.all(Object.values(manager._models));
    return models.map(describe).filter((line) => line !== null);
  };
}"""

_SETTLE = """async ([path, timeoutMs]) => {
  const kernel = window.__nvmxPanel(path).sessionContext.session.kernel;
  await kernel.requestExecute({code: '', silent: true, store_history: false}).done;
  const unsettled = (UNSETTLED)(path);
  const frame = () => new Promise((done) => requestAnimationFrame(() => done()));
  const start = performance.now();
  for (let frames = 0, quiet = 0; ; frames++) {
    const waiting = await unsettled();
    quiet = waiting.length === 0 ? quiet + 1 : 0;
    if (quiet === 3 || performance.now() - start > timeoutMs) return {frames, waiting};
    await frame();
  }
}""".replace("UNSETTLED", _UNSETTLED)


def wait_until_settled(lab: LabPage, timeout_ms: float = 30_000) -> None:
    """Wait until the kernel has handled every widget message the page sent or holds back,
    the page has every update that came of them and two frames have been painted since
    (see _SETTLE)."""
    settled = lab.page.evaluate(_SETTLE, [lab.path, timeout_ms])
    assert settled["waiting"] == [], (
        f"the page still had widget messages the kernel had not handled after "
        f"{timeout_ms / 1000:.0f} s: {settled['waiting']}")


@dataclass
class LabRun:
    """The lab notebook after "run all": what ran, what showed, how long it took."""

    path: str
    ran: bool
    errors: list[str]
    rendered: bool
    first_render_ms: float | None
    run_ms: float
    measurement: Measurement | None = None
    no_repaint: str | None = None
    missing: str | None = None  # what the page showed instead, when the lab did not render

    def report(self) -> list[str]:
        """Lines for the "browser timings" section of the test output and for the benchmark."""
        return timing_report(LABEL, self.measurement, self.first_render_ms)


# What is on the page of the lab, for a failure message when it did not render.
_LAB_STATE = """([lab, parts]) => {
  const found = document.querySelectorAll(lab).length;
  const described = parts.map((selector) => {
    const node = document.querySelector(selector);
    if (!node) return `${selector}: missing`;
    const box = node.getBoundingClientRect();
    const traces = node.querySelectorAll('.scatterlayer .trace').length;
    return `${selector}: ${Math.round(box.width)}x${Math.round(box.height)} px, ${traces} traces`;
  });
  return `${found} lab(s) on the page; ` + described.join('; ');
}"""


def run_lab(lab: LabPage, path: str) -> LabRun:
    """Run all cells of the open lab notebook `path` and wait until the lab is drawn."""
    ran = lab.run_all_timed(path, shown=DRAWN)
    run = LabRun(path, ran.ok, lab.errors(path), rendered=False,
                 first_render_ms=ran.first_render_ms, run_ms=ran.run_ms)  # fmt: skip
    try:
        for selector in DRAWN:
            lab.page.locator(selector).first.wait_for(state="attached", timeout=30_000)
    except PlaywrightError:
        state = lab.page.evaluate(_LAB_STATE, [LAB, [SEQUENCE, STATEGRAPH]])
        run.missing = f"{state}; console errors: {lab.console_errors[-5:]}"
        return run
    try:
        wait_until_fitted(lab)  # tests and clicks start from the lab as it settles on the page
    except PlaywrightError:
        run.missing = (f"the diagram was not redrawn for the page's width: "
                       f"{lab.page.evaluate(_LAB_STATE, [LAB, [SEQUENCE]])}")
        return run
    wait_until_settled(lab)
    run.rendered = True
    return run


# Everything the lab shows, as one string, cheaply (textContent forces no layout): read once a
# frame while a click is timed, until it shows what the click's state showed when settled.
LAB_WHOLE = """() => {
  const root = document.querySelector('LAB_SELECTOR');
  if (!root) return null;
  const text = (selector) => {
    const node = root.querySelector(selector);
    return node ? node.textContent : '';
  };
  const share = root.querySelector('.nvmx-share input');
  const handle = root.querySelector('.nvmx-player .noUi-handle');
  const points = (selector) => Array.from(root.querySelectorAll(`${selector} path.point`),
    (p) => p.getAttribute('transform')).join(' ');
  return [text('h3'), text('.nvmx-status-panel'), text('.nvmx-step-text'),
          text('.nvmx-compare-table'), share ? share.value : '',
          handle ? handle.getAttribute('aria-valuenow') + '/' +
                   handle.getAttribute('aria-valuemax') : '',
          text('.nvmx-sequence .scatterlayer'), points('.nvmx-sequence .scatterlayer'),
          text('.nvmx-stategraph .scatterlayer'), points('.nvmx-stategraph .scatterlayer'),
          ].join('\u241e');
}""".replace("LAB_SELECTOR", LAB)


def measure_lab_clicks(lab: LabPage, *, clicks: int = CLICKS) -> Measurement:
    """Click PIN_BASED_EXT_INTR_MASK `clicks` times (after a warm-up), timing each click until
    the sequence diagram repaints and until the whole lab shows the click's state; each
    sample's readout is the text the diagram then draws."""
    return measure_clicks(
        lab.page, control(lab, PIN_BASED), watch=SEQUENCE_DATA, readout=SEQUENCE_DATA,
        label=LABEL, clicks=clicks, warmup=WARMUP,
        whole=Whole(LAB_WHOLE, lambda: wait_until_settled(lab), "whole lab consistent"),
    )  # fmt: skip


def measure_lab(lab: LabPage, folder: Path, *, clicks: int = CLICKS) -> LabRun:
    """Open the lab notebook, run it, time its first render and `clicks` control clicks."""
    path = lab_notebook(folder)
    relative = path.relative_to(lab.server.root).as_posix()
    try:
        lab.open_notebook(relative)
        run = run_lab(lab, relative)
        if run.rendered:
            try:
                run.measurement = measure_lab_clicks(lab, clicks=clicks)
            except NoRepaint as missing:
                run.no_repaint = str(missing)
        return run
    finally:
        lab.server.shutdown_kernels(relative)


# -- the whole lab as the page shows it ------------------------------------------------------

# Every panel of the lab, read from the DOM: texts as the learner reads them, the controls'
# states, and each figure trace as drawn (its points, texts and line segments in the SVG;
# `_fullData` only names which <g> is which trace).
_READ_LAB = """([lab, traces]) => {
  const root = document.querySelector(lab);
  if (!root) return null;
  const text = (selector) => {
    const node = root.querySelector(selector);
    return node ? node.innerText.trim() : null;
  };
  const plot = (selector) => {
    const node = root.querySelector(selector);
    return node && (node.matches('.js-plotly-plot') ? node : node.querySelector('.js-plotly-plot'));
  };
  const lineText = (node) => {
    const lines = node.querySelectorAll('tspan.line');
    return lines.length ? Array.from(lines, (l) => l.textContent).join(' ') : node.textContent;
  };
  const drawn = (figure, index) => {
    const data = figure && figure._fullData && figure._fullData.find((t) => t.index === index);
    const group = data && figure.querySelector(`.trace${CSS.escape(data.uid)}`);
    if (!group) return {points: [], texts: [], segments: 0};
    let segments = 0;
    group.querySelectorAll('path.js-line').forEach((path) => {
      segments += ((path.getAttribute('d') || '').match(/M/g) || []).length;
    });
    return {
      points: Array.from(group.querySelectorAll('path.point'), (p) => p.getAttribute('transform')),
      texts: Array.from(group.querySelectorAll('text'), lineText).filter((t) => t !== ''),
      textNodes: Array.from(group.querySelectorAll('text'), (t) => [
        lineText(t), Number(t.getAttribute('x')), Number(t.getAttribute('y'))]),
      segments,
    };
  };
  const read = (figure, names) => Object.fromEntries(
    Object.entries(names).map(([name, index]) => [name, drawn(figure, index)]));
  const checkboxes = Object.fromEntries(Array.from(
    root.querySelectorAll('.nvmx-controls .widget-checkbox'),
    (box) => [box.innerText.trim(), box.querySelector('input').checked]));
  const choosers = '.nvmx-controls .widget-dropdown, .nvmx-controls .widget-select-multiple';
  const selects = Object.fromEntries(Array.from(root.querySelectorAll(choosers),
    (box) => [box.querySelector('label').innerText.trim(),
              Array.from(box.querySelector('select').selectedOptions, (o) => o.text)]));
  const slider = (scope, description) => {
    const box = Array.from(root.querySelectorAll(`${scope} .widget-slider`)).find(
      (b) => b.querySelector('.widget-label').innerText.trim() === description);
    const handle = box && box.querySelector('.noUi-handle');
    return handle && {value: Number(handle.getAttribute('aria-valuenow')),
                      max: Number(handle.getAttribute('aria-valuemax'))};
  };
  const labBox = root.getBoundingClientRect();
  const legend = Array.from(root.querySelectorAll('.nvmx-legend-item'), (item) => {
    const box = item.getBoundingClientRect();
    return {text: item.innerText.trim(), left: box.left - labBox.left,
            right: box.right - labBox.left, top: box.top, bottom: box.bottom,
            visible: box.width > 0 && box.height > 0};
  });
  const share = root.querySelector('.nvmx-share input');
  const paste = root.querySelector('.nvmx-paste input');
  const choice = root.querySelector('.nvmx-compare select');
  return {
    width: labBox.width,
    figure_width: root.querySelector('.nvmx-figure-box').getBoundingClientRect().width,
    step_text_beside: (() => {
      const figure = root.querySelector('.nvmx-figure-box').getBoundingClientRect();
      const step = root.querySelector('.nvmx-step-text').getBoundingClientRect();
      return step.left >= figure.right && step.top < figure.bottom;
    })(),
    header: text('h3'),
    header_text: text('.nvmx-header'),
    paste_outcome: text('.nvmx-paste-outcome'),
    verdict: text('.nvmx-status-panel'),
    step_text: text('.nvmx-step-text'),
    player: slider('.nvmx-player', 'step'),
    sti_delay: slider('.nvmx-controls', "L1's STI delay"),
    checkboxes, selects,
    world: text('.widget-toggle-button.mod-active'),
    share: share && share.value,
    share_readonly: share && share.readOnly,
    paste: paste && paste.value,
    compare_choice: choice && choice.selectedOptions[0] ? choice.selectedOptions[0].text : null,
    compare: text('.nvmx-compare-table'),
    legend,
    diagram: read(plot('.nvmx-sequence'), traces.sequence),
    graph: read(plot('.nvmx-stategraph'), traces.graph),
  };
}"""


def trace_names() -> dict[str, dict[str, int]]:
    """The traces the page's two figures draw, name -> index: "sequence" and "graph"."""
    return {"sequence": {name: TRACE_INDEX[name] for name in WIDGET_TRACES},
            "graph": dict(GRAPH_INDEX)}


def read_lab(lab: LabPage) -> dict:
    """Everything the lab shows now, read from the page (see _READ_LAB)."""
    shown = lab.page.evaluate(_READ_LAB, [LAB, trace_names()])
    assert shown is not None, "no lab on the page"
    return shown


def highlighted_state(graph: dict) -> str | None:
    """The state the graph's ring is drawn around: the name drawn nearest to the ring."""
    if not graph["here"]["points"]:
        return None
    x, y = highlight_xy(graph["here"]["points"][0])
    names = graph["names"]["textNodes"]
    if not names:
        return None
    return min(names, key=lambda n: (round(abs(n[1] - x)), abs(n[2] - y)))[0]


def wait_for_share_change(lab: LabPage, before: str, timeout_ms: float = 30_000) -> None:
    """Wait until the share box shows another string than `before` (the lab's last update
    of a change), then until the page has settled (`wait_until_settled`).  The share box is
    read-only: only the kernel changes what it shows, a paste included."""
    lab.page.wait_for_function(
        "([selector, before]) => { const box = document.querySelector(selector);"
        "  return box && box.value !== before; }",
        arg=[f"{LAB} .nvmx-share input", before], timeout=timeout_ms)
    wait_until_settled(lab)


def share_string(lab: LabPage) -> str:
    return lab.page.locator(f"{LAB} .nvmx-share input").input_value()


# The boxes of the texts drawn on the sequence diagram, in page pixels: the marks' labels, the
# guest-time ticks, the panel titles and the lanes' names; and the plot area's box.
_TEXT_BOXES = """([selector, traces]) => {
  const holder = document.querySelector(selector);
  const figure = holder && (holder.matches('.js-plotly-plot')
    ? holder : holder.querySelector('.js-plotly-plot'));
  if (!figure || !figure._fullData) return null;
  const box = (node, kind) => {
    const r = node.getBoundingClientRect();
    return {kind, text: node.textContent, left: r.left, right: r.right, top: r.top,
            bottom: r.bottom};
  };
  const boxes = [];
  for (const index of traces) {
    const data = figure._fullData.find((t) => t.index === index);
    const group = data && figure.querySelector(`.trace${CSS.escape(data.uid)}`);
    if (group) group.querySelectorAll('text').forEach((t) => boxes.push(box(t, data.index)));
  }
  figure.querySelectorAll('.yaxislayer-above .ytick text').forEach(
    (t) => boxes.push(box(t, 'lane')));
  figure.querySelectorAll('.xtitle').forEach((t) => boxes.push(box(t, 'axis title')));
  const svg = figure.querySelector('svg.main-svg').getBoundingClientRect();
  const size = figure._fullLayout._size;  // the plot area, in px of the figure
  const plot = {left: svg.left + size.l, right: svg.left + size.l + size.w,
                top: svg.top + size.t, bottom: svg.top + size.t + size.h};
  return {boxes: boxes.filter((b) => b.text !== '' && b.right > b.left), plot,
          figure: {left: svg.left, right: svg.right, top: svg.top, bottom: svg.bottom}};
}"""


def text_boxes(lab: LabPage, traces: list[int]) -> dict:
    return lab.page.evaluate(_TEXT_BOXES, [SEQUENCE, traces])


def overlapping(boxes: list[dict], tolerance: float = 0.5) -> list[tuple[str, str]]:
    """Pairs of boxes that overlap by more than `tolerance` px each way."""
    pairs = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            dx = min(a["right"], b["right"]) - max(a["left"], b["left"])
            dy = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
            if dx > tolerance and dy > tolerance:
                pairs.append((a["text"], b["text"]))
    return pairs
