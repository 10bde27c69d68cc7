"""The lab's state, without a widget: what it shows and what each of the learner's actions does
to it.  `widgets/lab.py` is a shell over this: its observers call an action, then draw what
the action says changed.

    >>> state = LabState.open("seed-interrupt")
    >>> state.set_control("vmcs12.ack_interrupt_on_exit", True)   # runs both worlds again
    <Changed.RUN: 1>
    >>> state.comparison.ok, state.step, state.share_string

The state is the base scenario (what the lab was opened with, or the last share string pasted),
the controls' values, the snapshot of the configuration they make (both runs, their diagram
data, the comparison, the state graphs), the world stepped through, the step, the width the
diagram's labels are placed for, and the last problem.  A refused action leaves the rest as it
was: the lab still shows its last run.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .. import share
from ..checker import Comparison
from ..limits import describe, shown
from ..result import Result
from ..scenario import Scenario, ScenarioError
from ..scenarios import resolve
from .changes import NAMING, Change, changes, changes_of, naming
from .figure import MARGIN_X
from .sequence import PLOT_PX, relabel
from .settings import SETTING, edits_by_control, values_of
from .snapshot import Snapshot, take

WORLDS = (("nested", "nested"), ("bare metal", "bare"))  # (what the toggle says, world)
WIDTH_SLACK = 40  # px the plot's width may change by without a redraw: a scrollbar, say
MIN_PLOT_PX = 200


class Changed(enum.Flag):
    """What an action changed, so that the shell redraws that and nothing else."""

    NOTHING = 0
    RUN = enum.auto()  # a new snapshot: every panel, at `step`
    CONTROLS = enum.auto()  # the controls and the world toggle must show `values` and `world`
    PASTE = enum.auto()  # the paste box's outcome: `problem`, or loaded (with `notice`)
    WORLD = enum.auto()  # another world to step through (the same run)
    STEP = enum.auto()  # the step moved (the same run)
    WIDTH = enum.auto()  # the diagram's labels were placed anew for `plot_px`
    PROBLEM = enum.auto()  # refused, or the engine failed: the status panel says so.  With
    # CONTROLS a control's change was set back to the run still shown; with PASTE a share
    # string was refused and the lab is as it was, its controls included


@dataclass(frozen=True)
class Problem:
    """Why the last action was not carried out: a refusal naming its source, or an engine
    failure (a bug in nvmxlab)."""

    message: str  # what `Lab.error` says
    what: str = "This combination"  # what was refused, as the status panel names it
    # The controls went back to the run still shown (a control's change); else the lab was
    # left as it was, controls and all (a paste).
    set_back: bool = True
    failure: BaseException | None = None  # the engine's exception, when it failed

    @classmethod
    def pasted(cls, message: str, failure: BaseException | None = None) -> Problem:
        """A share string refused, or failing in the engine: the lab is left as it was."""
        return cls(message, "This share string", set_back=False, failure=failure)


def opening(source: str | Path | Scenario, step: int | None, world: str | None
            ) -> tuple[Scenario, int | None, str]:
    """The scenario, step and world a lab opens on; a share string brings its own step and
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


class LabState:
    """See the module docstring.  Every action returns what it changed."""

    def __init__(self, base: Scenario, step: int | None = None, world: str = "nested",
                 plot_px: float = PLOT_PX):
        self.base = base
        self.values: dict[str, object] = values_of(base)
        self.world = world
        self.plot_px = plot_px
        self.snapshot: Snapshot = take(base, plot_px)
        self.problem: Problem | None = None
        self.notice: str | None = None  # what the lab did with a share string's step
        self.step = self._opening(step, said=True)  # may set `notice`

    @classmethod
    def open(cls, source: str | Path | Scenario = "seed-interrupt", *,
             step: int | None = None, world: str | None = None) -> LabState:
        """The state a lab opens on (see `opening`); bad arguments are a ScenarioError."""
        base, step, world = opening(source, step, world)
        return cls(base, step, world)

    # -- what the lab shows ------------------------------------------------------------------
    @property
    def scenario(self) -> Scenario:
        """The configuration shown: the base scenario with the controls' edits."""
        return self.snapshot.scenario

    @property
    def nested(self) -> Result:
        return self.snapshot.nested

    @property
    def bare(self) -> Result:
        return self.snapshot.bare

    @property
    def comparison(self) -> Comparison:
        """The verdict: the nested run against bare metal."""
        return self.snapshot.comparison

    @property
    def error(self) -> str | None:
        return self.problem.message if self.problem else None

    @property
    def steps(self) -> int:
        """How many steps of the world shown there are to step through."""
        return self.snapshot.steps(self.world)

    @property
    def share_string(self) -> str:
        return share.encode(self.scenario, step=self.step, mode=self.world)

    @property
    def changes(self) -> tuple[Change, ...]:
        """The controls whose values differ from the base scenario's, in the panel's order
        (the run shown is always the controls' values: a refused change is set back)."""
        return changes(self.base, self.values)

    def _clamp(self, step: int) -> int:
        return min(max(step, 0), self.steps - 1)

    def _opening(self, step: int | None, said: bool = False) -> int:
        """`step` (clamped to the run), or without one the step the run's story starts at.
        A step the learner `said` (a share string's, Lab's argument) that had to be clamped
        is told in `notice`, never clamped silently (the run shown clears it: `_show`)."""
        if step is None:
            return self._story_step()
        if said and step != self._clamp(step):
            last = self.steps - 1
            self.notice = (f"step {step} was asked for, past the end of this run (steps "
                           f"0–{last}): the lab went to its last step, {last}")
        return self._clamp(step)

    def _story_step(self) -> int:
        return self.snapshot.sequence.worlds[self.world].story_step

    # -- a new configuration -----------------------------------------------------------------
    def set_control(self, key: str, value: object) -> Changed:
        """One control set to `value`: run both worlds again with every control's edits."""
        if key not in SETTING:
            raise KeyError(f"no lab control {key!r}; the controls: {', '.join(SETTING)}")
        return self.set_controls({**self.values, key: value})

    def set_controls(self, values: Mapping[str, object]) -> Changed:
        """The controls' values (all of them, by key): run both worlds again.  A refused edit
        names the control that asked for it, and the controls go back to the values of the
        run still shown (a ticked box must never claim a run the diagram does not show).

        The configuration shown is named for what the controls changed (views/changes.py):
        the base scenario's name and texts describe it as it was."""
        asked = dict(values)
        edits: dict[str, object] = {}
        sources: dict[str, str] = {}  # which control asked for each edit, for an error
        by_control = edits_by_control(self.base, asked)
        for key, edit in by_control.items():
            edits.update(edit)
            sources.update(dict.fromkeys(edit, f"the lab control {SETTING[key].label!r}"))
        named = naming(self.base, changes_of(by_control, asked))
        edits.update(named)
        sources.update(dict.fromkeys(named, NAMING))
        try:
            scenario = self.base.with_overrides(edits, source=sources)
        except ScenarioError as refusal:
            return self._refuse(Problem(str(refusal))) | Changed.CONTROLS
        snapshot = self._take(scenario)
        if snapshot is None:
            return Changed.PROBLEM | Changed.CONTROLS
        self.values = asked
        # A learner who has not moved sees the new run's story too; one who has stays put.
        moved = self.step != self._story_step()
        self._show(snapshot, self.step if moved else None)
        return Changed.RUN

    def paste(self, text: str) -> Changed:
        """What the paste box got: nothing to do for the string it shows, else `restore`."""
        text = text.strip()
        return Changed.NOTHING if text == self.share_string else self.restore(text)

    def restore(self, text: str) -> Changed:
        """Show what a share string describes: its scenario, settings, step and world.  A bad
        one leaves the state as it was, the problem naming the paste box."""
        try:
            if not share.is_shared(text):
                raise ScenarioError("the paste box", "share string", "not a share string: "
                                    f"{shown(text)}", "a string starting with nvmx1:, whole")
            shared = share.decode(text)
        except ScenarioError as refusal:
            return self._refuse(Problem.pasted(str(refusal))) | Changed.PASTE
        snapshot = self._take(shared.scenario, pasted=True)
        if snapshot is None:
            return Changed.PROBLEM | Changed.PASTE
        self.base, self.values = shared.scenario, values_of(shared.scenario)
        self.world = shared.mode or "nested"
        self._show(snapshot, shared.step, said=True)
        return Changed.CONTROLS | Changed.RUN | Changed.PASTE

    def _take(self, scenario: Scenario, pasted: bool = False) -> Snapshot | None:
        """The snapshot of `scenario`, or None and the problem: a share string's when
        `pasted`, else a control's change (set back)."""
        problem = Problem.pasted if pasted else Problem
        try:
            return take(scenario, self.plot_px)
        except ScenarioError as refusal:
            self._refuse(problem(str(refusal)))
        except Exception as error:  # noqa: BLE001 - shown in the panel, never a traceback
            self._refuse(problem(f"{type(error).__name__}: {error}", failure=error))
        return None

    def _refuse(self, problem: Problem) -> Changed:
        self.problem = problem
        return Changed.PROBLEM

    def _show(self, snapshot: Snapshot, step: int | None, said: bool = False) -> None:
        self.snapshot, self.problem, self.notice = snapshot, None, None
        self.step = self._opening(step, said)

    # -- the same run, another view ----------------------------------------------------------
    def set_world(self, world: str) -> Changed:
        """Step through the other world's run, at the same step number (clamped)."""
        if world not in dict(WORLDS).values():
            raise ValueError(f"unknown world {world!r}: nested, bare")
        if world == self.world:
            return Changed.NOTHING
        self.world = world
        self.step = self._clamp(self.step)
        return Changed.WORLD | Changed.STEP

    def set_step(self, step: int) -> Changed:
        """Show step `step` (clamped to the run): no engine run, only the precomputed trace."""
        step = self._clamp(step)
        if step == self.step:
            return Changed.NOTHING
        self.step = step
        return Changed.STEP

    def play_step(self, delta: int = 1) -> Changed:
        """What Play does each tick, and the step buttons: `delta` steps on, never past
        either end of the run."""
        return self.set_step(self.step + delta)

    def set_width(self, lab_px: float) -> Changed:
        """The page reported the lab's width: place the diagram's labels for it, unless the
        plot's width changed by less than WIDTH_SLACK."""
        plot_px = max(lab_px - MARGIN_X, MIN_PLOT_PX)
        if abs(plot_px - self.plot_px) < WIDTH_SLACK:
            return Changed.NOTHING
        self.plot_px = plot_px
        sequence = relabel(self.snapshot.sequence, plot_px)
        self.snapshot = dataclasses.replace(self.snapshot, sequence=sequence)
        return Changed.WIDTH
