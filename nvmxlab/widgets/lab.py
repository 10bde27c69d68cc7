"""The lab: controls, the animated sequence diagram, the state graph, the step explanation, the
share string and the comparison view, as one widget.

    >>> from nvmxlab.widgets import Lab
    >>> lab = Lab("seed-interrupt")      # a bundled name, a TOML path, a Scenario or "nvmx1:…"
    >>> lab.controls["vmcs12.ack_interrupt_on_exit"].value = True   # re-runs and redraws
    >>> lab.result.l1_view               # the current nested run
    >>> lab.state                        # what it shows, without a widget (views/labstate.py)

The widgets hold no state of their own: each observer hands the learner's action to
`lab.state`, whose answer (`Changed`) says which panels to draw again.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import ipywidgets as w

from ..result import Result
from ..scenario import Scenario, ScenarioError
from ..views.changes import BEFORE, Change
from ..views.explain import step_html
from ..views.figure import LiveFigure
from ..views.labstate import WORLDS, Changed, LabState
from ..views.legend import legend_html
from ..views.snapshot import Snapshot
from ..views.stategraph import MARGIN as GRAPH_MARGIN
from ..views.stategraph import PLOT_WIDTH as GRAPH_PLOT_PX
from ..views.stategraph import StateGraph, apply_graph, new_graph_figure, show_graph_step
from . import controls as ctl
from . import status
from .compare import CompareView
from .fit import FitWidth
from .player import Player

GRAPH_PX = round(GRAPH_PLOT_PX + GRAPH_MARGIN["l"] + GRAPH_MARGIN["r"])
BESIDE_PX = 420  # the step's text beside the diagram, on a wide lab
WIDE_PX = 1480  # from this lab width on: the diagram keeps 1050 px or more beside it
GRAPH_TITLE = "vCPU states: every state this run passes through, and how often (open to see)"


class Lab(w.VBox):
    """The whole lab as one widget; see the module docstring.  What it shows is `state`
    (views/labstate.py): each observer hands the learner's action to it, then draws what the
    action changed."""

    def __init__(self, scenario: str | Path | Scenario = "seed-interrupt", *,
                 step: int | None = None, world: str | None = None):
        self._error: str | None = None
        self.state: LabState | None = None
        try:
            self.state = LabState.open(scenario, step=step, world=world)
        except ScenarioError as refusal:
            # In a notebook: the message in the lab's place, not a traceback (`lab.error`).
            self._error = str(refusal)
            super().__init__([w.HTML(status.cannot_open(self._error))])
            self.add_class("nvmx-lab")
            return
        state = self.state
        self._quiet = False  # set while the lab moves its own widgets
        self.controls = ctl.make_controls(state.base)
        self.diagram = LiveFigure(state.snapshot.sequence, state.world, state.step)
        self.figure = self.diagram.widget
        self.graph = new_graph_figure(self._graph, state.step, widget=True)
        self.player = Player(state.steps, state.step)
        self.world_toggle = w.ToggleButtons(options=WORLDS, value=state.world,
                                            description="step through",
                                            style={"description_width": "initial"})
        self.header, self.status = w.HTML(), w.HTML()
        self.step_text = w.HTML()
        # Two boxes, not one: the lab redraws the string it shows on every step (Play, a
        # width change), and a text widget's view takes the kernel's value even while the
        # learner types in it.  The shown string is read-only; the paste box is the
        # learner's alone, written by the lab only to clear it after a paste was taken.
        self.share_box = w.HTML(layout=w.Layout(width="100%"))
        self.paste_box = w.Text(description="paste", layout=w.Layout(width="100%"),
                                continuous_update=False,
                                placeholder="open a share string: paste it and press Enter",
                                tooltip="Paste a share string (nvmx1:…) and press Enter to "
                                        "load it")
        # What became of the last paste, beside the box: the verdict panel that also says it
        # is a screen or more above, out of sight.
        self.paste_outcome = w.HTML()
        self.compare = CompareView()
        self.fit = FitWidth()
        super().__init__(self._children())
        self._add_classes()
        self._observe()
        # The figures were made at the opening step: no message for them now, which a page
        # could get while it is still drawing them (plotly's view then fails and draws nothing).
        self._show_panels()

    # -- what the learner reads -------------------------------------------------------------
    @property
    def error(self) -> str | None:
        """Why the lab could not open, or the last change was not made (None: it was)."""
        return self._error if self.state is None else self.state.error

    @property
    def base(self) -> Scenario:
        """The scenario the controls edit: the one opened, or the last share string pasted."""
        return self.state.base

    @property
    def snapshot(self) -> Snapshot:
        return self.state.snapshot

    @property
    def world(self) -> str:
        return self.state.world

    @property
    def plot_px(self) -> float:
        return self.state.plot_px

    @property
    def scenario(self) -> Scenario:
        """The configuration now shown (the base scenario with the controls' edits)."""
        return self.state.scenario

    @property
    def result(self) -> Result:
        """The current nested run."""
        return self.state.nested

    @property
    def bare(self) -> Result:
        return self.state.bare

    @property
    def step(self) -> int:
        """The step shown (the slider follows it)."""
        return self.state.step

    @property
    def share_string(self) -> str:
        return self.state.share_string

    @property
    def _graph(self) -> StateGraph:
        """The state graph of the world shown."""
        return self.state.snapshot.graphs[self.state.world]

    # -- layout ------------------------------------------------------------------------------
    def _children(self) -> list[w.Widget]:
        self.panel = ctl.panel(self.controls)
        figure_box = w.VBox([self.figure, w.HTML(legend_html())], layout=w.Layout(width="100%"))
        figure_box.add_class("nvmx-figure-box")
        # The state graph is laid out for GRAPH_PX: a narrower lab scrolls it sideways
        # rather than squeezing its state names over each other.
        graph_box = w.Box([self.graph], layout=w.Layout(width="100%", overflow="auto hidden"))
        # Closed at first: eleven states and their counts say more once the diagram has been
        # read; the graph follows every change all the same.
        self.graph_panel = w.Accordion([graph_box], titles=(GRAPH_TITLE,), selected_index=None)
        hint = w.HTML("<span style='color:#555'>Lab(\"nvmx1:…\") or <code>nvmxlab run "
                      "'nvmx1:…'</code> reproduces exactly this view.</span>")
        # The player and the step's text go under the diagram, or beside it where the lab is
        # wide enough for both (STYLE: a container query on `nvmx-view`), so that a wide
        # screen shows the diagram and what its step means together.
        beside = w.VBox([w.HBox([self.player, self.world_toggle],
                                layout=w.Layout(flex_flow="row wrap", align_items="center")),
                         self.step_text])
        beside.add_class("nvmx-beside")
        row = w.Box([figure_box, beside])
        row.add_class("nvmx-view-row")
        view = w.Box([row], layout=w.Layout(width="100%"))
        view.add_class("nvmx-view")
        return [self.fit, self.header, self.panel, self.status, view, self.graph_panel,
                self.compare, self.share_box, self.paste_box, self.paste_outcome, hint]

    def _add_classes(self) -> None:
        # Stable hooks for the browser tests: keep these names.
        self.add_class("nvmx-lab")
        self.figure.add_class("nvmx-sequence")
        self.graph.add_class("nvmx-stategraph")
        self.step_text.add_class("nvmx-step-text")
        self.share_box.add_class("nvmx-share")
        self.paste_box.add_class("nvmx-paste")
        self.paste_outcome.add_class("nvmx-paste-outcome")
        self.header.add_class("nvmx-header")
        self.panel.add_class("nvmx-controls")
        self.status.add_class("nvmx-status-panel")
        self.player.add_class("nvmx-player")

    def _observe(self) -> None:
        for key, widget in self.controls.items():
            widget.observe(partial(self._on_control, key), "value")
        self.player.slider.observe(self._on_slider, "value")
        self.world_toggle.observe(self._on_world, "value")
        self.paste_box.observe(self._on_paste, "value")
        self.fit.observe(self._on_width, "width")

    @contextmanager
    def _quietly(self) -> Iterator[None]:
        """While the lab moves its own widgets: their observers must not take the move for the
        learner's."""
        self._quiet = True
        try:
            yield
        finally:
            self._quiet = False

    # -- the learner's actions -------------------------------------------------------------------
    def _on_control(self, key: str, change: dict) -> None:
        if not self._quiet:
            self._draw(self.state.set_control(key, change["new"]))

    def rerun(self) -> None:
        """Apply the controls' values: run both worlds again and redraw everything."""
        self._draw(self.state.set_controls(ctl.values(self.controls)))

    def _on_slider(self, change: dict) -> None:
        if not self._quiet:
            self.show_step(change["new"])

    def show_step(self, index: int) -> None:
        """Move the highlight to step `index`: no engine run, only the precomputed trace."""
        self._draw(self.state.set_step(index))

    def _on_world(self, change: dict) -> None:
        if not self._quiet:
            self._draw(self.state.set_world(change["new"]))

    def _on_paste(self, change: dict) -> None:
        if self._quiet or not change["new"].strip():
            return  # an emptied box asks for nothing
        changed = self.state.paste(change["new"])
        self._draw(changed)
        if Changed.PROBLEM not in changed:
            # Taken: the box is free for the next one.  A refused paste stays as pasted, to
            # be mended, while the panel says why.
            with self._quietly():
                self.paste_box.value = ""

    def restore(self, text: str) -> None:
        """Show what a share string describes: its scenario, settings, step and world.  A bad
        one leaves the lab as it was, its panel saying why."""
        self._draw(self.state.restore(text))

    def _on_width(self, change: dict) -> None:
        """The page reported the lab's width: show as many steps as fit, labels placed for it."""
        self._draw(self.state.set_width(change["new"]))

    # -- drawing what changed --------------------------------------------------------------------
    def _draw(self, changed: Changed) -> None:
        if Changed.PROBLEM in changed:
            self._show_problem()
        if Changed.PASTE in changed:
            self._show_paste_outcome()
        elif changed & (Changed.RUN | Changed.PROBLEM):
            self.paste_outcome.value = ""  # a later change: what was loaded is no longer shown
        if Changed.CONTROLS in changed:
            with self._quietly():
                if Changed.PROBLEM not in changed:  # a new base, not a change set back
                    ctl.lay_out(self.controls, self.state.base)
                ctl.set_values(self.controls, self.state.values)
                self.world_toggle.value = self.state.world
        if Changed.RUN in changed:
            self._show_run()
        elif Changed.WORLD in changed:
            apply_graph(self.graph, self._graph, self.state.step)
            self._reset_player()
        if Changed.STEP in changed:
            self._show_step()
        if Changed.WIDTH in changed:
            self.diagram.replot(self.snapshot.sequence, self.world, self.step)

    def _show_problem(self) -> None:
        problem = self.state.problem
        self.status.value = (status.engine_failed(problem.failure) if problem.failure
                             else status.refused(problem.message, problem.what,
                                            problem.set_back))

    def _show_paste_outcome(self) -> None:
        state = self.state
        if state.problem is not None:
            self.paste_outcome.value = status.paste_refused(state.problem.message)
        else:
            self.paste_outcome.value = status.paste_loaded(state.scenario.name, state.step,
                                                           state.world, state.notice)

    def _show_run(self) -> None:
        """Show the state's run at its step in every panel, in one go.

        Nothing waits for the page: each widget's update is a message sent in this order, the
        diagram's first (what a learner watches after a click), and the page applies them in
        the order they were sent.  Handlers run one at a time, so after any number of quick
        clicks the last message of every panel is the last click's."""
        state = self.state
        self.diagram.show_run(state.snapshot.sequence, state.world, state.step)
        self._reset_player()
        apply_graph(self.graph, self._graph, state.step)
        self._show_panels()

    def _show_panels(self) -> None:
        """The header, the verdict, the comparison and the step's text for the run shown."""
        snap = self.snapshot
        self.header.value = _header(snap.scenario, self.state.changes)
        self.status.value = status.verdict(snap, self.state.notice)
        self.compare.show(snap.scenario, snap.comparison)
        self._show_text()

    def _show_step(self) -> None:
        state = self.state
        if self.player.value != state.step:
            with self._quietly():
                self.player.slider.value = state.step
        self.diagram.show_step(state.snapshot.sequence, state.world, state.step)
        show_graph_step(self.graph, self._graph, state.step)
        self._show_text()

    def _reset_player(self) -> None:
        with self._quietly():
            self.player.reset(self.state.steps, self.state.step)

    def _show_text(self) -> None:
        state = self.state
        wt = state.snapshot.sequence.worlds[state.world]
        self.step_text.value = step_html(state.world, wt.events[state.step],
                                         wt.states[state.step], len(wt.events))
        self.share_box.value = _share_html(state.share_string)

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


# A FigureWidget inside a flex box would shrink to plotly's 700 px default: make the figures
# fill their boxes, so plotly's autosize measures the real width.
STYLE = """<style>
.nvmx-lab .nvmx-sequence, .nvmx-lab .nvmx-stategraph { width: 100%; flex: 1 1 auto; }
.nvmx-lab .nvmx-stategraph { min-width: """ + f"{GRAPH_PX}px" + """; }
.nvmx-lab .nvmx-view { container-type: inline-size; display: block; }
.nvmx-lab .nvmx-view-row { display: flex; flex-direction: column; width: 100%; }
.nvmx-lab .nvmx-figure-box { min-width: 0; }
@container (min-width: """ + f"{WIDE_PX}px" + """) {
  .nvmx-lab .nvmx-view-row { flex-direction: row; align-items: flex-start; gap: 12px; }
  .nvmx-lab .nvmx-figure-box { flex: 1 1 0; }
  .nvmx-lab .nvmx-beside { flex: 0 0 """ + f"{BESIDE_PX}px" + """; }
}
/* The diagram's texts are outlined in white: the step cursor's dotted line runs beneath them
   (views/sequence.py TRACE_NAMES), and the outline closes the gaps between glyphs and words
   that the line would show through ("raise | 0x30"). */
.nvmx-lab .nvmx-sequence .textpoint text { paint-order: stroke; stroke: #fff;
  stroke-width: 6px; stroke-linejoin: round; stroke-opacity: 1; }
.nvmx-lab .nvmx-step-text { font-size: 17px; border: 1px solid #ddd; border-radius: 4px;
  padding: 4px 10px; margin: 4px 0; }
.nvmx-lab .nvmx-step-text .widget-html-content { line-height: 1.45; }
/* A step's fields flow along the line, each "name value" pair whole, rather than one row
   each: the step's text then fits under the diagram on a projector's 720 px. */
.nvmx-lab .nvmx-step-fields, .nvmx-lab .nvmx-step-fields tbody { display: flex;
  flex-wrap: wrap; column-gap: 22px; margin: 2px 0; }
.nvmx-lab .nvmx-step-fields tr { display: flex; gap: 8px; white-space: nowrap; }
.nvmx-lab .nvmx-step-fields td { padding: 0; }
.nvmx-lab .nvmx-compare-table { width: 100%; table-layout: fixed; }
.nvmx-lab .nvmx-compare-table td, .nvmx-lab .nvmx-compare-table th { padding: 2px 8px;
  vertical-align: top; line-height: 1.3; overflow-wrap: anywhere; }
/* The first row (the header) sets a fixed table's column widths: its first cell is a th. */
.nvmx-lab .nvmx-compare-table tr > :first-child { width: 4.5em; }
/* ipywidgets gives an HTML widget's text a control's line height (28 px): paragraphs read
   better, and take less of a projector's height, at their own. */
.nvmx-lab .nvmx-header .widget-html-content, .nvmx-lab .nvmx-paste-outcome .widget-html-content,
.nvmx-lab .nvmx-status-panel .widget-html-content { line-height: 1.4; }
</style>"""


def _share_html(text: str) -> str:
    """The share string in a read-only input: selectable and copyable, never typed in.

    JupyterLab does not count a read-only input as editable, so its notebook shortcuts would
    take Ctrl+A and Ctrl+C (select and copy cells) there: `data-lm-suppress-shortcuts` leaves
    those keys to the input, as in any text box."""
    return ("<div style='display:flex;align-items:center;gap:8px'>"
            "<label style='flex:none;width:auto'>share string of this view</label>"
            f"<input type='text' readonly value='{html.escape(text, quote=True)}' "
            "aria-label='share string of this view' title='Copy this: Lab(…) and nvmxlab run "
            "accept it' spellcheck='false' data-lm-suppress-shortcuts='true' "
            "style='flex:1 1 auto;min-width:0;font-family:monospace;background:#f3f3f3;"
            "border:1px solid #ccc;padding:3px 4px;line-height:1.5;height:auto'>"
            "</div>")


def _header(s: Scenario, made: tuple[Change, ...]) -> str:
    """The scenario's name, description and explanation, as true of the run shown: after the
    controls changed it, the name lists the changes and the texts are marked as describing
    the scenario before them (views/changes.py)."""
    esc = html.escape
    text = STYLE + f"<h3 style='margin:4px 0'>{esc(s.name)}</h3>"
    if made:
        text += ("<div class='nvmx-changed' style='border-left:5px solid #E69F00;"
                 "padding:2px 8px;margin:2px 0'><b>Changed by the controls</b> (as the title "
                 "lists): the diagram, the verdict and the share string show the changed run; "
                 "the text below describes the scenario before the changes.</div>")
    # The texts carry the mark themselves: naming() adds it to both whenever the controls
    # changed anything, and a pasted share string of a changed view brings it along.
    before = s.description.startswith(BEFORE) or s.explain.startswith(BEFORE)
    description = s.description.removeprefix(BEFORE)
    if description:
        mark = "<i>Before the changes:</i> " if before else ""
        style = " style='color:#555'" if before else ""
        text += f"<div class='nvmx-description'{style}>{mark}{esc(description)}</div>"
    if s.explain:
        summary = ("what this scenario showed before the changes" if before
                   else "what this scenario shows")
        text += (f"<details><summary>{summary}</summary><div style='white-space:pre-wrap'>"
                 f"{esc(s.explain.removeprefix(BEFORE).strip())}</div></details>")
    return text
