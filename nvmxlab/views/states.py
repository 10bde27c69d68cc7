"""The vCPU's state after every step of a run, as the state graph, the "who runs" bars and the
step text name it ("L1 exit handler, IF = 0", "L0 handles an exit from L2").

The engine records the state (`Result.states`, vcpu.py); this only puts it into words.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..result import Result
from ..vcpu import NMI, VcpuState
from ..vmx import HLT

__all__ = ["NMI", "StepState", "label", "step_states"]


@dataclass(frozen=True)
class StepState:
    label: str  # the state, as the state graph names it
    running: str  # the level executing: "L0", "L1" or "L2"
    windows: frozenset[str]  # VMCSes with interrupt-window exiting on ("vmcs12:nmi": NMI window)
    interrupts_off: bool = False  # the guest level running has RFLAGS.IF = 0


# What L0 does, by the KVM function it is in (VcpuState.l0_task).
L0_TASKS = {
    "vcpu_run": "starts the vCPU",
    "nested_vmx_run": "emulates VMLAUNCH/VMRESUME (nested_run_pending)",
    "nested_vmx_vmexit": "emulates an exit to L1",
    "vcpu_block": "blocks the halted vCPU",
}
# The windows that matter to the level running: its own VMCS (L2: vmcs02, or vmcs12 itself).
WINDOWS_FOR = {"L1": ("vmcs01",), "L2": ("vmcs02", "vmcs12")}
STREAMS = {"L1": {"program": "L1 runs (before VMLAUNCH)", "irq_handler": "L1 IRQ handler",
                  "nmi_handler": "L1 IRQ handler"},
           "L2": {"irq_handler": "L2 IRQ handler", "nmi_handler": "L2 IRQ handler"}}


def label(s: VcpuState) -> str:
    if s.running == "L0":
        if s.l0_task == "handle_exit":
            return f"L0 handles an exit from {s.exit_from}"
        return f"L0 {L0_TASKS[s.l0_task]}"
    return _level_label(s) + _window_note(s.windows, WINDOWS_FOR[s.running])


# While L1's KVM keeps L2's vCPU HALTED (VcpuState.l2_halted_by_l1), L1 sits in vcpu_block()
# for it: at its VMRESUME, idle (sti; hlt), or in a handler of its own interrupt.
L2_BLOCKED = "L2's vCPU blocked"
L1_BLOCKING = f"L1 idle, {L2_BLOCKED} (kvm_vcpu_block)"


def _level_label(s: VcpuState) -> str:
    name = s.running
    level = s.level(name)
    if name == "L1" and s.l2_halted_by_l1:
        return _blocking_label(level)
    return _own_label(name, level)


def _own_label(name: str, level) -> str:
    """What level `name` is doing, whatever it keeps blocked."""
    if level.activity == HLT:
        return f"{name} halted" + (" (HLT)" if name == "L2" else "")
    if name == "L1" and level.stream == "exit_handler":
        return f"L1 exit handler, IF = {int(level.rflags_if)}"
    if name == "L2" and level.stream == "program":
        return "L2 runs" + ("" if level.rflags_if else ", IF = 0")
    return STREAMS[name][level.stream]


def _blocking_label(l1) -> str:
    """L1's state while it keeps L2's vCPU blocked: its own, and the block.  The exit
    handler's run is then L1 idle in kvm_vcpu_block(), which the label says instead."""
    if l1.activity != HLT and l1.stream == "exit_handler":
        return L1_BLOCKING + ("" if l1.rflags_if else ", IF = 0")
    return f"{_own_label('L1', l1)} · {L2_BLOCKED}"


def _window_note(windows: frozenset[str], vmcses: tuple[str, ...]) -> str:
    note = ""
    if any(v in windows for v in vmcses):
        note += " · window open"
    if any(v + NMI in windows for v in vmcses):
        note += " · NMI window open"
    return note


def _step_state(s: VcpuState) -> StepState:
    off = s.running != "L0" and not s.level(s.running).rflags_if
    return StepState(label(s), s.running, s.windows, off)


def step_states(result: Result, limit: int | None = None) -> tuple[StepState, ...]:
    """The state after each event of `result` (the first `limit` events)."""
    states = result.states if limit is None else result.states[:limit]
    made: dict[int, StepState] = {}  # consecutive events share one VcpuState: word it once
    out = []
    for s in states:
        got = made.get(id(s))
        if got is None:
            got = made[id(s)] = _step_state(s)
        out.append(got)
    return tuple(out)
