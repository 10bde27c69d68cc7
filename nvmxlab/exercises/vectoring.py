"""Notebook 06: L1 injects into L2; IDT-vectoring information and re-injection."""

from __future__ import annotations

import random

from ..observations import ObservedExit
from ..trace import Kind
from . import reading as rd
from .core import Question, Solution, exercise, shuffled_choices

FAULTS = ("none", "l0-ept", "l1-ept")
# L2 programs: one that can always take an interrupt, and one whose VMCALL comes while its
# IF = 0, so that L1 has to wait for L2's STI.
L2_PROGRAMS = (
    (["nop", "nop", "nop", "nop", "vmcall"], True),
    (["nop", "nop", "vmcall", "nop", "sti", "nop", "nop", "cli"], False),
)


def _variant(policy: str, fault: str, program, rflags_if: bool, vector: int, at: str):
    return rd.variant("l1-injects-l2", "L1 injects an interrupt into L2",
                      {"policy": policy, "l2.idt_fault": fault, "l2.program": program,
                       "l2.rflags_if": rflags_if},
                      [{"vector": vector, "to": "L2", "at": at}])


NOT_EXTERNAL = "VMCALL, then EXTERNAL_INTERRUPT"


@exercise("idt-vectoring", "06-l1-injects",
          "L1 injects into L2: which exits does L1 see until L2 has the vector?",
          hint="L1 can inject only at a VM entry, so it first needs an exit from L2; then check "
               "whether the delivery into L2 faults in an EPT, and in whose.",
          second_hint="In order: the exit that lets L1 run and inject at all; an interrupt "
                      "window, if L2 cannot take the vector at that entry; an EPT violation "
                      "during the delivery, if the missing page is in an EPT that L1 "
                      "manages. An exit for L0's own EPT is L0's business alone.")
def idt_vectoring(rng: random.Random) -> Question:
    policy = rng.choice(("kvm-2011-vmx", "kvm-modern"))
    program, rflags_if = rng.choice(L2_PROGRAMS)
    vector, at = rd.random_vector(rng, 0x40), f"L2:{rng.randint(1, 3)}"
    fault = rng.choice(FAULTS)
    scenario = _variant(policy, fault, program, rflags_if, vector, at)
    result = rd.run(scenario)
    answer, seen = _exits_until_delivery(result)
    # The other choices are what the sibling experiments really show: the engine makes the
    # distractors too, so each of them is a right answer to a nearby question.
    siblings = [_exits_until_delivery(rd.run(_variant(policy, f, p, i, vector, at)))[0]
                for f in FAULTS for p, i in L2_PROGRAMS]
    return Question(
        title="What does L1 see while it injects?",
        setting=(rd.nested_world(scenario), *rd.setting(scenario)),
        prompt=f"Vector {rd.hexv(vector)} is for L2: L1 (its device model) injects it at a VM "
               "entry. Which VM exits does L1 see, in order, from the moment it is raised "
               "until L2 takes it through L2's IDT?",
        choices=shuffled_choices(rng, answer, [*siblings, NOT_EXTERNAL]),
        solution=Solution(answer, _why(scenario, result, seen),
                          rd.excerpt(result, rd.raised(result).seq,
                                     result.deliveries[0].delivered_seq),
                          why_not=((NOT_EXTERNAL, "An interrupt for L2 never makes L2 exit "
                                    "with EXTERNAL_INTERRUPT: it is raised in L1's own device "
                                    "model, and L1 injects it at a VM entry."),)),
        scenario=scenario, share=rd.share(scenario))


def _exits_until_delivery(result) -> tuple[str, list[ObservedExit]]:
    start = rd.raised(result).seq
    end = result.deliveries[0].delivered_seq
    seen = [o for e, o in result.view_events("L1")
            if start < e.seq < end and isinstance(o, ObservedExit)]
    return ", then ".join(_short(o) for o in seen) or "none", seen


def _short(o: ObservedExit) -> str:
    text = o.exit_reason.name
    if o.idt_vectoring_info:
        text += f" with IDT-vectoring {rd.hexv(o.idt_vectoring_info.vector)}"
    return text


def _why(scenario, result, seen) -> tuple[str, ...]:
    why = ["L1 learns of its device's interrupt only when it runs, i.e. at an exit; it then "
           "writes the vector into vmcs12's VM-entry interruption-information field and "
           "L0's prepare_vmcs02() copies it into vmcs02, so the CPU delivers it as part of the "
           "VM entry (SDM Vol. 3C §27.5, \"Event Injection\")."]
    reasons = [o.exit_reason.name for o in seen]
    if "INTERRUPT_WINDOW" in reasons:
        why.append("L2 had IF = 0, so L1 could not inject yet: it set interrupt-window exiting "
                   "in vmcs12. L0 merges that control into vmcs02, and the window exit after "
                   "L2's STI is L1's, so L0 reflects it (nested_vmx_exit_reflected).")
    fault = scenario.l2["idt_fault"]
    if fault == "l1-ept":
        why.append("Delivering the vector faults in L1's EPT: the exit happens during event "
                   "delivery, so its IDT-vectoring information records the event (§28.2.3). "
                   "The fault is L1's, so L0 reflects the exit and copies the event into "
                   "vmcs12's IDT-vectoring field - it must not re-inject it itself, which is "
                   "why the seed patch makes vmx_complete_interrupts() do nothing in guest "
                   "mode. L1 maps the page and injects the vector again.")
    elif fault == "l0-ept":
        why.append("Delivering the vector faults in L0's EPT: the exit is L0's alone. L0 maps "
                   "the page and re-injects the event from the IDT-vectoring information into "
                   "vmcs02. L1 sees nothing of it, as on bare metal where there is no L0.")
    delivered = result.deliveries[0]
    why.append(f"L2 takes {rd.hexv(delivered.vector)} exactly once, at step "
               f"{delivered.delivered_seq}.")
    return tuple(why)


NMI_PROGRAMS = (
    (["nop", "nop", "nop", "nop", "vmcall"], True),
    (["cli", "nop", "nop", "nop", "nop", "sti", "nop", "nop", "vmcall"], False),
)
NMI_DISTRACTORS = (
    "L2 exits to L1: EXTERNAL_INTERRUPT, with no vector in the exit",
    "L2 exits to L1: EXCEPTION_NMI, with vector 0x02 in the exit",
    "no exit: L2 takes the NMI through its own IDT at once",
    "no exit: L2 takes the NMI through its own IDT, but only after its STI",
)


@exercise("nmi", "06-l1-injects",
          "an NMI for L1 while L2 runs: an exit (which one), or straight into L2, and when?",
          hint="Look at NMI exiting first; and remember that RFLAGS.IF never masks an NMI.",
          second_hint="With NMI exiting (pin-based control bit 3), which exit reason does an "
                      "NMI give, and is the exit's interruption information valid (SDM Vol. "
                      "3C §25.9.2)? Without it, which level runs when the NMI arrives, and "
                      "can anything but blocking by NMI hold it back?")
def nmi(rng: random.Random) -> Question:
    exiting = rng.random() < 0.5
    program, rflags_if = rng.choice(NMI_PROGRAMS)
    scenario = rd.variant(
        "nmi-exiting", "An NMI for L1",
        {"vmcs12.nmi_exiting": exiting, "vmcs12.virtual_nmis": exiting, "l2.program": program,
         "l2.rflags_if": rflags_if},
        [{"type": "nmi", "to": "L1", "at": f"L2:{rng.randint(1, 3)}"}])
    result = rd.run(scenario)
    answer, steps = _nmi_fate(result)
    return Question(
        title="Where does the NMI go?",
        setting=(rd.nested_world(scenario), *rd.setting(scenario)),
        prompt="An NMI for L1 arrives while L2 runs. What happens first?",
        choices=shuffled_choices(rng, answer, NMI_DISTRACTORS),
        solution=Solution(answer, _nmi_why(scenario), steps,
                          why_not=_nmi_why_not(scenario.vmcs12["nmi_exiting"])),
        scenario=scenario, share=rd.share(scenario))


def _nmi_why_not(exiting: bool) -> tuple[tuple[str, str], ...]:
    external, exception, at_once, after_sti = NMI_DISTRACTORS
    found = [(external, "An NMI never causes an EXTERNAL_INTERRUPT exit: external-interrupt "
                        "exiting is for maskable interrupts, and NMIs have a pin-based control "
                        "of their own (SDM Vol. 3C §25.6.1): check NMI exiting."),
             (after_sti, "Waiting for STI needs an event that RFLAGS.IF masks: check what IF "
                         "does to an NMI.")]
    if exiting:
        found.append((at_once, "Going through L2's IDT needs an NMI that causes no VM exit: "
                               "check NMI exiting (pin-based control bit 3)."))
    else:
        found.append((exception, "An EXCEPTION_NMI exit needs NMI exiting (pin-based control "
                                 "bit 3) = 1: check that control."))
    return tuple(found)


def _nmi_fate(result) -> tuple[str, tuple[str, ...]]:
    start = rd.raised(result).seq
    end = result.deliveries[0].delivered_seq
    exit_ = rd.first(result, lambda e: rd.l1_observation(e, ObservedExit) is not None, after=start)
    if exit_ is not None and exit_.seq <= end:
        seen = rd.l1_observation(exit_, ObservedExit)
        info = seen.exit_intr_info
        carried = f"with vector {rd.hexv(info.vector)}" if info else "with no vector"
        return (f"L2 exits to L1: {seen.exit_reason.name}, {carried} in the exit",
                rd.excerpt(result, start, exit_.seq))
    ran = sum(1 for e in result.events
              if start < e.seq < end and e.level == "L2" and e.kind == Kind.RETIRE)
    when = "at once" if ran == 0 else f"after retiring {ran} more instructions"
    return (f"no exit: L2 takes the NMI through its own IDT {when}",
            rd.excerpt(result, start, end))


def _nmi_why(scenario) -> tuple[str, ...]:
    if scenario.vmcs12["nmi_exiting"]:
        return ("NMI exiting (pin-based control bit 3) is 1: the NMI causes a VM exit with "
                "exit reason 0, EXCEPTION_NMI - there is no separate NMI reason - and the "
                "VM-exit interruption information is always valid: type NMI, vector 2 (SDM "
                "Vol. 3C §25.9.2). Nothing stays pending: the exit is the delivery, and NMIs "
                "stay blocked until L1's IRET.",
                "RFLAGS.IF never masks an NMI, so L2's IF is irrelevant. Modern KVM emulates "
                "the exit in vmx_check_nested_events() and clears nmi_pending: \"The "
                "NMI-triggered VM exit counts as injection\".")
    return ("NMI exiting is 0: the NMI goes through the IDT of whoever runs - L2 - at vector "
            "2. IF does not mask NMIs, so L2's CLI does not delay it; only blocking by NMI "
            "(an NMI handler still running) would.",
            "L0 does the same: vmx_check_nested_events() sees that L1 does not exit on NMIs "
            "and the normal injection path injects the NMI into L2 through vmcs02.")
