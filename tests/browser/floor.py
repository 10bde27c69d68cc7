"""The floor: the quickest a FigureWidget can follow a checkbox in this stack.

A trivial figure, one checkbox, one callback; whatever the lab's widgets cost is judged against
this, as a ratio taken in the same run on the same machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError

from .jupyterlab import LabPage, write_notebook
from .latency import (
    CLICKS,
    WARMUP,
    Measurement,
    NoRepaint,
    measure_clicks,
    timing_report,
)

# Fixed axis ranges: with autorange, moving a point can leave the drawn path identical.
FLOOR_CELL = """\
import ipywidgets as widgets
import plotly.graph_objects as go
from IPython.display import display

fig = go.FigureWidget(
    data=[go.Scatter(x=[0, 1, 2], y=[1, 1, 1], mode="lines+markers")],
    layout=dict(title=dict(text="checkbox: off"), width=520, height=360,
                xaxis=dict(range=[-0.5, 2.5]), yaxis=dict(range=[0, 3])),
)
box = widgets.Checkbox(value=False, description="raise the middle point")

def on_change(change):
    with fig.batch_update():
        fig.data[0].y = [1, 2 if change["new"] else 1, 1]
        fig.layout.title.text = "checkbox: on" if change["new"] else "checkbox: off"

box.observe(on_change, names="value")
display(widgets.VBox([box, fig]))
"""

OUTPUT = ".jp-OutputArea-output"
FIGURE = f"{OUTPUT} .js-plotly-plot svg.main-svg"
CHECKBOX = f"{OUTPUT} .widget-checkbox input[type=checkbox]"
MARKERS = f"{OUTPUT} .js-plotly-plot .scatterlayer"
TITLE = f"{OUTPUT} .js-plotly-plot .gtitle"
LABEL = "floor (trivial FigureWidget)"


@dataclass
class FloorRun:
    ran: bool
    errors: list[str]
    rendered: bool
    measurement: Measurement | None = None
    no_repaint: str | None = None
    first_render_ms: float | None = None  # "run all" -> the figure drawn

    def report(self) -> list[str]:
        """Lines for the "browser timings" section of the test output and for the benchmark."""
        return timing_report(LABEL, self.measurement, self.first_render_ms)


def run_floor(lab: LabPage, folder: Path, *, clicks: int = CLICKS) -> FloorRun:
    path = write_notebook(folder / "floor.ipynb", [FLOOR_CELL])
    relative = path.relative_to(lab.server.root).as_posix()
    try:
        return _measure(lab, relative, clicks)
    finally:
        lab.server.shutdown_kernels(relative)


def _measure(lab: LabPage, path: str, clicks: int) -> FloorRun:
    lab.open_notebook(path)
    ran = lab.run_all_timed(path, shown=(f"{MARKERS} .trace",))
    try:
        lab.page.locator(FIGURE).first.wait_for(state="visible", timeout=60_000)
    except PlaywrightError:
        return FloorRun(ran.ok, lab.errors(path), rendered=False)
    lab.screenshot("floor-rendered")
    run = FloorRun(ran.ok, lab.errors(path), rendered=True, first_render_ms=ran.first_render_ms)
    try:
        run.measurement = measure_clicks(
            lab.page, lab.page.locator(CHECKBOX), watch=MARKERS, readout=TITLE,
            label=LABEL, clicks=clicks, warmup=WARMUP,
        )  # fmt: skip
    except NoRepaint as missing:
        run.no_repaint = str(missing)
    return run
