"""The checker: what L1 and L2 saw nested versus on bare metal (the invariants of one run are
the result's own, `Result.violations`).

It judges by effects only - an event lost, late, duplicated or sent to the wrong level - and
never looks at which teaching bug, if any, is switched on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .observations import Observation, ObservedEntry, ObservedExit, ObservedNmi, ObservedVmFail
from .result import Result
from .scenario import Scenario, from_dict
from .trace import Fact, Kind
from .vmx import VMXERR_ENTRY_INVALID_CONTROL_FIELD, ExitReason

# The exits an interrupt or NMI for L1 causes (external-interrupt exiting, NMI exiting).
_EVENT_EXITS = (ExitReason.EXTERNAL_INTERRUPT, ExitReason.EXCEPTION_NMI)
# L1's VM entry refused for a control L0 does not offer.
_REFUSED = ObservedVmFail(VMXERR_ENTRY_INVALID_CONTROL_FIELD)


@dataclass
class Comparison:
    """Nested versus bare metal.  `ok` when nothing but delays differs."""

    nested: Result
    bare: Result
    mismatches: list[str] = field(default_factory=list)
    delays: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # An exit for an event pending at VM entry came after L2 ran: never a delay (_immediate_exits).
    late_after_pending_entry: bool = False
    # The bare-metal run that proved a delay (the interrupt raised later); else None.
    delayed_reference: Result | None = None
    # The note among `notes` that says why L1's VM entry was refused (VM-instruction error 7
    # for a control L0 does not offer), recognised by that fact; else "".
    refused_entry: str = ""

    @property
    def reference(self) -> Result:
        """The bare-metal run the nested run is shown against: the one that proved a delay,
        if `check` found one, else the scenario's own."""
        return self.delayed_reference or self.bare

    @property
    def ok(self) -> bool:
        return not self.mismatches and not self.nested_only_violations

    @property
    def nested_only_violations(self) -> list[str]:
        """The nested run's violations, less a livelock that bare metal has too: L1's own
        software loops there as well, so the loop is the scenario's, not L0's."""
        if not loop_alike(self.nested, self.bare):
            return self.nested.violations
        # The loops' descriptions differ (L0's steps appear only nested); the rest is the same
        # text in both worlds when both wait for the same things.
        return [v for v in self.nested.violations
                if not v.startswith("livelock: ") and v not in self.bare.violations]

    def to_json(self) -> dict:
        return {
            "format": 1, "scenario": self.nested.scenario.name, "policy": self.nested.policy,
            "ok": self.ok, "mismatches": self.mismatches, "delays": self.delays,
            "notes": self.notes, "violations": self.nested.violations,
            "bare_violations": self.bare.violations,
            "l1_view": {"nested": _json(self.nested.l1_view), "bare": _json(self.bare.l1_view)},
            "l2_view": {"nested": _json(self.nested.l2_view), "bare": _json(self.bare.l2_view)},
            "stats": {"nested": self.nested.stats, "bare": self.bare.stats},
        }


def _json(view: list[Observation]) -> list[dict]:
    return [o.to_json() for o in view]


# Runs a scenario on bare metal (engine.run): how the checker proves a delay (_arrived_later).
RunBare = Callable[[Scenario], Result]


def compare(nested: Result, bare: Result, run_bare: RunBare) -> Comparison:
    """Compare a nested run with the bare-metal run of the same scenario.  A comparison of
    the two results; `run_bare` runs bare metal with an interrupt raised later, only to prove
    that a difference is a delay."""
    c = _compare(nested, bare)
    if c.mismatches and not nested.violations:
        later = _arrived_later(c, run_bare)
        if later:
            c.mismatches.clear()
            c.delays.append(later)
    if c.mismatches and not nested.scenario.bugs:
        c.notes.extend(documented_differences(nested, bare))
        c.refused_entry = _refused_control_note(nested)
    if loop_alike(nested, bare) and not c.mismatches:
        c.notes.append(f"both worlds livelock: bare metal loops the same way ({bare.loop}), "
                       f"so the loop is the scenario's own, not L0's; {bare.detail}")
    return c


def _compare(nested: Result, bare: Result) -> Comparison:
    c = Comparison(nested, bare)
    l1n, l1b = _same_progress(nested, bare, nested.l1_view, bare.l1_view)
    l2n, l2b = _same_progress(nested, bare, nested.l2_view, bare.l2_view)
    _compare_view(c, "L1", l1n, l1b, _immediate_exits(bare))
    _compare_view(c, "L2", l2n, l2b, set())
    # A run can end before raising every interrupt: compare those both worlds raised.
    for n, b in zip(nested.deliveries, bare.deliveries, strict=False):
        if n.delivered and b.delivered and n.delivered_to != b.delivered_to:
            c.mismatches.append(f"interrupt 0x{n.vector:02x} went to {n.delivered_to}; on bare "
                                f"metal it went to {b.delivered_to}")
    return c


def _arrived_later(c: Comparison, run_bare: RunBare) -> str:
    """Hardware promises nothing about when an asynchronous interrupt arrives.  If the nested
    observations equal a bare-metal run in which one interrupt for L1 was raised later - at
    the point where the nested run delivered it - the difference is a delay: re-run bare
    metal to prove it.  Not for an exit the SDM requires before L2's first instruction (the
    interrupt was already pending at VM entry)."""
    nested, bare = c.nested, c.bare
    if c.late_after_pending_entry:
        return ""
    scenario = nested.scenario
    pending_at_entry = _pending_at_entry(bare)
    for n, b in zip(nested.deliveries, bare.deliveries, strict=False):
        if n.to != "L1" or not n.delivered or not b.delivered or b.index in pending_at_entry:
            continue
        for trigger in _arrival_points(nested, n):
            raw = scenario.to_dict()
            raw["interrupt"][n.index]["at"] = trigger
            try:
                later = run_bare(from_dict(raw, scenario.source))
            except ValueError:  # a trigger the scenario rules refuse
                continue
            if later.violations or _compare(nested, later).mismatches:
                continue
            what = "an NMI" if n.type == "nmi" else f"interrupt 0x{n.vector:02x}"
            c.delayed_reference = later
            return (f"{what} for L1 arrived later than on bare metal: the nested run equals "
                    f"bare metal with it raised at {trigger} instead of {n.at}")
    return ""


def _pending_at_entry(bare: Result) -> set[int]:
    """Interrupts whose first L1-visible exit on bare metal came before L2's first
    instruction after a VM entry: they had arrived already, they cannot arrive later."""
    immediate = _immediate_exits(bare)
    exits = [(e.seq, i) for i, (e, o) in enumerate(bare.view_events("L1"))
             if isinstance(o, ObservedExit)]
    out = set()
    for d in bare.deliveries:
        after = [i for seq, i in exits if seq > d.raised_seq]
        if after and after[0] in immediate:
            out.add(d.index)
    return out


def _arrival_points(nested: Result, d) -> list[str]:
    """Where, in guest-visible progress, the nested run took interrupt `d`: L2's count at
    the nested exit that handed it to L1 and at its delivery, and L1's count there."""
    first = d.delivered[0][0]
    retired = {"L1": 0, "L2": 0}
    at_exit = l1_at_raise = None
    # Once, not at each step: an enum member's lookup is slow in Python 3.11.
    retire, nested_vmexit = Kind.RETIRE, Kind.NESTED_VMEXIT
    for e in nested.events:
        if e.seq >= first:
            break
        if e.seq >= d.raised_seq and l1_at_raise is None:
            l1_at_raise = retired["L1"]
        if e.kind == retire:
            retired[e.level] += 1
        elif e.kind == nested_vmexit and e.seq > d.raised_seq:
            at_exit = retired["L2"]
    points = [f"L2:{k}" for k in dict.fromkeys((at_exit, retired["L2"])) if k]
    # "L1:k" fires as L1 retires its k-th instruction.  If L1 retired none between the raise
    # and the delivery (an exit to L1 took it at once, as when L0's kick ranks below a window
    # exit L1 asked for), L1:k lies before the raise: the first point after it is L1:k+1.
    k = retired["L1"] + (retired["L1"] == l1_at_raise)
    if k:
        points.append(f"L1:{k}")
    return points


def _cut(r: Result) -> bool:
    """The run was stopped, not finished: by max_steps (which counts trace events, and the
    nested world makes more of them) or because the machine repeats itself (a state that
    comes back sooner in the world with less state)."""
    return r.status == "max_steps" or (
        r.status == "settled" and r.detail.startswith("the machine repeats itself"))


_MAX_STEPS_PREFIX = "max_steps ("


def loop_alike(nested: Result, bare: Result) -> bool:
    """Both worlds livelocked waiting for the same things (the same interrupts undelivered,
    the same triggers never reached), whether a repeated state or max_steps stopped them: each
    world finds its loop at its own point (the nested one has more state, and makes more
    trace events per observation)."""
    return (nested.status == bare.status == "livelock"
            and _stuck_on(nested) == _stuck_on(bare)
            and nested.never_raised == bare.never_raised)


def _stuck_on(r: Result) -> str:
    detail = r.detail
    if detail.startswith(_MAX_STEPS_PREFIX):
        detail = detail.split(": ", 1)[-1]
    return detail


def _same_progress(nested: Result, bare: Result, vn: list[Observation],
                   vb: list[Observation]):
    """Both views up to the same guest-visible progress: where one run was cut (or both
    livelocked alike) while its observations so far are a prefix of the other's, compare
    only that prefix."""
    if len(vn) == len(vb):
        return vn, vb
    short, long_, run = (vn, vb, nested) if len(vn) < len(vb) else (vb, vn, bare)
    if (_cut(run) or loop_alike(nested, bare)) and _strip(short) == _strip(long_[:len(short)]):
        return vn[:len(short)], vb[:len(short)]
    return vn, vb


def _strip(view: list[Observation]) -> list[Observation]:
    return [o.progress_free() for o in view]


def _compare_view(c: Comparison, level: str, nested: list[Observation],
                  bare: list[Observation], immediate: set[int]) -> None:
    sn, sb = _strip(nested), _strip(bare)
    if sn != sb:
        pairs = enumerate(zip(sn, sb, strict=False))
        i = next((k for k, (a, b) in pairs if a != b), min(len(sn), len(sb)))
        saw = nested[i].describe() if i < len(nested) else "nothing more"
        ref = bare[i].describe() if i < len(bare) else "nothing more"
        c.mismatches.append(f"{level}'s view differs at observation {i + 1}: nested, {level} saw "
                            f"{saw}; on bare metal, {ref}")
        return
    for i, (a, b) in enumerate(zip(nested, bare, strict=True)):
        # Equal but for l2_retired (see _strip): only exits record L2's progress.
        if not isinstance(a, ObservedExit) or a.l2_retired == b.l2_retired:
            continue
        late = a.l2_retired - b.l2_retired
        what = b.describe()
        if i in immediate:
            c.late_after_pending_entry = True
            c.mismatches.append(
                f"{what} came {late} L2 instructions late: the interrupt was already pending "
                "at VM entry, and the SDM requires the exit before L2's first instruction")
        else:
            word = "later" if late > 0 else "earlier"
            c.delays.append(f"{what} reached {level} {abs(late)} L2 instructions {word} than "
                            "on bare metal")


def _immediate_exits(bare: Result) -> set[int]:
    """Indices of L1 observations that are exits for an interrupt or NMI taken before L2's
    first instruction after a VM entry: the event was pending at entry, and the SDM requires
    the exit there (read off the bare-metal trace: no L2 instruction between entry and exit)."""
    out: set[int] = set()
    index = -1
    since_entry: bool | None = None  # did L2 retire anything since the last entry?
    retire = Kind.RETIRE  # once: an enum member's lookup is slow in 3.11
    for e in bare.events:
        if e.kind == retire and e.level == "L2" and since_entry is not None:
            since_entry = True
        for level, o in e.views:
            if level != "L1":
                continue
            index += 1
            if isinstance(o, ObservedEntry):
                since_entry = False
            elif isinstance(o, ObservedExit):
                if o.exit_reason in _EVENT_EXITS and since_entry is False:
                    out.add(index)
                since_entry = None
    return out


def documented_differences(nested: Result, bare: Result) -> list[str]:
    """Known, documented ways a design differs from hardware, each recognised by a fact of the
    two runs (never by the words of a mismatch, never by a bug's name)."""
    notes = [note] if (note := _refused_control_note(nested)) else []
    policy, vmcs12 = nested.policy, nested.scenario.vmcs12
    old = policy in ("kvm-2011-vmx", "kvm-2011-svm")
    if policy == "kvm-2011-vmx" and _deferred_at_entry(nested.events):
        notes.append("documented: under kvm-2011-vmx an interrupt that arrives while "
                     "nested_run_pending, or that L1 left pending with its interrupt window open "
                     "on vmcs01 at VMRESUME, waits for L2's next exit; KVM later fixed this "
                     "with an immediate exit (2014) and KVM_REQ_EVENT on nested entry (2018)")
    if old and _halted(bare.l1_view) and not _halted(nested.l1_view):
        notes.append(f"documented: {policy} does not report the HLT activity state in vmcs12 "
                     "(nested VMX gained it in 2013)")
    window = _window_exit_over_pending_event(bare)
    if window:
        notes.append(f"documented, KVM's difference from hardware: on bare metal the "
                     f"{window} exit L1 asked for came first, as the SDM's priority requires "
                     "(26.7.5, 26.7.6: window exits take priority over the interrupt or NMI "
                     "they wait for); KVM's nested event check (vmx_check_nested_events() "
                     "today, vmx_interrupt_allowed() in 2011) never looks at vmcs12's window "
                     "controls, so it exits to L1 for the event itself (or, with the exiting "
                     "control off, injects it into L2) - today's comment above "
                     "vmx_check_nested_events() lists the window exits ahead, its code does "
                     "not check them (upstream, to date)")
    if _window_woke_halted_l2(bare) and _l0_halted_l2(nested):
        notes.append("documented, KVM's difference from hardware: on bare metal the window "
                     "exit L1 asked for wakes L2 from its HLT (SDM 26.7.5: window exits wake "
                     "the processor like an external interrupt); KVM emulates L2's HLT and "
                     "wakes the vCPU only for an event kvm_vcpu_has_events() sees, and "
                     "vmx_has_nested_events() counts the preemption timer, MTF and virtual "
                     "interrupts, not vmcs12's window controls (upstream, to date)")
    merged = Fact.MERGED
    if any(merged in e.facts for e in bare.events):
        notes.append("documented: two NMIs for L1 were pending at once; the processor's NMI "
                     "pin latches one, so on bare metal they merged, while KVM's process_nmi() "
                     "keeps up to two pending (\"x86 is limited to one NMI running, and one "
                     "NMI pending after it\") and delivers both: the model shows both and does "
                     "not arbitrate")
    if vmcs12["nmi_exiting"] and not vmcs12["virtual_nmis"] and any(
            isinstance(o, ObservedNmi) for o in bare.l2_view):
        notes.append("documented, KVM's difference from hardware: with NMI exiting and no "
                     "virtual NMIs, L2's IRET does not lift its NMI blocking (SDM 26.3, "
                     "\"IRET\"); KVM builds vmcs02 with its own pin controls, virtual NMIs "
                     "included (prepare_vmcs02_early: vmcs12's | vmcs01's), so there L2's IRET "
                     "lifts it and vmcs12 reports NMIs unblocked")
    if _window_dropped(nested):
        notes.append("documented, KVM's gap until 2025: L1 lets this event through to L2, L2 "
                     "could not take it before exiting to L1, and the nested VM exit dropped "
                     "the window L0 had opened on vmcs02 without requesting KVM_REQ_EVENT, so "
                     "the event waits for an unrelated one (late, at another level, or in this "
                     "closed model never); fixed by Sean Christopherson's \"KVM: nVMX: Process "
                     "events on nested VM-Exit if injectable IRQ or NMI is pending\" "
                     "(February 2025), which kvm-modern models")
    inject = Kind.INJECT
    if any(e.kind == inject and e.data and e.data.get("overwrote") for e in nested.events):
        notes.append("documented: with external-interrupt exiting off, the seed's "
                     "vmx_interrupt_allowed() does not look at nested_run_pending, so L0 "
                     "injects L1's interrupt into vmcs02 over the event L1 asked to inject at "
                     "VMRESUME, which is lost (later KVM refuses while nested_run_pending)")
    if policy == "kvm-2011-vmx" and any(
            isinstance(o, ObservedExit) and o.exit_reason == ExitReason.EXTERNAL_INTERRUPT
            and o.idt_vectoring_info for o in nested.l1_view):
        notes.append("documented: the seed exits to L1 with EXTERNAL_INTERRUPT while an event "
                     "for L2 awaits re-injection, and L1 sees it in IDT-vectoring info; from "
                     "2012 vmx_interrupt_allowed() returned 0 while vmcs12's IDT-vectoring "
                     "info was valid")
    if policy == "kvm-2011-svm" and _idt_vectoring_count(nested) > _idt_vectoring_count(bare):
        notes.append("documented: the 2011 SVM shape exits to L1 before the VMRUN's event "
                     "injection is delivered and reports the event in exit_int_info "
                     "(IDT-vectoring info); hardware VMX delivers it first")
    return notes


def _refused_control_note(nested: Result) -> str:
    """Why L1's VM entry failed with VM-instruction error 7, when the facts are a control the
    policy does not offer (the 2011 code leaves VM_EXIT_ACK_INTR_ON_EXIT out) set in vmcs12
    and L1 seeing that VMfail; else ""."""
    policy = nested.policy
    old = policy in ("kvm-2011-vmx", "kvm-2011-svm")
    if old and nested.scenario.vmcs12["ack_interrupt_on_exit"] and _REFUSED in nested.l1_view:
        return (f"documented: {policy} does not offer VM_EXIT_ACK_INTR_ON_EXIT to L1 (the seed "
                "patch refuses it), so L1's VM entry fails with VM-instruction error 7; "
                "kvm-modern supports it")
    return ""


def _halted(view: list[Observation]) -> bool:
    return any(isinstance(o, ObservedExit) and o.halted for o in view)


def _idt_vectoring_count(result: Result) -> int:
    return sum(1 for o in result.l1_view
               if isinstance(o, ObservedExit) and o.idt_vectoring_info)


def _deferred_at_entry(events) -> bool:
    """L0 entered L2 with an interrupt for L1 it knew of and did not act on: deferred for
    nested_run_pending, or left behind an interrupt window open on vmcs01."""
    window_on_vmcs01 = False
    # Once, not at each step: an enum member's lookup is slow in Python 3.11.
    held_back, window, nested_vmenter = (Fact.NESTED_RUN_PENDING, Kind.WINDOW,
                                         Kind.NESTED_VMENTER)
    for e in events:
        if e.level != "L0":
            continue
        if held_back in e.facts:
            return True
        if e.kind == window:
            vmcs = (e.data or {}).get("vmcs")
            if vmcs == "vmcs01":
                window_on_vmcs01 = e.name.startswith("enable")
        elif e.kind == nested_vmenter and window_on_vmcs01:
            return True
    return False


def _window_dropped(result: Result) -> bool:
    """A nested VM exit while L0 had a window open on vmcs02, and no KVM_REQ_EVENT for it
    before the next VM entry."""
    open_on_vmcs02 = dropped = False
    # Once, not at each step: an enum member's lookup is slow in Python 3.11.
    window, nested_vmexit, request, vmentry = (Kind.WINDOW, Kind.NESTED_VMEXIT, Kind.REQUEST,
                                               Kind.VMENTRY)
    for e in result.events:
        if e.level == "L0" and e.kind == window and (e.data or {}).get("vmcs") == "vmcs02":
            open_on_vmcs02 = e.name.startswith("enable")
        elif e.kind == nested_vmexit and open_on_vmcs02:
            open_on_vmcs02, dropped = False, True
        elif dropped and e.kind == request and Fact.ON_NESTED_VMEXIT in e.facts:
            dropped = False
        elif dropped and e.kind == vmentry:
            return True
    return dropped

def _window_exit_over_pending_event(bare: Result) -> str:
    """The window exit ("interrupt-window" or "NMI-window") that bare metal took while an
    event for L1 of the kind it waits for was pending, or ""."""
    pending = {"external": [], "nmi": []}
    for d in bare.deliveries:
        if d.to == "L1":
            pending[d.type].append((d.raised_seq, d.delivered_seq))
    # SDM 6.9 with 26.7.5/26.7.6: NMI-window exits > NMIs > interrupt-window exits >
    # external interrupts.
    kinds = {"INTERRUPT_WINDOW": (("external",), "interrupt-window"),
             "NMI_WINDOW": (("nmi", "external"), "NMI-window")}
    vmexit = Kind.VMEXIT  # once: an enum member's lookup is slow in 3.11
    for e in bare.events:
        if e.kind != vmexit or e.name not in kinds:
            continue
        lower, label = kinds[e.name]
        if any(raised < e.seq and (done is None or e.seq < done)
               for kind in lower for raised, done in pending[kind]):
            return label
    return ""


def _window_woke_halted_l2(bare: Result) -> bool:
    """Bare metal took a window exit while L2 waited in the HLT state it entered itself."""
    halted = False
    halt, vmexit = Kind.HALT, Kind.VMEXIT  # once: an enum member's lookup is slow in 3.11
    for e in bare.events:
        if e.level == "L2":
            halted = e.kind == halt
        elif e.kind == vmexit:
            if halted and e.name in ("INTERRUPT_WINDOW", "NMI_WINDOW"):
                return True
            halted = False
    return False


def _l0_halted_l2(nested: Result) -> bool:
    halt = Kind.HALT  # once: an enum member's lookup is slow in 3.11
    return any(e.level == "L0" and e.kind == halt and (e.data or {}).get("level") == "L2"
               for e in nested.events)
