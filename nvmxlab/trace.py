"""The trace: one immutable, ordered record of every step at every level, and, when a run
asks for it (StateTrace), the vCPU state each step leaves.

Every view (L1/L2 views, deliveries, statistics, text, JSON, diagrams) is derived from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from .observations import Views
from .vcpu import Snapshots, StateRecord

LEVELS = ("HW", "L0", "L1", "L2")


class Kind(StrEnum):
    """What a step is.  The values are the `kind` strings of the JSON, text and kvm-trace
    outputs; a step's `name` says which SDM operation or KVM function it is."""

    RETIRE = "retire"
    """A level retired an instruction: the clock (events come between them, SDM 6.9)."""
    RAISE = "raise"
    """A device raises one of the scenario's interrupts or NMIs, for L1 or for L2."""
    NMI = "nmi"
    """An NMI becomes pending: NMI pin (SDM 6.7), KVM's nmi_pending (kvm_inject_nmi())."""
    APIC = "apic"
    """An APIC register: IRR set, IRR→ISR, EOI (SDM 11.8.4, 11.8.5; kvm_apic_set_irq())."""
    DELIVER = "deliver"
    """An event delivered through a level's IDT (SDM 6.12), or in an exit to L1's handler."""
    VMENTRY = "vmentry"
    """A hardware VM entry (VMLAUNCH/VMRESUME) that passed its checks (SDM ch. 27)."""
    VMEXIT = "vmexit"
    """A hardware VM exit, with its exit reason and exit information (SDM ch. 28)."""
    VMFAIL = "vmfail"
    """L1's VMLAUNCH/VMRESUME failed: VMfailValid (SDM 31.2, 31.4; nested_vmx_failValid())."""
    NESTED_VMENTER = "nested_vmenter"
    """L0 emulates L1's VMLAUNCH/VMRESUME, vmcs02 built from vmcs12 (nested_vmx_run())."""
    ENTERED = "entered"
    """L1's emulated VM entry took effect: L2 runs next (nested_vmx_enter_non_root_mode())."""
    NESTED_VMEXIT = "nested_vmexit"
    """L0 emulates a VM exit from L2 to L1 in vmcs12 (nested_vmx_vmexit())."""
    INJECT = "inject"
    """An event put in a VM-entry interruption field (SDM 25.8.3, 27.6; vmx_inject_irq())."""
    WINDOW = "window"
    """Interrupt- or NMI-window exiting set or cleared (SDM 26.7.5, 26.7.6; enable_irq_window())."""
    REQUEST = "request"
    """A KVM request made or checked: KVM_REQ_EVENT (kvm_make_request(), kvm_check_request())."""
    LOOP = "loop"
    """L0's vCPU loop: an iteration of vcpu_enter_guest(), or vcpu_block() waking (x86.c)."""
    KICK = "kick"
    """kvm_vcpu_kick(): an IPI that forces the vCPU out of the guest, or a wake-up from halt."""
    HALT = "halt"
    """A level enters the HLT activity state (SDM 25.4.2), or L0 halts it (kvm_emulate_halt())."""
    SKIP = "skip"
    """A hypervisor moves RIP past an instruction it emulated (kvm_skip_emulated_instruction())."""
    EPT = "ept"
    """A hypervisor maps the page of an EPT violation (SDM 29.3.3; handle_ept_violation())."""
    KVM = "kvm"
    """Any other step of L0's code, named by the KVM function it mirrors."""


class Fact(StrEnum):
    """What a step's readers need to know of it beyond its kind, name and data: recorded
    where the step is made, never read back from `why` (prose for people), and not written
    in the JSON, whose fields are the step's kind, name, data and why.  A step holds its facts
    in a tuple: `Fact.MERGED in e.facts` costs next to nothing on the many steps with none."""

    MERGED = "merged"
    """An NMI merged with a pending one: the pin latches one (SDM 6.7), process_nmi() two."""
    NESTED_RUN_PENDING = "nested_run_pending"
    """L0 holds an event for L1 back: nested_run_pending (vmx_interrupt_allowed() 0, -EBUSY)."""
    ON_NESTED_VMEXIT = "on_nested_vmexit"
    """KVM_REQ_EVENT made by a nested VM exit for a pending event (__nested_vmx_vmexit())."""
    REINJECTED = "reinjected"
    """An injection that re-injects an event an exit cut short (SDM 28.2.4; IDT-vectoring)."""


class Event(NamedTuple):
    """One step (immutable).  `name` is the SDM or KVM name of the step, `why` the reason it
    happened, in words for people: what a program needs is in `kind`, `data` and `facts`.

    `views` holds what a guest level observes of the step: (("L1", ENTRY), ("L2", ENTRY))
    (see observations.py).
    """

    seq: int
    level: str
    kind: Kind
    name: str
    why: str = ""
    data: dict | None = None
    views: Views = ()
    facts: tuple[Fact, ...] = ()

    def to_json(self) -> dict:
        out = {"seq": self.seq, "level": self.level, "kind": self.kind, "name": self.name}
        if self.data:
            out.update(self.data)
        if self.why:
            out["why"] = self.why
        return out


# Event(...) goes through the NamedTuple's Python-level __new__; the engine makes one per step,
# so it builds the tuple directly (what that __new__ does, one call less).
new_event = tuple.__new__


@dataclass
class Trace:
    """Append-only while the engine runs; frozen into a tuple for the result.

    This one records the steps alone.  The code that changes the vCPU state (vcpu.py) still
    sets `stale` - a plain attribute store that nothing reads here, the cheapest a mark can
    be - and `restate()` does nothing: a run that does not record the state pays nothing else
    for it.  StateTrace records it."""

    events: list[Event] = field(default_factory=list)
    stale: bool = True
    snapshot: Callable[[], object] = lambda: None  # the machine's vcpu_state()

    def add(self, level: str, kind: Kind, name: str, why: str = "", data: dict | None = None,
            views: Views = (), facts: tuple[Fact, ...] = ()) -> Event:
        events = self.events
        ev = new_event(Event, (len(events), level, kind, name, why, data, views, facts))
        events.append(ev)
        return ev

    def restate(self) -> None:
        """Take the state the last step recorded leaves again (StateTrace): nothing here."""

    def state_record(self, snapshots: Snapshots) -> StateRecord | None:
        """What the run recorded of the vCPU state: nothing here."""
        return None

    def __len__(self) -> int:
        return len(self.events)


@dataclass
class StateTrace(Trace):
    """A trace that also records the vCPU state each step leaves (vcpu.py): `snapshot()` reads
    it from the machine; code that changes it sets `stale`, and the next step recorded takes a
    snapshot.  Only the steps that changed it are kept, in `changes`: (seq, state)."""

    # (seq, raw state) at each step that changed the state; the first entry only ends the list.
    changes: list[tuple[int, object]] = field(default_factory=lambda: [(-1, None)])

    def add(self, level: str, kind: Kind, name: str, why: str = "", data: dict | None = None,
            views: Views = (), facts: tuple[Fact, ...] = ()) -> Event:
        # Trace.add, inline (one call less on every step), with restate() inline: about half
        # of all steps change the state.
        events = self.events
        seq = len(events)
        ev = new_event(Event, (seq, level, kind, name, why, data, views, facts))
        events.append(ev)
        if self.stale:
            self.stale = False
            self.changes.append((seq, self.snapshot()))
        return ev

    def take(self) -> None:
        """Take the state now for the step about to be appended, if a change made it stale
        (World.retired: the instruction's effect is complete before its step is made)."""
        if self.stale:
            self.stale = False
            self.changes.append((len(self.events), self.snapshot()))

    def restate(self) -> None:
        """Take the state the last step recorded leaves (again, if part of the step's effect
        came after it was recorded)."""
        self.stale = False
        seq, changes = len(self.events) - 1, self.changes
        if changes[-1][0] == seq >= 0:
            changes.pop()
        changes.append((seq, self.snapshot()))

    def state_record(self, snapshots: Snapshots) -> StateRecord:
        # A change taken for a step that was never appended (the run ended at max_steps
        # first) covers no step: StateRecord.states() gives it none.
        return StateRecord(tuple(self.changes[1:]), snapshots)
