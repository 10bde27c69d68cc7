"""A cost model: what a run costs in estimated cycles, step by step.

The numbers are adjustable assumptions, not measurements.  The defaults are round figures of
the order published for Intel processors since about 2010: a VM exit plus VM entry round trip
of several hundred to about a thousand cycles (measure your own machine with kvm-unit-tests'
x86/vmexit.c).  What matters for teaching is the structure the model counts exactly:

- every hardware VM exit and VM entry (L0's, and on bare metal L1's);
- every vCPU loop iteration of L0, including those that enter no guest (the SVM shape);
- the emulated VMLAUNCH/VMRESUME and VM exit (prepare_vmcs02 / prepare_vmcs12);
- "exit multiplication" (the Turtles paper, Ben-Yehuda et al., OSDI 2010): without VMCS
  shadowing, each VMREAD/VMWRITE that L1's exit handler executes is itself a VM exit to L0.
  VMCS shadowing (Haswell, 2013; KVM's enable_shadow_vmcs) removes those exits, so the
  kvm-modern policy assumes it and the 2011 policies do not.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from .bugs import POLICIES
from .engine import run
from .observations import ObservedExit
from .result import Result
from .trace import Kind


@dataclass(frozen=True)
class CostModel:
    vm_exit: int = 400  # hardware VM exit: save guest state, load host state
    vm_entry: int = 400  # hardware VM entry: checks, load guest state
    loop_iteration: int = 150  # one vcpu_enter_guest() pass of L0's loop
    kvm_step: int = 40  # one KVM decision (a check, an injection, a window, a request)
    nested_transition: int = 1000  # prepare_vmcs02 or prepare_vmcs12 (copy, merge, checks)
    l1_vmcs_accesses_per_exit: int = 10  # VMREAD/VMWRITEs by L1's handler per exit from L2
    emulated_vmcs_access: int = 1200  # one trapped VMREAD/VMWRITE: exit, emulate, enter
    instruction: int = 1  # one guest instruction
    idt_delivery: int = 60  # event delivery through an IDT

    def with_(self, **changes: int) -> CostModel:
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ValueError(f"unknown cost {sorted(unknown)[0]!r} (allowed: "
                             + ", ".join(f.name for f in fields(self)) + ")")
        return replace(self, **changes)


DEFAULT = CostModel()
SHADOW_VMCS = {"kvm-2011-vmx": False, "kvm-2011-svm": False, "kvm-modern": True, "bare": True}
_KVM_KINDS = frozenset((Kind.KVM, Kind.REQUEST, Kind.INJECT, Kind.WINDOW, Kind.APIC, Kind.KICK,
                        Kind.HALT, Kind.NMI, Kind.EPT))
# The count a step of each of these kinds adds one to (a dict: one lookup a step).
_COUNTED = {Kind.RETIRE: "instructions", Kind.VMEXIT: "vm_exits", Kind.VMENTRY: "vm_entries",
            Kind.NESTED_VMENTER: "nested_transitions", Kind.NESTED_VMEXIT: "nested_transitions",
            Kind.DELIVER: "idt_deliveries"}


def estimate(result: Result, model: CostModel = DEFAULT) -> dict:
    """Cycles by category for one run, plus the counts they come from."""
    counts = {"vm_exits": 0, "vm_entries": 0, "loop_iterations": 0, "idle_iterations": 0,
              "kvm_steps": 0, "nested_transitions": 0, "l1_exits": 0, "instructions": 0,
              "idt_deliveries": 0}
    nested = result.mode == "nested"
    last_loop_entered = True
    vmentry, loop = Kind.VMENTRY, Kind.LOOP  # once: an enum member's lookup is slow in 3.11
    for e in result.events:
        kind = e.kind
        counted = _COUNTED.get(kind)
        if counted:
            counts[counted] += 1
            if kind == vmentry:
                last_loop_entered = True
        elif kind == loop and e.name == "vcpu_enter_guest":
            if not last_loop_entered:
                counts["idle_iterations"] += 1
            counts["loop_iterations"] += 1
            last_loop_entered = False
        elif nested and e.level == "L0" and kind in _KVM_KINDS:
            counts["kvm_steps"] += 1
        for level, view in e.views:
            if level == "L1" and isinstance(view, ObservedExit):
                counts["l1_exits"] += 1
    trapped = 0 if SHADOW_VMCS.get(result.policy, True) or not nested else \
        counts["l1_exits"] * model.l1_vmcs_accesses_per_exit
    cycles = {
        "vm_exits_and_entries": counts["vm_exits"] * model.vm_exit
        + counts["vm_entries"] * model.vm_entry,
        "l0_loop": counts["loop_iterations"] * model.loop_iteration
        + counts["kvm_steps"] * model.kvm_step,
        "nested_transitions": counts["nested_transitions"] * model.nested_transition,
        "trapped_vmcs_accesses": trapped * model.emulated_vmcs_access,
        "guest_work": counts["instructions"] * model.instruction
        + counts["idt_deliveries"] * model.idt_delivery,
    }
    # Every L2 exit that L1 handles is one exit on bare metal; nested, it is the L0 exits.
    l0_exits = counts["vm_exits"] + trapped if nested else 0
    return {
        "policy": result.policy,
        "cycles": cycles,
        "total_cycles": sum(cycles.values()),
        "counts": {**counts, "trapped_vmcs_accesses": trapped},
        "l0_exits_per_l1_exit": round(l0_exits / counts["l1_exits"], 2)
        if nested and counts["l1_exits"] else None,
        "assumes_shadow_vmcs": SHADOW_VMCS.get(result.policy, True),
        "model": asdict(model),
    }


def compare_policies(scenario, model: CostModel = DEFAULT) -> list[dict]:
    """The same scenario on bare metal and under each policy (one row each)."""
    rows = [estimate(run(scenario, "bare"), model)]
    for policy in POLICIES:
        try:
            rows.append(estimate(run(scenario, "nested", policy), model))
        except ValueError as e:  # a scenario a policy refuses (e.g. NMIs for L1 in 2011)
            rows.append({"policy": policy, "refused": str(e)})
    return rows


def table(rows: list[dict]) -> str:
    """The comparison as a text table."""
    head = (f"{'world':<14}{'L1 exits':>9}{'L0 exits':>9}{'per L1 exit':>12}{'loop iters':>11}"
            f"{'no-entry':>9}{'est. cycles':>13}")
    lines = [head, "-" * len(head)]
    for r in rows:
        if "refused" in r:
            lines.append(f"{r['policy']:<14} refused: {r['refused']}")
            continue
        c = r["counts"]
        l0 = c["vm_exits"] + c["trapped_vmcs_accesses"] if r["policy"] != "bare" else 0
        per = r["l0_exits_per_l1_exit"]
        lines.append(f"{r['policy']:<14}{c['l1_exits']:>9}{l0:>9}"
                     f"{per if per is not None else '-':>12}{c['loop_iterations']:>11}"
                     f"{c['idle_iterations']:>9}{r['total_cycles']:>13,}")
    return "\n".join(lines)
