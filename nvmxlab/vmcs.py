"""The virtual-machine control structure: the fields this model needs (SDM Vol. 3C ch. 25)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from .guest import Context
from .vmx import ACTIVE, CONTROLS, EventInfo, ExitReason


@dataclass(eq=False)
class Vmcs:
    name: str
    # VM-execution and VM-exit controls (SDM 25.6, 25.7).
    external_interrupt_exiting: bool = False
    nmi_exiting: bool = False
    virtual_nmis: bool = False
    interrupt_window_exiting: bool = False
    hlt_exiting: bool = False
    nmi_window_exiting: bool = False
    ack_interrupt_on_exit: bool = False
    # "Activate VMX-preemption timer" with a value of 0: an exit before the guest's first
    # instruction, after event injection (SDM 26.7.4) - how KVM requests an immediate exit.
    preemption_timer_zero: bool = False
    # The MSR bitmap intercepts writes to the x2APIC EOI register (MSR 0x80b).
    intercept_eoi: bool = False
    # Which hypervisors' EPT tables translate this guest's memory (L2 under vmcs02: both).
    ept_owners: tuple[str, ...] = ()
    # VM-entry control fields (SDM 25.8.3).
    entry_intr_info: EventInfo | None = None
    # Guest-state area (SDM 25.4): RFLAGS.IF, interruptibility state, activity state.
    guest_if: bool = True
    guest_sti_blocking: bool = False
    guest_nmi_blocking: bool = False
    guest_activity: str = ACTIVE
    guest_retired: int = 0  # stands for guest RIP: what the exit tells about L2's progress
    # VM-exit information fields (SDM 25.9).
    exit_reason: ExitReason | None = None
    exit_intr_info: EventInfo | None = None
    idt_vectoring_info: EventInfo | None = None
    exit_qualification: str = ""
    # Launch state (SDM 25.1) and VM-instruction error (SDM 31.4).
    launched: bool = False
    vm_instruction_error: int | None = None

    def controls(self) -> dict[str, bool]:
        return {name: getattr(self, name) for name in CONTROLS}

    def save_guest(self, guest: Context) -> None:
        """VM exit: save the guest's state into the guest-state area (SDM 28.3)."""
        self.guest_if = guest.rflags_if
        self.guest_sti_blocking = guest.sti_blocking
        self.guest_nmi_blocking = guest.nmi_blocking
        self.guest_activity = guest.activity
        self.guest_retired = guest.retired

    def load_guest(self, guest: Context) -> None:
        """VM entry: load the guest's state from the guest-state area (SDM 27.3.2)."""
        guest.rflags_if = self.guest_if
        guest.sti_blocking = self.guest_sti_blocking
        guest.nmi_blocking = self.guest_nmi_blocking
        guest.activity = self.guest_activity
        guest.trace.stale = True

    def snapshot(self) -> tuple:
        return tuple(getattr(self, f.name) for f in fields(self) if f.name != "guest_retired")


def skip_emulated_instruction(vmcs: Vmcs, guest: Context, instr: str) -> None:
    """What a hypervisor does after emulating an instruction that exited: advance the guest's
    RIP past it and clear its interrupt shadow - in the VMCS it will enter with, too
    (vmx.c skip_emulated_instruction(): "skipping an emulated instruction also counts",
    vmx_set_interrupt_shadow(vcpu, 0))."""
    if instr == "hlt":
        guest.halt()
    else:
        guest.retire(instr)
    vmcs.guest_sti_blocking = False
    vmcs.guest_retired = guest.retired
