"""The lab: controls, the animated sequence diagram, the state graph, the step explanation, the
share string and the comparison view, as one widget.

    >>> from nvmxlab.widgets import Lab
    >>> lab = Lab("seed-interrupt")      # a bundled name, a TOML path, a Scenario or "nvmx1:…"
    >>> lab.controls["vmcs12.ack_interrupt_on_exit"].value = True   # re-runs and redraws
    >>> lab.result.l1_view               # the current nested run
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import ipywidgets as w

from .. import share
from ..limits import describe, shown
from ..result import Result
from ..scenario import Scenario, ScenarioError
from ..scenarios import resolve
from ..views.explain import step_html
from ..views.figure import MARGIN_X, LiveFigure
from ..views.legend import legend_html
from ..views.sequence import PLOT_PX, relabel
from ..views.stategraph import MARGIN as GRAPH_MARGIN
from ..views.stategraph import PLOT_WIDTH as GRAPH_PLOT_PX
from ..views.stategraph import apply_graph, new_graph_figure, show_graph_step
from . import controls as ctl
from . import status
from .compare import CompareView
from .fit import FitWidth
from .player import Player
from .snapshot import Snapshot, take

WORLDS = (("nested", "nested"), ("bare metal", "bare"))


def opening(source: str | Path | Scenario, step: int | None, world: str | None
            ) -> tuple[Scenario, int | None, str]:
    """The scenario, step and world a Lab opens on; a share string brings its own step and
    world, which explicit arguments override.  Bad arguments are a ScenarioError."""
    if world is not None and world not in dict(WORLDS).values():
        raise ScenarioError("Lab()", "world", f"unknown world {shown(world)}", "nested, bare")
    if step is not None and (not isinstance(step, int) or isinstance(step, bool) or step < 0):
        raise ScenarioError("Lab()", "step", f"expected a step number, got {describe(step)}",
                            "an integer >= 0, or None for the step where the story starts")
    if isinstance(source, str) and share.is_shared(source):
        shared = share.decode(source)
        return shared.scenario, step if step is not None else shared.step, \
            world or shared.mode or "nested"
    return resolve(source), step, world or "nested"


GRAPH_PX = round(GRAPH_PLOT_PX + GRAPH_MARGIN["l"] + GRAPH_MARGIN["r"])
GRAPH_TITLE = "vCPU states: every state this run passes through, and how often (open to see)"
WIDTH_SLACK = 40  # px the plot's width may change by without a redraw: a scrollbar, say


class Lab(w.VBox):
    """The whole lab as one widget; see the module docstring."""

    def __init__(self, scenario: str | Path | Scenario = "seed-interrupt", *,
                 step: int | None = None, world: str | None = None):
        self.error: str | None = None
        try:
            base, step, self.world = opening(scenario, step, world)
        except ScenarioError as refusal:
            # In a notebook: the message in the lab's place, not a traceback (`lab.error`).
            self.error = str(refusal)
            super().__init__([w.HTML(status.cannot_open(self.error))])
            self.add_class("nvmx-lab")
            return
        self.base = base
        self.plot_px = PLOT_PX  # until the page reports the lab's real width
        self.snapshot: Snapshot = take(base)
        index = self._opening(step)
        self._quiet = False  # set while the lab moves its own widgets
        self.controls = ctl.make_controls(base)
        self.diagram = LiveFigure(self.snapshot.sequence, self.world, index)
        self.figure = self.diagram.widget
        self._step = index
        self.graph = new_graph_figure(self.snapshot.graphs[self.world], index, widget=True)
        self.player = Player(self.snapshot.steps(self.world), index)
        self.world_toggle = w.ToggleButtons(options=WORLDS, value=self.world,
                                            description="step through",
                                            style={"description_width": "initial"})
        self.header, self.status = w.HTML(), w.HTML()
        self.step_text = w.HTML()
        self.share_box = w.Text(description="share", layout=w.Layout(width="100%"),
                                continuous_update=False,
                                tooltip="Copy this: Lab(…) and `nvmxlab run` accept it; paste "
                                        "one and press Enter to load it")
        self.compare = CompareView()
        self.fit = FitWidth()
        super().__init__(self._children())
        self._add_classes()
        self._observe()
        # The figures were made at `index`: no message for them now, which a page could get
        # while it is still drawing them (plotly's view then fails and draws nothing).
        self._show_panels()

    # -- what the learner reads -------------------------------------------------------------
    @property
    def scenario(self) -> Scenario:
        """The configuration now shown (the base scenario with the controls' edits)."""
        return self.snapshot.scenario

    @property
    def result(self) -> Result:
        """The current nested run."""
        return self.snapshot.nested

    @property
    def bare(self) -> Result:
        return self.snapshot.bare

    @property
    def step(self) -> int:
        """The step shown (the slider follows it)."""
        return self._step

    @property
    def share_string(self) -> str:
        return share.encode(self.scenario, step=self.step, mode=self.world)

    # -- layout ------------------------------------------------------------------------------
    def _children(self) -> list[w.Widget]:
        self.panel = ctl.panel(self.controls)
        figure_box = w.VBox([self.figure, w.HTML(legend_html())], layout=w.Layout(width="100%"))
        # The state graph is laid out for GRAPH_PX: a narrower lab scrolls it sideways
        # rather than squeezing its state names over each other.
        graph_box = w.Box([self.graph], layout=w.Layout(width="100%", overflow="auto hidden"))
        # Closed at first: eleven states and their counts say more once the diagram has been
        # read; the graph follows every change all the same.
        self.graph_panel = w.Accordion([graph_box], titles=(GRAPH_TITLE,), selected_index=None)
        hint = w.HTML("<span style='color:#555'>Lab(\"nvmx1:…\") or <code>nvmxlab run "
                      "'nvmx1:…'</code> reproduces exactly this view.</span>")
        return [self.fit, self.header, self.panel, self.status, figure_box,
                w.HBox([self.player, self.world_toggle],
                       layout=w.Layout(flex_flow="row wrap", align_items="center")),
                self.step_text, self.graph_panel, self.compare, self.share_box, hint]

    def _add_classes(self) -> None:
        # Stable hooks for the browser tests: keep these names.
        self.add_class("nvmx-lab")
        self.figure.add_class("nvmx-sequence")
        self.graph.add_class("nvmx-stategraph")
        self.step_text.add_class("nvmx-step-text")
        self.share_box.add_class("nvmx-share")
        self.panel.add_class("nvmx-controls")
        self.status.add_class("nvmx-status-panel")
        self.player.add_class("nvmx-player")

    def _observe(self) -> None:
        for widget in self.controls.values():
            widget.observe(self._on_control, "value")
        self.player.slider.observe(self._on_slider, "value")
        self.world_toggle.observe(self._on_world, "value")
        self.share_box.observe(self._on_share, "value")
        self.fit.observe(self._on_width, "width")

    # -- a new configuration ---------------------------------------------------------------------
    def _on_control(self, change: dict) -> None:
        if not self._quiet:
            self.rerun()

    def rerun(self) -> None:
        """Apply the controls' values: run both worlds again and redraw everything."""
        values = {key: widget.value for key, widget in self.controls.items()}
        edits: dict[str, object] = {}
        sources: dict[str, str] = {}  # which control asked for each edit, for an error
        for key, asked in ctl.edits_by_control(self.base, values).items():
            edits.update(asked)
            label = self.controls[key].description
            sources.update(dict.fromkeys(asked, f"the lab control {label!r}"))
        try:
            scenario = self.base.with_overrides(edits, source=sources)
        except ScenarioError as refusal:
            self._fail(str(refusal), status.refused(str(refusal)))
            return
        try:
            snapshot = take(scenario, self.plot_px)
        except Exception as error:  # noqa: BLE001 - shown in the panel, never a traceback
            self._fail(f"{type(error).__name__}: {error}", status.engine_failed(error))
            return
        # A learner who has not moved sees the new run's story too; one who has stays put.
        moved = self.step != self._opening(None)
        self.snapshot = snapshot
        self._show_run(self._opening(self.step if moved else None))

    def _fail(self, message: str, panel: str) -> None:
        self.error = message
        self.status.value = panel

    def _show_run(self, index: int) -> None:
        """Show the snapshot's run at step `index` in every panel, in one go.

        Nothing waits for the page: each widget's update is a message sent in this order, the
        diagram's first (what a learner watches after a click), and the page applies them in
        the order they were sent.  Handlers run one at a time, so after any number of quick
        clicks the last message of every panel is the last click's."""
        self.error = None
        self._step = index
        snap = self.snapshot
        self.diagram.show_run(snap.sequence, self.world, index)
        self._reset_player(index)
        apply_graph(self.graph, snap.graphs[self.world], index)
        self._show_panels()

    def _show_panels(self) -> None:
        """The header, the verdict, the comparison and the step's text for the run shown."""
        snap = self.snapshot
        self.header.value = _header(snap.scenario)
        self.status.value = status.verdict(snap)
        self.compare.show(snap.scenario, snap.comparison)
        self._show_text(self.step)

    @contextmanager
    def _quietly(self) -> Iterator[None]:
        """While the lab moves its own widgets: their observers must not take the move for the
        learner's."""
        self._quiet = True
        try:
            yield
        finally:
            self._quiet = False

    def _reset_player(self, index: int) -> None:
        with self._quietly():
            self.player.reset(self.snapshot.steps(self.world), index)

    def _clamp(self, step: int) -> int:
        return min(max(step, 0), self.snapshot.steps(self.world) - 1)

    def _opening(self, step: int | None) -> int:
        """`step` (clamped to the run), or without one the step the run's story starts at."""
        if step is None:
            return self.snapshot.sequence.worlds[self.world].story_step
        return self._clamp(step)

    # -- a new step -----------------------------------------------------------------------------
    def _on_slider(self, change: dict) -> None:
        if not self._quiet:
            self.show_step(change["new"])

    def show_step(self, index: int) -> None:
        """Move the highlight to step `index`: no engine run, only the precomputed trace."""
        index = self._clamp(index)
        self._step = index
        if self.player.value != index:
            with self._quietly():
                self.player.slider.value = index
        snap = self.snapshot
        self.diagram.show_step(snap.sequence, self.world, index)
        show_graph_step(self.graph, snap.graphs[self.world], index)
        self._show_text(index)

    def _show_text(self, index: int) -> None:
        wt = self.snapshot.sequence.worlds[self.world]
        self.step_text.value = step_html(self.world, wt.events[index], wt.states[index],
                                         len(wt.events))
        with self._quietly():
            self.share_box.value = self.share_string

    def _on_width(self, change: dict) -> None:
        """The page reported the lab's width: show as many steps as fit, labels placed for it."""
        plot_px = max(change["new"] - MARGIN_X, 200)
        if abs(plot_px - self.plot_px) < WIDTH_SLACK:
            return
        self.plot_px = plot_px
        sequence = relabel(self.snapshot.sequence, plot_px)
        self.snapshot = dataclasses.replace(self.snapshot, sequence=sequence)
        self.diagram.replot(sequence, self.world, self.step)

    def _on_world(self, change: dict) -> None:
        if self._quiet:
            return
        self.world = change["new"]
        index = self._clamp(self.step)
        apply_graph(self.graph, self.snapshot.graphs[self.world], index)
        self._reset_player(index)
        self.show_step(index)

    def close(self) -> None:
        """Close the lab and every widget in it (a notebook re-running its cell frees them)."""
        def close_tree(widget: w.Widget) -> None:
            for child in getattr(widget, "children", ()):
                close_tree(child)
            widget.close()
        if hasattr(self, "player"):  # not when __init__ failed half-way
            for widget in [*self.controls.values(), self.player.play, self.player.slider,
                           self.compare.choice, self.compare.output]:
                widget.close()
        for child in self.children:
            close_tree(child)
        super().close()

    # -- share strings ---------------------------------------------------------------------------
    def _on_share(self, change: dict) -> None:
        text = change["new"].strip()
        if self._quiet or text == self.share_string:
            return
        self.restore(text)

    def restore(self, text: str) -> None:
        """Show what a share string describes: its scenario, settings, step and world.  A bad
        one leaves the lab as it was, its panel saying why (the box keeps what was pasted)."""
        try:
            if not share.is_shared(text):
                raise ScenarioError("the share box", "share string", "not a share string: "
                                    f"{shown(text)}", "a string starting with nvmx1:, whole")
            shared = share.decode(text)
            snapshot = take(shared.scenario, self.plot_px)
        except ScenarioError as refusal:
            self._fail(str(refusal), status.refused(str(refusal), "This share string"))
            return
        except Exception as error:  # noqa: BLE001 - shown in the panel, never a traceback
            self._fail(f"{type(error).__name__}: {error}", status.engine_failed(error))
            return
        self.base, self.snapshot = shared.scenario, snapshot
        with self._quietly():
            ctl.sync(self.controls, self.base)
            self.world = shared.mode or "nested"
            self.world_toggle.value = self.world
        self._show_run(self._opening(shared.step))


# A FigureWidget inside a flex box would shrink to plotly's 700 px default: make the figures
# fill their boxes, so plotly's autosize measures the real width.
STYLE = """<style>
.nvmx-lab .nvmx-sequence, .nvmx-lab .nvmx-stategraph { width: 100%; flex: 1 1 auto; }
.nvmx-lab .nvmx-stategraph { min-width: """ + f"{GRAPH_PX}px" + """; }
.nvmx-lab .nvmx-step-text { font-size: 17px; border: 1px solid #ddd; border-radius: 4px;
  padding: 4px 10px; margin: 4px 0; }
.nvmx-lab .nvmx-compare-table { width: 100%; table-layout: fixed; }
.nvmx-lab .nvmx-compare-table td, .nvmx-lab .nvmx-compare-table th { padding: 2px 8px;
  vertical-align: top; line-height: 1.3; overflow-wrap: anywhere; }
.nvmx-lab .nvmx-compare-table td:first-child { width: 4.5em; }
</style>"""


def _header(s: Scenario) -> str:
    esc = html.escape
    text = STYLE + f"<h3 style='margin:4px 0'>{esc(s.name)}</h3>"
    if s.description:
        text += f"<div>{esc(s.description)}</div>"
    if s.explain:
        text += (f"<details><summary>what this scenario shows</summary>"
                 f"<div style='white-space:pre-wrap'>{esc(s.explain.strip())}</div></details>")
    return text
