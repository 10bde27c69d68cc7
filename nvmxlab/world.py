"""What both worlds share: the levels' contexts, the triggers, the raise/delivery bookkeeping,
the trace and the rules for ending a run.

Time is guest-visible progress (instructions retired by a level, or L1's VMLAUNCH/VMRESUME),
so the bare-metal run and the nested run see the same triggers at the same points.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .guest import Context
from .lapic import Lapic
from .observations import ObservedExit, delivered
from .scenario import Interrupt, Scenario
from .trace import Event, Kind, StateTrace, Trace, new_event
from .vmcs import Vmcs
from .vmx import EventInfo, ExitReason

STILL_ENTRIES = 8  # see World._pending_loop()
_RETIRE = Kind.RETIRE  # a global, not Kind's attribute, in retired(): the hottest line


class Done(Exception):
    """The run ended normally: `reason` is "settled", "idle" or "max_steps"."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail


class Livelock(Exception):
    """The run stopped making progress with interrupts still undelivered."""

    def __init__(self, detail: str, loop: str):
        super().__init__(f"{detail}; stuck in: {loop}")
        self.detail = detail
        self.loop = loop


@dataclass
class Raise:
    id: int
    irq: Interrupt
    seq: int


class World:
    def __init__(self, scenario: Scenario, mode: str, record_states: bool = False):
        self.scenario = scenario
        self.mode = mode
        # Chosen once for the run: a run that does not record the vCPU state (vcpu.py) never
        # tests for it at a step.
        self.trace = StateTrace() if record_states else Trace()
        if record_states:
            self.retired = self._retired_recording_state
        l1, l2 = scenario.l1, scenario.l2
        self.l1 = Context("L1", _streams(l1, ("program", "exit_handler", "irq_handler",
                                              "nmi_handler")), True, repeat=False)
        self.l2 = Context("L2", _streams(l2, ("program", "irq_handler", "nmi_handler")),
                          l2["rflags_if"], repeat=True)
        self.l1.trace = self.l2.trace = self.trace  # their changes make the state stale
        # L1's software model of L2's local APIC: where an interrupt "to L2" is raised.
        self.l2_vapic = Lapic("L1's virtual APIC for L2", owner="L1")
        self.l2_nmis: list[EventInfo] = []  # NMIs L1's software has pending for L2
        # KVM_REQ_NMI on L2's vCPU in L1's KVM: made by kvm_inject_nmi(), consumed by
        # process_nmi() when L1 next enters L2 (l1.py).
        self.l2_req_nmi = False
        # An L2 IDT handler page missing from one hypervisor's EPT, until it maps it.
        fault = l2["idt_fault"]
        self.idt_page_missing = {"l0-ept": {"L0"}, "l1-ept": {"L1"}}.get(fault, set())
        self.raises: list[Raise] = []
        self.deliveries: dict[int, list[tuple[int, str, str]]] = {}
        self.vmx_counts = {"vmlaunch": 0, "vmresume": 0}
        # Counted as they happen, for the result's statistics: hardware VM exits, and the
        # exits L1 observes (from vmcs12).
        self.hw_exits = 0
        self.l1_exits = 0
        self.raise_to_l1: Callable[[int, EventInfo], None] | None = None
        self.snapshot: Callable[[], tuple] | None = None
        # Triggers by (level, instruction): sorted lists of (count, index, interrupt).
        self._triggers: dict[tuple[str, str | None], list] = {}
        for index, irq in enumerate(scenario.interrupts):
            key = (irq.at.level, irq.at.instr)
            self._triggers.setdefault(key, []).append((irq.at.count, index, irq))
        for due in self._triggers.values():
            due.sort()
        self._pending = len(scenario.interrupts)
        self._watched = self._waited_for()
        # The retired count at which each level's next instruction-count trigger is due.
        self._next_due = {level: self._due((level, None)) for level in ("L1", "L2")}
        self._undelivered = 0
        self._settled_at: int | None = None  # L2's retired count when all was delivered
        self._seen: dict[tuple, int] = {}
        # Loop detection while triggers are pending (see checkpoint() and _l2_lap()).
        self._entries = 0  # checkpoints so far: one per VM entry
        self._pending_progress: tuple[int, int] | None = None
        self._pending_seen: dict[tuple, int] | None = None
        self._still = 0  # entries in a row without the pending triggers' counters moving
        self._laps: dict[tuple, int] | None = None
        self._laps_entry = -1
        self.max_steps = scenario.max_steps

    # -- progress and triggers -----------------------------------------------------------------
    def retired(self, ctx: Context, instr: str, skipped: bool = False) -> None:
        """A level retired an instruction (called by the hardware, in both worlds).
        `skipped`: a hypervisor skipped it after emulating it (an instruction that exited)."""
        events = self.trace.events
        seq = len(events)
        if seq >= self.max_steps:
            self._out_of_steps()
        # The hottest line of the engine: build the Event directly.
        events.append(new_event(Event, (seq, ctx.level, _RETIRE, instr, "",
                                        {"skipped": True} if skipped else None, (), ())))
        if self._pending:
            if ctx.retired >= self._next_due[ctx.level]:
                self._fire(ctx.level, ctx.retired, None)
                return
        elif ctx is self.l2 and self.all_delivered():
            if self._settled_at is None:
                self._settled_at = ctx.retired
            elif ctx.retired - self._settled_at >= self.scenario.settle:
                raise Done("settled")
            return
        if ctx.pc == 1 and ctx is self.l2 and not skipped and ctx.stream == "program":
            self._l2_lap()

    def _retired_recording_state(self, ctx: Context, instr: str, skipped: bool = False
                                 ) -> None:
        """retired(), in a run that records the vCPU state: the state the instruction left
        is taken first, for the step retired() appends next (nothing changes it between)."""
        self.trace.take()
        World.retired(self, ctx, instr, skipped)

    def l1_vmx_instruction(self, instr: str) -> None:
        """L1's VMLAUNCH/VMRESUME completed (the entry succeeded or failed)."""
        self.vmx_counts[instr] += 1
        if self._pending:
            self._fire("L1", self.vmx_counts[instr], instr)

    def _fire(self, level: str, count: int, instr: str | None) -> None:
        due = self._triggers.get((level, instr))
        if not due or due[0][0] > count:
            return  # none due: l1_vmx_instruction() asks at every VMLAUNCH/VMRESUME
        while due and due[0][0] <= count:
            _, index, irq = due.pop(0)
            self._pending -= 1
            self._raise(index, irq)
        if instr is None:
            self._next_due[level] = self._due((level, None))
        if not due:  # the last trigger on this counter fired: nothing waits for it now
            self._watched = self._waited_for()

    def _due(self, key) -> float:
        due = self._triggers.get(key)
        return due[0][0] if due else float("inf")

    def _raise(self, index: int, irq: Interrupt) -> None:
        ev = self.trace.add("HW", Kind.RAISE, "interrupt", f"{irq.type} 0x{irq.vector:02x} for "
                            f"{irq.to} raised at {irq.at}",
                            {"vector": irq.vector, "to": irq.to, "type": irq.type, "irq": index})
        self.raises.append(Raise(index, irq, ev.seq))
        self.deliveries[index] = []
        self._undelivered += 1
        info = EventInfo(irq.vector, irq.type, ids=(index,))
        if irq.to == "L2" and irq.type == "nmi":
            self.l2_nmis.append(info)
            self.l2_req_nmi = True
            self.trace.add("L1", Kind.NMI, "kvm_inject_nmi", "L1's software has an NMI pending "
                           "for L2")
        elif irq.to == "L2":
            # A device that L1 emulates for L2: L1's software requests the vector in its
            # model of L2's APIC and injects it at its next VM entry (see l1.py).
            coalesced = not self.l2_vapic.set_irr(irq.vector, index)
            self.trace.add("L1", Kind.APIC, "kvm_apic_set_irq", f"{self.l2_vapic.name}: IRR "
                           f"0x{irq.vector:02x}" + (" (coalesced)" if coalesced else ""),
                           {"vector": irq.vector})
        else:
            self.raise_to_l1(index, info)

    def pending_triggers(self) -> list[Interrupt]:
        return [irq for due in self._triggers.values() for _, _, irq in due]

    # -- delivery bookkeeping ------------------------------------------------------------------
    def delivered(self, ctx: Context, ev: EventInfo, why: str) -> None:
        """Deliver `ev` through `ctx`'s IDT and record it (called by the hardware)."""
        nmi = ev.type == "nmi"
        allowed = not (ctx.nmi_blocking or ctx.sti_blocking if nmi else ctx.interrupts_blocked)
        ctx.deliver(ev.vector, ev.source, nmi)
        e = self.trace.add(ctx.level, Kind.DELIVER, "IDT delivery", why,
                           {"vector": ev.vector, "type": ev.type, "allowed": allowed,
                            "irqs": list(ev.ids)},
                           views=((ctx.level, delivered(ev)),))
        self._record(ev, e.seq, ctx.level, "IDT")

    def delivered_in_exit(self, ev: EventInfo, seq: int) -> None:
        """An exit with acknowledge-interrupt-on-exit hands the vector to L1 in the exit."""
        self._record(ev, seq, "L1", "exit")

    def _record(self, ev: EventInfo, seq: int, level: str, how: str) -> None:
        for rid in ev.ids:
            got = self.deliveries[rid]
            if not got:
                self._undelivered -= 1
            got.append((seq, level, how))

    def all_delivered(self) -> bool:
        return not self._pending and not self._undelivered

    def idt_fault_owner(self, ctx: Context, vmcs: Vmcs) -> str | None:
        if ctx is not self.l2 or not self.idt_page_missing:
            return None
        for owner in vmcs.ept_owners:
            if owner in self.idt_page_missing:
                return owner
        return None

    # -- exits that L1 observes ----------------------------------------------------------------
    def l1_exit_view(self, vmcs12: Vmcs) -> ObservedExit:
        """What L1 reads from vmcs12 after an exit from L2."""
        self.l1_exits += 1
        return ObservedExit.from_vmcs(vmcs12)

    def hw_vmexit(self, vmcs: Vmcs, guest: Context, reason: ExitReason, why: str) -> None:
        """A hardware VM exit.  On bare metal an exit from vmcs12 is what L1 observes."""
        self.hw_exits += 1
        name = reason._name_  # not .name (vmx.ExitReason)
        data = {"vmcs": vmcs.name, "reason": name,
                "intr_info": vmcs.exit_intr_info and vmcs.exit_intr_info.to_json(),
                "idt_vectoring": vmcs.idt_vectoring_info and vmcs.idt_vectoring_info.to_json(),
                "guest_activity_state": vmcs.guest_activity, "from": guest.level,
                "guest_retired": vmcs.guest_retired, "rip": rip(guest)}
        if vmcs.exit_qualification:
            data["qualification"] = vmcs.exit_qualification
        observed = vmcs.name == "vmcs12"
        views = (("L1", self.l1_exit_view(vmcs)),) if observed else ()
        e = self.trace.add("HW", Kind.VMEXIT, name, why, data, views)
        if observed and vmcs.exit_intr_info:
            self.delivered_in_exit(vmcs.exit_intr_info, e.seq)

    # -- ending a run --------------------------------------------------------------------------
    def checkpoint(self) -> None:
        """Called before every VM entry: stop a run that can no longer change.

        The machine is deterministic, so once every trigger has fired, a repeated state
        (everything but the counters) means the run loops for ever.
        """
        if len(self.trace.events) >= self.max_steps:
            self._out_of_steps()
        self._entries += 1
        if self._pending:
            self._pending_loop()
            return
        state = self.snapshot()
        first = self._seen.get(state)
        if first is None:
            self._seen[state] = (len(self.trace.events), self.l2.retired)
            return
        seq, l2_retired = first
        if not self.all_delivered():
            raise Livelock(self._undelivered_text(), describe_loop(self.trace.events[seq:]))
        if l2_retired == self.l2.retired:
            # Nothing left to deliver and L2 makes no progress: settling would never end.
            raise Done("settled", "the machine repeats itself without L2 making progress")

    def _pending_loop(self) -> None:
        """With triggers pending, a repeated state proves a loop only if no counter that a
        pending trigger waits for has moved since: then the distance to every trigger is part
        of the state too, and the deterministic machine goes round for ever.  The counters
        only grow, so they stand still all along such a loop: the (costly) snapshots wait
        until they have stood still for STILL_ENTRIES entries in a row (a normal run moves
        them every few)."""
        progress = (self._pending, self._trigger_progress())
        if progress != self._pending_progress:  # moved on: the past is no guide
            self._pending_progress, self._pending_seen, self._still = progress, None, 0
            return
        self._still += 1
        if self._still < STILL_ENTRIES:
            return
        if self._pending_seen is None:
            self._pending_seen = {}
        state = self.snapshot()
        first = self._pending_seen.get(state)
        if first is not None:
            raise Livelock(self._undelivered_text(), describe_loop(self.trace.events[first:]))
        self._pending_seen[state] = len(self.trace.events)

    def _waited_for(self) -> list[tuple[Context | None, str | None]]:
        """The counters the pending triggers wait for: a level's retired instructions
        (context, None), or L1's VMLAUNCHes or VMRESUMEs (None, instruction).  They change
        only when a trigger fires (_fire)."""
        contexts = {"L1": self.l1, "L2": self.l2}
        return [(None if instr else contexts[level], instr)
                for (level, instr), due in self._triggers.items() if due]

    def _trigger_progress(self) -> int:
        """The sum of the counters the pending triggers wait for.  They only grow, so the sum
        moves exactly when one of them does (and, checked at every VM entry, it is cheaper
        than a tuple of them)."""
        total = 0
        for ctx, instr in self._watched:
            total += ctx.retired if ctx else self.vmx_counts[instr]
        return total

    def _l2_lap(self) -> None:
        """L2 begins its program again within one VM entry, with something still to happen
        (a trigger that does not count L2's instructions, or an interrupt undelivered) that
        only an exit could bring.  A state seen before within the same entry means L2 goes
        round without ever exiting, for ever.  (checkpoint() runs at VM entries only.)"""
        if self._next_due["L2"] != float("inf"):
            return  # L2 progresses towards a trigger of its own: it will fire
        if self._laps_entry != self._entries:
            # Most entries see one lap before L2 exits: snapshots start at the second.
            self._laps, self._laps_entry = None, self._entries
            return
        if self._laps is None:
            self._laps = {}
        state = (self.snapshot(), self._pending)
        first = self._laps.get(state)
        if first is not None:
            raise Livelock(self._undelivered_text(), describe_loop(self.trace.events[first:]))
        self._laps[state] = len(self.trace.events)

    def _out_of_steps(self):
        if self.all_delivered():
            raise Done("max_steps", f"max_steps ({self.max_steps}) reached")
        raise Livelock(f"max_steps ({self.max_steps}) reached: " + self._undelivered_text(),
                       describe_loop(self.trace.events[-200:]))

    def _undelivered_text(self) -> str:
        lost = [f"0x{r.irq.vector:02x} for {r.irq.to}" for r in self.raises
                if not self.deliveries[r.id]]
        waiting = [f"0x{i.vector:02x} at {i.at}" for i in self.pending_triggers()]
        parts = []
        if lost:
            parts.append("interrupt(s) never delivered: " + ", ".join(lost))
        if waiting:
            parts.append("trigger(s) never reached: " + ", ".join(waiting))
        return "; ".join(parts) or "no progress"

    def context_state(self) -> tuple:
        return tuple(_ctx_state(c) for c in (self.l1, self.l2)) + (
            tuple(self.l2_vapic.irr), tuple(self.l2_vapic.isr), frozenset(self.idt_page_missing),
            tuple(self.l2_nmis), self.l2_req_nmi)


# Where each stream "lives", so that a trace can show a guest RIP (kvm-trace format).
_RIP_BASE = {"L1": 0xFFFFFFFFC0A00000, "L2": 0xFFFFFFFF81000000}
_RIP_STREAM = {"program": 0x0, "exit_handler": 0x400, "irq_handler": 0x800, "nmi_handler": 0xC00}


def rip(c: Context) -> int:
    """A stand-in guest RIP: the stream's address plus 4 bytes per instruction."""
    return _RIP_BASE[c.level] + _RIP_STREAM[c.stream] + 4 * c.pc


def _ctx_state(c: Context) -> tuple:
    return (c.stream, c.pc, c.rflags_if, c.sti_blocking, c.nmi_blocking, c.activity,
            tuple(c.frames), tuple((a.name, v) for a, v in c.in_service), c.exit_work_pending,
            c.idle)


def describe_loop(events) -> str:
    """The distinct steps of a loop, in order, e.g. "L2 VMCALL exit → L1 VMRESUME → …"."""
    names: list[str] = []
    for e in events:
        if e.kind in (Kind.RETIRE, Kind.RAISE):
            continue
        label = f"{e.level} {e.name}" + (" exit" if e.kind == Kind.VMEXIT else "")
        if label not in names:
            names.append(label)
    if not names:  # nothing but retired instructions: a level going round its program
        names = list(dict.fromkeys(f"{e.level} {e.name}" for e in events if e.kind == Kind.RETIRE))
    return " → ".join(names[:12]) + (" → …" if len(names) > 12 else "")


def _streams(cfg: dict, names) -> dict[str, list[str]]:
    return {n: list(cfg[n]) for n in names}
