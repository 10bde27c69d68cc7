"""What a guest level observes of a step: one immutable class per kind of observation.

L1 observes its VM entries into L2, the VM exits from L2 (what it reads from vmcs12), the
failures of its VMLAUNCH/VMRESUME (VMfailValid) and the interrupts and NMIs it takes; L2
observes its VM entries and the interrupts and NMIs it takes.  Nothing else of a step is
visible to a guest: the checker compares worlds by these alone.

Each class has `to_json()` (the plain data of the JSON output, README "JSON") and one
`describe()`, the words every reader (checker, printed formats, views, exercises) uses.
Equality is that of the observed facts: two exits are equal when every vmcs12 field L1 reads
is, at the same point of L2's progress (`l2_retired`); `progress_free()` drops that point.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, ClassVar

from .vmx import HLT, NMI_VECTOR, EventInfo, ExitReason

if TYPE_CHECKING:
    from .vmcs import Vmcs

# How a level received an interrupt or NMI: through its IDT, or in the VM exit that
# delivered it (acknowledge interrupt on exit, NMI exiting: SDM 25.9.2).
VIA_IDT = "IDT"
VIA_EXIT = "exit"


def _event(info: EventInfo | None) -> EventInfo | None:
    """The architectural contents of an interruption-information field only: an observation
    holds no raise ids or APIC (invisible to guests, and not reproducible in a repr).  One
    shared instance per (vector, type): built at every exit L1 sees."""
    if info is None:
        return None
    key = (info.vector, info.type)
    bare = _EVENTS.get(key)
    if bare is None:
        bare = _EVENTS[key] = EventInfo(info.vector, info.type)
    return bare


_EVENTS: dict[tuple[int, str], EventInfo] = {}


@dataclass(frozen=True, slots=True)
class ObservedEntry:
    """A successful VM entry into L2 (VMLAUNCH/VMRESUME), by the processor or emulated by L0.
    It carries nothing: share the one instance, ENTRY."""

    kind: ClassVar[str] = "entry"

    def to_json(self) -> dict:
        return {"kind": self.kind}

    def describe(self) -> str:
        return "a successful VM entry into L2"

    def progress_free(self) -> ObservedEntry:
        return self


ENTRY = ObservedEntry()


@dataclass(frozen=True, slots=True)
class ObservedVmFail:
    """L1's VMLAUNCH/VMRESUME failed with VMfailValid: the VM-instruction error field (SDM
    31.4) says why, and L2 does not run."""

    vm_instruction_error: int
    kind: ClassVar[str] = "vmfail"

    def to_json(self) -> dict:
        return {"kind": self.kind, "error": self.vm_instruction_error}

    def describe(self) -> str:
        return f"VMfailValid (VM-instruction error {self.vm_instruction_error})"

    def progress_free(self) -> ObservedVmFail:
        return self


@dataclass(frozen=True, slots=True)
class ObservedExit:
    """A VM exit from L2 as L1 reads it from vmcs12: the exit reason, the VM-exit
    interruption information (SDM 25.9.2), the IDT-vectoring information (25.9.3) and the
    guest activity state (25.4.2) - and how far L2 had got (instructions retired), the point
    the checker uses to tell a delay from a difference."""

    exit_reason: ExitReason
    exit_intr_info: EventInfo | None
    idt_vectoring_info: EventInfo | None
    guest_activity_state: str
    l2_retired: int
    kind: ClassVar[str] = "vmexit"

    @staticmethod
    def from_vmcs(vmcs: Vmcs) -> ObservedExit:
        """What L1 reads from `vmcs` (vmcs12) after an exit from L2."""
        return _new_exit(vmcs.exit_reason, _event(vmcs.exit_intr_info),
                         _event(vmcs.idt_vectoring_info), vmcs.guest_activity,
                         vmcs.guest_retired)

    @property
    def halted(self) -> bool:
        return self.guest_activity_state == HLT

    def to_json(self) -> dict:
        intr, idt = self.exit_intr_info, self.idt_vectoring_info
        return {"kind": self.kind, "reason": self.exit_reason._name_,
                "intr_info": intr and intr.to_json(), "idt_vectoring": idt and idt.to_json(),
                "guest_activity_state": self.guest_activity_state,
                "l2_retired": self.l2_retired}

    def describe(self) -> str:
        reason = self.exit_reason
        text = f"a VM exit ({reason.name}"
        if self.exit_intr_info:
            text += f", vector 0x{self.exit_intr_info.vector:02x}"
        elif reason == ExitReason.EXTERNAL_INTERRUPT:
            # Without acknowledge interrupt on exit the vector stays in the APIC (SDM 25.9.2).
            text += ", no vector"
        if self.idt_vectoring_info:
            text += f", IDT-vectoring 0x{self.idt_vectoring_info.vector:02x}"
        if self.halted:
            text += ", L2 halted"
        return text + ")"

    def progress_free(self) -> ObservedExit:
        """The same exit at progress 0: equal to another's when only `l2_retired` differs."""
        return replace(self, l2_retired=0)


def _delivery_json(kind: str, vector: int, via: str) -> dict:
    """An interrupt's or NMI's JSON: `via` written only for one that came in the exit."""
    if via == VIA_EXIT:
        return {"kind": kind, "vector": vector, "via": VIA_EXIT}
    return {"kind": kind, "vector": vector}


@dataclass(frozen=True, slots=True)
class ObservedInterrupt:
    """An external interrupt the level took: through its IDT, or (`via` VIA_EXIT) in the VM
    exit that acknowledged it, after which L1 calls its handler itself."""

    vector: int
    via: str = VIA_IDT
    kind: ClassVar[str] = "irq"

    def to_json(self) -> dict:
        return _delivery_json(self.kind, self.vector, self.via)

    def describe(self) -> str:
        # One that came in a VM exit is not delivered again: the exit was the delivery (SDM
        # 25.9.2), and L1 runs its handler because of the exit.
        if self.via == VIA_EXIT:
            return f"its handler for 0x{self.vector:02x}, run because of the exit"
        return f"interrupt 0x{self.vector:02x} through its IDT"

    def progress_free(self) -> ObservedInterrupt:
        return self


@dataclass(frozen=True, slots=True)
class ObservedNmi:
    """An NMI the level took: through its IDT (vector 2), or (`via` VIA_EXIT) in the VM exit
    NMI exiting caused, after which L1 calls its NMI handler itself."""

    vector: int = NMI_VECTOR
    via: str = VIA_IDT
    kind: ClassVar[str] = "nmi"

    def to_json(self) -> dict:
        return _delivery_json(self.kind, self.vector, self.via)

    def describe(self) -> str:
        if self.via == VIA_EXIT:
            return "its NMI handler, run because of the exit"
        return f"an NMI through its IDT (vector {self.vector})"

    def progress_free(self) -> ObservedNmi:
        return self


def _exit_constructor():
    """ObservedExit(...) without the frozen dataclass's __init__, which sets each field through
    object.__setattr__ and costs twice as much: one is built at every exit L1 sees.  The slot
    descriptors set the same five fields."""
    reason, intr, idt, activity, retired = (getattr(ObservedExit, f.name).__set__
                                            for f in fields(ObservedExit))
    new = object.__new__

    def new_exit(exit_reason, exit_intr_info, idt_vectoring_info, guest_activity_state,
                 l2_retired) -> ObservedExit:
        o = new(ObservedExit)
        reason(o, exit_reason)
        intr(o, exit_intr_info)
        idt(o, idt_vectoring_info)
        activity(o, guest_activity_state)
        retired(o, l2_retired)
        return o
    return new_exit


_new_exit = _exit_constructor()

Observation = ObservedEntry | ObservedVmFail | ObservedExit | ObservedInterrupt | ObservedNmi
# A step's observations, by level: (("L1", ENTRY), ("L2", ENTRY)).
Views = tuple[tuple[str, Observation], ...]

# A successful VM entry into L2 - by the processor on bare metal, emulated by L0 when nested -
# as L1 and L2 observe it.
ENTRY_VIEWS: Views = (("L1", ENTRY), ("L2", ENTRY))


def delivered(info: EventInfo, via: str = VIA_IDT) -> ObservedInterrupt | ObservedNmi:
    """What a level observes of taking `info` (an interrupt or an NMI): one shared instance
    per (type, vector, via), rather than a new one at every delivery."""
    key = (info.type, info.vector, via)
    seen = _DELIVERED.get(key)
    if seen is None:
        cls = ObservedNmi if info.type == "nmi" else ObservedInterrupt
        seen = _DELIVERED[key] = cls(info.vector, via)
    return seen


_DELIVERED: dict[tuple[str, int, str], ObservedInterrupt | ObservedNmi] = {}
