"""The "when does the interrupt arrive" control, as edits to a scenario.

It moves the first `[[interrupt]]`'s trigger; "while L2 halts" also gives L2 a program that
ends in HLT and lets that HLT through (vmcs12 hlt_exiting off), and times the interrupt for the
moment HLT retires.  Choices are edits relative to the scenario the lab was opened with, so
choosing the scenario's own timing again restores it exactly.
"""

from __future__ import annotations

import copy

from ..scenario import Scenario

SCENARIO = "scenario"
CHOICES = {
    "l2-runs": "while L2 runs",
    "vmlaunch": "at VMLAUNCH (nested_run_pending)",
    "vmresume": "at VMRESUME (nested_run_pending)",
    "l2-halts": "while L2 halts (HLT)",
}
DEFAULT_L2_COUNT = 3
HALTING_PROGRAM = ["nop", "nop", "hlt"]


def l2_halts(s: Scenario) -> bool:
    return "hlt" in s.l2["program"] and not s.vmcs12["hlt_exiting"]


def current(s: Scenario) -> str:
    """Which choice `s` already is (SCENARIO when it is none of them)."""
    if not s.interrupts:
        return SCENARIO
    at = s.interrupts[0].at
    if at.instr == "vmlaunch" and at.count == 1:
        return "vmlaunch"
    if at.instr == "vmresume" and at.count == 1:
        return "vmresume"
    if at.instr is None and at.level == "L2":
        return "l2-halts" if l2_halts(s) else "l2-runs"
    return SCENARIO


def options(s: Scenario) -> list[tuple[str, str]]:
    """(label, value) pairs for a dropdown; the scenario's own timing first if it is special."""
    if not s.interrupts:
        return [("no interrupt in this scenario", SCENARIO)]
    out = [(label, value) for value, label in CHOICES.items()]
    if current(s) == SCENARIO:
        out.insert(0, (f"as the scenario says (at {s.interrupts[0].at})", SCENARIO))
    return out


def _with_first_at(s: Scenario, at: str) -> list[dict]:
    interrupts = copy.deepcopy(s.to_dict().get("interrupt", []))
    interrupts[0]["at"] = at
    return interrupts


def edits(base: Scenario, choice: str) -> dict[str, object]:
    """Scenario overrides that make `base`'s first interrupt arrive as `choice` says."""
    if choice == current(base) or choice == SCENARIO or not base.interrupts:
        return {}
    if choice == "l2-halts":
        return {"l2.program": list(HALTING_PROGRAM), "vmcs12.hlt_exiting": False,
                "interrupt": _with_first_at(base, f"L2:{len(HALTING_PROGRAM)}")}
    out: dict[str, object] = {}
    if l2_halts(base):  # leaving a halting scenario: give L2 a program that keeps running
        out["l2.program"] = [i for i in base.l2["program"] if i != "hlt"] or ["nop"]
    at = base.interrupts[0].at
    count = at.count if at.instr is None and at.level == "L2" else DEFAULT_L2_COUNT
    trigger = {"l2-runs": f"L2:{count}", "vmlaunch": "L1:vmlaunch", "vmresume": "L1:vmresume"}
    out["interrupt"] = _with_first_at(base, trigger[choice])
    return out
