"""Running a scenario in one world: bare metal, or nested under one of L0's policies."""

from __future__ import annotations

import gc
from functools import partial
from pathlib import Path

from . import checker
from .baremetal import BareMetal
from .checker import Comparison
from .cpu import Idle
from .errors import ScenarioError
from .kvm import POLICY_CLASSES
from .limits import shown
from .result import Result
from .scenario import Scenario
from .scenarios import resolve
from .world import Done, Livelock, World

MODES = ("nested", "bare")


def run(scenario: Scenario | str | Path, mode: str = "nested", policy: str | None = None,
        *, record_states: bool = False) -> Result:
    """Run `scenario` (a Scenario, or anything `resolve()` takes: a bundled name, a path, a
    share string) and return its result (trace, views, deliveries, violations, stats).

    `record_states`: record the vCPU state after each step as the run goes (`Result.states`,
    vcpu.py), for a reader that will draw it (the lab's views).  Without it a run takes about a
    fifth less time, and `Result.states`, if it is read, runs the scenario once more, recording
    (the engine is deterministic: the same steps, the same states)."""
    scenario = resolve(scenario)
    if not isinstance(mode, str) or mode not in MODES:
        raise ScenarioError("run()", "mode", f"unknown mode {shown(mode)}", ", ".join(MODES))
    if policy is not None and policy != scenario.policy:
        scenario = scenario.with_overrides({"policy": policy}, source="run(policy=...)")
    if not isinstance(record_states, bool):
        raise ScenarioError("run()", "record_states", f"not a bool: {shown(record_states)}",
                            "True, False")
    world = World(scenario, mode, record_states)
    machine = BareMetal(world) if mode == "bare" else POLICY_CLASSES[scenario.policy](world)
    # A run allocates one small object per step and frees none of them until it ends: the
    # cyclic collector would only rescan the growing trace again and again (time per step
    # would grow with the run's length).  Nothing in a run needs it.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        replay = None if record_states else partial(run, scenario, mode, record_states=True)
        result = Result.build(world, machine, *run_to_end(machine), replay)
        # The world and its machine point at each other (callbacks), so only the cyclic
        # collector frees them, at its next full collection: the trace, now the result's,
        # leaves with the result instead (hundreds of megabytes held until then otherwise).
        world.trace.events.clear()
    finally:
        # What the run made outlives it (the result), yet the first young collections after
        # it would scan every object of it, twice (a tenth of a second for 250,000 steps).
        # freeze() then unfreeze() moves them to the oldest generation in two list splices
        # (gc docs): only a full collection looks at them again.
        gc.freeze()
        gc.unfreeze()
        if gc_was_enabled:
            gc.enable()
    return result


def run_to_end(machine) -> tuple[str, str, str]:
    """Run the machine until the run ends: (status, detail, loop)."""
    try:
        machine.run()
    except Done as done:
        return done.reason, done.detail, ""
    except Idle as idle:
        detail = str(idle)
        if machine.l1_hv.l2_halted:
            detail += ("; L1 keeps L2's vCPU blocked after its HLT (kvm_vcpu_block) and has no "
                       "interrupt or NMI for L2")
        return "idle", detail, ""
    except Livelock as stuck:
        return "livelock", stuck.detail, stuck.loop
    return "settled", "", ""


def check(scenario: Scenario | str | Path, policy: str | None = None) -> Comparison:
    """Run `scenario` (anything `run()` takes) nested and on bare metal, and compare."""
    scenario = resolve(scenario)
    return compare(run(scenario, "nested", policy), run(scenario, "bare"))


def compare(nested: Result, bare: Result) -> Comparison:
    """checker.compare of two runs of one scenario, with bare metal run again where the
    checker asks for proof that a difference is a delay."""
    return checker.compare(nested, bare, _run_bare)


def _run_bare(scenario: Scenario) -> Result:
    return run(scenario, "bare")
