"""The checker: invariants of one run, and what L1 and L2 saw nested versus on bare metal.

It judges by effects only - an event lost, late, duplicated or sent to the wrong level - and
never looks at which teaching bug, if any, is switched on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .result import Result
from .scenario import Scenario


def invariant_violations(result: Result) -> list[str]:
    """Every raised interrupt delivered exactly once, to its level, only when allowed."""
    out: list[str] = []
    vmcs12 = result.scenario.vmcs12
    for d in result.deliveries:
        name = f"interrupt 0x{d.vector:02x} for {d.to} (raised at {d.at})"
        if not d.delivered:
            out.append(f"{name} was never delivered: lost")
            continue
        if len(d.delivered) > 1:
            levels = ", ".join(lvl for _, lvl, _ in d.delivered)
            out.append(f"{name} was delivered {len(d.delivered)} times (to {levels})")
        for _, level, _ in d.delivered:
            if level == d.to:
                continue
            # An event for L1 reaches L2's IDT only when L1 let it (pin-based control 0).
            exiting = "nmi_exiting" if d.type == "nmi" else "external_interrupt_exiting"
            if d.to == "L1" and level == "L2" and not vmcs12[exiting]:
                continue
            out.append(f"{name} was delivered to {level}: the wrong level")
    events = {e.seq: e for e in result.events if e.kind == "deliver" and e.data}
    for e in events.values():
        if not e.data.get("allowed", True):
            out.append(f"vector 0x{e.data['vector']:02x} was delivered to {e.level} while "
                       f"{e.level} had interrupts blocked (IF = 0 or STI blocking), step {e.seq}")
    if result.status == "livelock":
        out.append(f"livelock: {result.detail}; stuck in: {result.loop}")
    for text in result.never_raised:
        out.append(f"interrupt {text} was never raised: the run never got there")
    return out


@dataclass
class Comparison:
    """Nested versus bare metal.  `ok` when nothing but delays differs."""

    nested: Result
    bare: Result
    mismatches: list[str] = field(default_factory=list)
    delays: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches and not self.nested.violations

    def to_json(self) -> dict:
        return {
            "format": 1, "scenario": self.nested.scenario.name, "policy": self.nested.policy,
            "ok": self.ok, "mismatches": self.mismatches, "delays": self.delays,
            "notes": self.notes, "violations": self.nested.violations,
            "bare_violations": self.bare.violations,
            "l1_view": {"nested": self.nested.l1_view, "bare": self.bare.l1_view},
            "l2_view": {"nested": self.nested.l2_view, "bare": self.bare.l2_view},
            "stats": {"nested": self.nested.stats, "bare": self.bare.stats},
        }


def check(scenario: Scenario, policy: str | None = None) -> Comparison:
    from .engine import run
    return compare(run(scenario, "nested", policy), run(scenario, "bare"))


def compare(nested: Result, bare: Result) -> Comparison:
    c = Comparison(nested, bare)
    _compare_view(c, "L1", nested.l1_view, bare.l1_view, _immediate_exits(bare))
    _compare_view(c, "L2", nested.l2_view, bare.l2_view, set())
    # A run can end before raising every interrupt: compare those both worlds raised.
    for n, b in zip(nested.deliveries, bare.deliveries, strict=False):
        if n.delivered and b.delivered and n.delivered_to != b.delivered_to:
            c.mismatches.append(f"interrupt 0x{n.vector:02x} went to {n.delivered_to}; on bare "
                                f"metal it went to {b.delivered_to}")
    if c.mismatches and not nested.scenario.bugs:
        c.notes.extend(documented_differences(nested.scenario, nested.policy, c.mismatches))
    return c


def _strip(view: list[dict]) -> list[dict]:
    return [{k: v for k, v in o.items() if k != "l2_retired"} for o in view]


def _compare_view(c: Comparison, level: str, nested: list[dict], bare: list[dict],
                  immediate: set[int]) -> None:
    sn, sb = _strip(nested), _strip(bare)
    if sn != sb:
        pairs = enumerate(zip(sn, sb, strict=False))
        i = next((k for k, (a, b) in pairs if a != b), min(len(sn), len(sb)))
        saw = describe(nested[i]) if i < len(nested) else "nothing more"
        ref = describe(bare[i]) if i < len(bare) else "nothing more"
        c.mismatches.append(f"{level}'s view differs at observation {i + 1}: nested, {level} saw "
                            f"{saw}; on bare metal, {ref}")
        return
    for i, (a, b) in enumerate(zip(nested, bare, strict=True)):
        if a.get("l2_retired") == b.get("l2_retired"):
            continue
        late = a["l2_retired"] - b["l2_retired"]
        what = describe(b)
        if i in immediate:
            c.mismatches.append(
                f"{what} came {late} L2 instructions late: the interrupt was already pending "
                "at VM entry, and the SDM requires the exit before L2's first instruction")
        else:
            word = "later" if late > 0 else "earlier"
            c.delays.append(f"{what} reached {level} {abs(late)} L2 instructions {word} than "
                            "on bare metal")


def _immediate_exits(bare: Result) -> set[int]:
    """Indices of L1 observations that are exits L2 took before its first instruction after
    a VM entry, with an external interrupt already pending."""
    out: set[int] = set()
    view = bare.l1_view
    last_entry_retired = None
    retired = 0
    for i, o in enumerate(view):
        if o["kind"] == "entry":
            last_entry_retired = retired
        elif o["kind"] == "vmexit":
            if (o["reason"] == "EXTERNAL_INTERRUPT" and last_entry_retired is not None
                    and o["l2_retired"] == last_entry_retired):
                out.add(i)
            retired = o["l2_retired"]
            last_entry_retired = None
    return out


def describe(o: dict) -> str:
    kind = o["kind"]
    if kind == "vmexit":
        text = f"a VM exit ({o['reason']}"
        text += f", vector 0x{o['intr_info']['vector']:02x}" if o.get("intr_info") else \
            (", no vector" if o["reason"] == "EXTERNAL_INTERRUPT" else "")
        if o.get("idt_vectoring"):
            text += f", IDT-vectoring 0x{o['idt_vectoring']['vector']:02x}"
        if o.get("guest_activity_state") == "hlt":
            text += ", L2 halted"
        return text + ")"
    if kind == "irq":
        return f"interrupt 0x{o['vector']:02x} through its IDT"
    if kind == "nmi":
        return "an NMI through its IDT (vector 2)"
    if kind == "vmfail":
        return f"VMfailValid (VM-instruction error {o['error']})"
    if kind == "entry":
        return "a successful VM entry into L2"
    return kind


def documented_differences(scenario: Scenario, policy: str, mismatches: list[str]) -> list[str]:
    """Known, documented ways a policy differs from hardware, for the mismatches found."""
    notes = []
    text = " ".join(mismatches)
    old = policy in ("kvm-2011-vmx", "kvm-2011-svm")
    if old and scenario.vmcs12["ack_interrupt_on_exit"]:
        notes.append(f"documented: {policy} does not offer VM_EXIT_ACK_INTR_ON_EXIT to L1 (the "
                     "seed patch refuses it), so L1's VM entry fails with VM-instruction "
                     "error 7; kvm-modern supports it")
    if policy == "kvm-2011-vmx" and ("late" in text or "VMCALL" in text):
        notes.append("documented: under kvm-2011-vmx an interrupt that arrives while "
                     "nested_run_pending (or with L1's interrupt window open on vmcs01 at "
                     "VMRESUME) waits for L2's next exit; KVM later fixed this with an "
                     "immediate exit (2014) and KVM_REQ_EVENT on nested entry (2018)")
    if old and "halted" in text:
        notes.append(f"documented: {policy} does not report the HLT activity state in vmcs12 "
                     "(nested VMX gained it in 2013)")
    lets_through = not scenario.vmcs12["external_interrupt_exiting"] or (
        not scenario.vmcs12["nmi_exiting"] and any(i.type == "nmi" for i in scenario.interrupts))
    if lets_through and "nothing more" in text:
        notes.append("known limit of the model: L1 lets this event through to L2, L2 could not "
                     "take it before exiting to L1, and the window L0 had opened on vmcs02 is "
                     "dropped at the nested VM exit; L0 looks again only at its next "
                     "KVM_REQ_EVENT, which on a real host some unrelated event soon requests, "
                     "and in this closed model nothing does")
    if policy == "kvm-2011-svm" and "IDT-vectoring" in text:
        notes.append("documented: the 2011 SVM shape exits to L1 before the VMRUN's event "
                     "injection is delivered and reports the event in exit_int_info "
                     "(IDT-vectoring info); hardware VMX delivers it first")
    return notes
