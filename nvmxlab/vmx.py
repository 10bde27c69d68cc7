"""VMX architectural vocabulary, named as in the Intel SDM (Vol. 3C) and Linux's asm/vmx.h."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class ExitReason(IntEnum):
    """Basic exit reasons (SDM Vol. 3D, Appendix C).

    The engine reads a reason's name as `_name_`, the member's own attribute: in Python 3.11
    `.name` goes through enum's property, several times slower, at every exit."""

    EXCEPTION_NMI = 0
    EXTERNAL_INTERRUPT = 1
    INTERRUPT_WINDOW = 7
    NMI_WINDOW = 8
    HLT = 12
    VMCALL = 18
    VMLAUNCH = 20
    VMRESUME = 24
    MSR_WRITE = 32
    EPT_VIOLATION = 48
    PREEMPTION_TIMER = 52


# Interruption types of the VM-exit interruption-information, IDT-vectoring-information and
# VM-entry interruption-information fields (SDM 25.8.3, 25.9.2): bits 10:8.
INTR_TYPE_EXT_INTR = "external"
INTR_TYPE_NMI_INTR = "nmi"

NMI_VECTOR = 2

# VM-instruction error numbers (SDM 31.4).
VMXERR_VMLAUNCH_NONCLEAR_VMCS = 4
VMXERR_VMRESUME_NONLAUNCHED_VMCS = 5
VMXERR_ENTRY_INVALID_CONTROL_FIELD = 7

VMX_ERROR_TEXT = {
    VMXERR_VMLAUNCH_NONCLEAR_VMCS: "VMLAUNCH with non-clear VMCS",
    VMXERR_VMRESUME_NONLAUNCHED_VMCS: "VMRESUME with non-launched VMCS",
    VMXERR_ENTRY_INVALID_CONTROL_FIELD: "VM entry with invalid control field(s)",
}

ACTIVE = "active"
HLT = "hlt"

# The controls a VMCS can hold, by the scenario key that sets them, with the SDM name and
# the Linux macro.  Bit positions: SDM 25.6.1 (pin-based), 25.6.2 (primary processor-based),
# 25.7.1 (VM-exit controls).
CONTROLS = {
    "external_interrupt_exiting": ("pin-based bit 0", "PIN_BASED_EXT_INTR_MASK"),
    "nmi_exiting": ("pin-based bit 3", "PIN_BASED_NMI_EXITING"),
    "virtual_nmis": ("pin-based bit 5", "PIN_BASED_VIRTUAL_NMIS"),
    "interrupt_window_exiting": ("processor-based bit 2", "CPU_BASED_INTR_WINDOW_EXITING"),
    "hlt_exiting": ("processor-based bit 7", "CPU_BASED_HLT_EXITING"),
    "nmi_window_exiting": ("processor-based bit 22", "CPU_BASED_NMI_WINDOW_EXITING"),
    "ack_interrupt_on_exit": ("VM-exit control bit 15", "VM_EXIT_ACK_INTR_ON_EXIT"),
}


@dataclass(frozen=True, slots=True)
class EventInfo:
    """The valid contents of an interruption-information field: vector and type."""

    vector: int
    type: str = INTR_TYPE_EXT_INTR
    # The raise ids this event carries, so a delivery can be matched to the raise that caused
    # it.  Not architectural: invisible to comparisons and JSON.
    ids: tuple[int, ...] = field(default=(), compare=False)
    # The local APIC that acknowledged it: the one whose ISR the handler's EOI clears.
    source: object = field(default=None, compare=False)

    def to_json(self) -> dict:
        return {"vector": self.vector, "type": self.type}

    def __str__(self) -> str:
        return f"{self.type} 0x{self.vector:02x}"
