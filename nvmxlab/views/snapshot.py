"""Everything the lab shows for one configuration, computed once when a control changes.

Both worlds are run and mapped to diagram data up front; the comparison and the state graphs
are worked out the first time they are asked for (after the diagram is on its way to the
page).  Playing, stepping and scrubbing only index into this immutable snapshot, so going
back never runs the engine again.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from .. import engine
from ..checker import Comparison
from ..engine import compare
from ..result import Result
from ..scenario import Scenario
from .sequence import PLOT_PX, SequenceData, build
from .stategraph import StateGraph, state_graph


@dataclass(frozen=True)
class Snapshot:
    scenario: Scenario
    nested: Result
    bare: Result
    sequence: SequenceData

    @cached_property
    def comparison(self) -> Comparison:
        return compare(self.nested, self.bare)

    @cached_property
    def graphs(self) -> dict[str, StateGraph]:
        """The state graph of each world."""
        return {w: state_graph(self.sequence.worlds[w].states) for w in self.sequence.worlds}

    def steps(self, world: str) -> int:
        """How many steps of `world` the diagram holds (what the step slider ranges over)."""
        return len(self.sequence.worlds[world].events)


def take(scenario: Scenario, plot_px: float = PLOT_PX) -> Snapshot:
    """Run `scenario` nested and on bare metal and map both runs for the lab."""
    # Through the module, so that tests and benchmarks can count engine runs.  The lab draws
    # the vCPU states: recorded as the runs go, not by a second run each.
    nested = engine.run(scenario, "nested", record_states=True)
    bare = engine.run(scenario, "bare", record_states=True)
    return Snapshot(scenario, nested, bare, build({"nested": nested, "bare": bare}, plot_px))
