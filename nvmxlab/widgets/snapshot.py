"""Everything the lab shows for one configuration, computed once when a control changes.

Both worlds are run, compared and mapped to diagram data up front; playing, stepping and
scrubbing only index into this immutable snapshot, so going back never runs the engine again.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import engine
from ..checker import Comparison, compare
from ..result import Result
from ..scenario import Scenario
from ..views.sequence import PLOT_PX, SequenceData, build
from ..views.stategraph import StateGraph, state_graph


@dataclass(frozen=True)
class Snapshot:
    scenario: Scenario
    comparison: Comparison
    sequence: SequenceData
    graphs: dict[str, StateGraph]  # per world

    @property
    def nested(self) -> Result:
        return self.comparison.nested

    @property
    def bare(self) -> Result:
        return self.comparison.bare

    def steps(self, world: str) -> int:
        """How many steps of `world` the diagram holds (what the step slider ranges over)."""
        return len(self.sequence.worlds[world].events)


def take(scenario: Scenario, plot_px: float = PLOT_PX) -> Snapshot:
    """Run `scenario` nested and on bare metal and map both runs for the lab."""
    # Through the module, so that tests and benchmarks can count engine runs.
    nested = engine.run(scenario, "nested")
    bare = engine.run(scenario, "bare")
    sequence = build({"nested": nested, "bare": bare}, plot_px)
    graphs = {w: state_graph(sequence.worlds[w].states) for w in sequence.worlds}
    return Snapshot(scenario, compare(nested, bare), sequence, graphs)
