"""The vCPU's state after each step, as the engine holds it: recorded in the trace.

Each step of a run gets the state it left the machine in (`Result.states`, one per event):
which level runs, each guest level's RFLAGS.IF, blocking by STI and by NMI and activity state,
the interrupt/NMI windows open in each VMCS, whether L1 keeps L2's vCPU blocked and, in the
nested world, L0's vCPU fields
(is_guest_mode, nested_run_pending, KVM_REQ_EVENT, mp_state) and what L0 is doing.

The code that changes a recorded field marks the trace stale, and, in a run that records the
state (run(record_states=True): a StateTrace), the next step recorded reads the raw fields (a
tuple: cheap on the engine's hot path); `StateRecord.states()` turns them into immutable
VcpuStates, one object per distinct state, shared by the steps that leave it alone.  A run that
does not record reads none (trace.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from .vmx import ACTIVE

NMI = ":nmi"  # suffix of a VMCS name in `windows` for its NMI window
KVM_REQ_EVENT = "KVM_REQ_EVENT"


@dataclass(frozen=True)
class GuestLevel:
    """One guest level's architectural state (the guest-state fields of SDM 25.4) and the code
    stream its RIP is in."""

    stream: str  # "program", "exit_handler", "irq_handler" or "nmi_handler"
    rflags_if: bool
    sti_blocking: bool  # interruptibility-state bit 0 (blocking by STI)
    nmi_blocking: bool  # interruptibility-state bit 3 (blocking by NMI)
    activity: str = ACTIVE  # activity state: "active" or "hlt"


@dataclass(frozen=True)
class VcpuState:
    """The machine after one step.  Bare metal has no L0: its L0 fields keep their defaults."""

    running: str  # the level executing: "L0", "L1" or "L2"
    guest_mode: bool  # is_guest_mode(vcpu); bare metal: the processor runs L2 (VMX non-root)
    l1: GuestLevel
    l2: GuestLevel
    # VMCSes with interrupt-window exiting set ("vmcs12:nmi": NMI-window exiting set).
    windows: frozenset[str]
    # L1's KVM: L2's vcpu->arch.mp_state == KVM_MP_STATE_HALTED after an HLT L1 intercepted
    # (kvm_emulate_halt); L1's vcpu_run() calls vcpu_block() instead of entering L2 until
    # kvm_vcpu_has_events().  Both worlds: on bare metal L1 is the host and blocks it alike.
    l2_halted_by_l1: bool = False
    nested_run_pending: bool = False
    requests: frozenset[str] = frozenset()  # pending KVM requests (kvm_make_request)
    req_immediate_exit: bool = False
    halted: bool = False  # vcpu->arch.mp_state == KVM_MP_STATE_HALTED
    # What L0 is doing, by the KVM function it is in: "vcpu_run" (before the first entry),
    # "handle_exit" (of `exit_from`), "nested_vmx_run", "nested_vmx_vmexit", "vcpu_block".
    l0_task: str = ""
    exit_from: str = ""  # the level whose VM exit L0 handles

    def level(self, name: str) -> GuestLevel:
        return self.l1 if name == "L1" else self.l2


class Snapshots(dict):
    """Each distinct state, made once: the raw fields it is read from -> the state.  Equal
    states are then one object, and a step that changed nothing in them shares it.

    The raw fields, in order: running, guest_mode, each guest level's stream, RFLAGS.IF,
    STI blocking, NMI blocking and activity (L1, then L2), each VMCS's interrupt-window and
    NMI-window exiting (in the order of `vmcses`), L1's l2_halted, then L0's: nested_run_pending,
    KVM_REQ_EVENT, req_immediate_exit, halted, l0_task, exit_from (none on bare metal)."""

    def __init__(self, vmcses: tuple[str, ...]):
        super().__init__()
        self.vmcses = vmcses

    def __missing__(self, raw: tuple) -> VcpuState:
        end = 12 + 2 * len(self.vmcses)
        bits = raw[12:end]
        open_ = frozenset([name for name, on in zip(self.vmcses, bits[::2], strict=True) if on]
                          + [name + NMI for name, on in zip(self.vmcses, bits[1::2],
                                                            strict=True) if on])
        l0 = list(raw[end + 1:])
        if l0:
            l0[1] = frozenset((KVM_REQ_EVENT,)) if l0[1] else frozenset()
        state = self[raw] = VcpuState(raw[0], raw[1], GuestLevel(*raw[2:7]),
                                      GuestLevel(*raw[7:12]), open_, raw[end], *l0)
        return state


@dataclass(frozen=True)
class StateRecord:
    """What a run recorded of the state: the raw fields (see Snapshots) at each step that
    changed them, from the first step on."""

    changes: tuple[tuple[int, tuple], ...]
    snapshots: Snapshots

    def states(self, steps: int) -> tuple[VcpuState, ...]:
        """The state after each of `steps` steps (past the last change, the state stays)."""
        out: list[VcpuState] = []
        ends = [seq for seq, _ in self.changes[1:]] + [steps]
        for (seq, raw), end in zip(self.changes, ends, strict=True):
            out += [self.snapshots[raw]] * (end - seq)
        return tuple(out)
