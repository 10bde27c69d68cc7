"""Running a scenario in one world: bare metal, or nested under one of L0's policies."""

from __future__ import annotations

import gc
from pathlib import Path

from .baremetal import BareMetal
from .cpu import Idle
from .errors import ScenarioError
from .kvm import POLICY_CLASSES
from .limits import shown
from .result import Result
from .scenario import Scenario
from .world import Done, Livelock, World

MODES = ("nested", "bare")


def run(scenario: Scenario | str | Path, mode: str = "nested", policy: str | None = None
        ) -> Result:
    """Run `scenario` (a Scenario, or anything `resolve()` takes: a bundled name, a path, a
    share string) and return its result (trace, views, deliveries, violations, stats)."""
    from .scenarios import resolve
    scenario = resolve(scenario)
    if not isinstance(mode, str) or mode not in MODES:
        raise ScenarioError("run()", "mode", f"unknown mode {shown(mode)}", ", ".join(MODES))
    if policy is not None and policy != scenario.policy:
        scenario = scenario.with_overrides({"policy": policy}, source="run(policy=...)")
    world = World(scenario, mode)
    machine = BareMetal(world) if mode == "bare" else POLICY_CLASSES[scenario.policy](world)
    status, detail, loop = "settled", "", ""
    # A run allocates one small object per step and frees none of them until it ends: the
    # cyclic collector would only rescan the growing trace again and again (time per step
    # would grow with the run's length).  Nothing in a run needs it.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        machine.run()
    except Done as done:
        status, detail = done.reason, done.detail
    except Idle as idle:
        status, detail = "idle", str(idle)
        if machine.l1_hv.l2_halted:
            detail += ("; L1 keeps L2's vCPU blocked after its HLT (kvm_vcpu_block) and has no "
                       "interrupt or NMI for L2")
    except Livelock as stuck:
        status, detail, loop = "livelock", stuck.detail, stuck.loop
    finally:
        if gc_was_enabled:
            gc.enable()
    return Result.build(world, machine, status, detail, loop)
