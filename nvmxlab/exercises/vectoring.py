"""Notebook 06: L1 injects into L2; IDT-vectoring information and re-injection."""

from __future__ import annotations

import random

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


@exercise("idt-vectoring", "06-l1-injects",
          "L1 injects into L2: which exits does L1 see until L2 has the vector?")
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
        choices=shuffled_choices(rng, answer, [*siblings, "VMCALL, then EXTERNAL_INTERRUPT"]),
        solution=Solution(answer, _why(scenario, result, seen),
                          rd.excerpt(result, rd.raised(result).seq,
                                     result.deliveries[0].delivered_seq)),
        scenario=scenario, share=rd.share(scenario))


def _exits_until_delivery(result) -> tuple[str, list[dict]]:
    start = rd.raised(result).seq
    end = result.deliveries[0].delivered_seq
    seen = [o for e, o in result.view_events("L1")
            if start < e.seq < end and o["kind"] == "vmexit"]
    return ", then ".join(_short(o) for o in seen) or "none", seen


def _short(o: dict) -> str:
    text = o["reason"]
    if o["idt_vectoring"]:
        text += f" with IDT-vectoring {rd.hexv(o['idt_vectoring']['vector'])}"
    return text


def _why(scenario, result, seen) -> tuple[str, ...]:
    why = ["L1 learns of its device's interrupt only when it runs, i.e. at an exit; it then "
           "writes the vector into vmcs12's VM-entry interruption-information field and "
           "L0's prepare_vmcs02() copies it into vmcs02, so the CPU delivers it as part of the "
           "VM entry (SDM Vol. 3C §26.5, \"Event Injection\")."]
    reasons = [o["reason"] for o in seen]
    if "INTERRUPT_WINDOW" in reasons:
        why.append("L2 had IF = 0, so L1 could not inject yet: it set interrupt-window exiting "
                   "in vmcs12. L0 merges that control into vmcs02, and the window exit after "
                   "L2's STI is L1's, so L0 reflects it (nested_vmx_exit_reflected).")
    fault = scenario.l2["idt_fault"]
    if fault == "l1-ept":
        why.append("Delivering the vector faults in L1's EPT: the exit happens during event "
                   "delivery, so its IDT-vectoring information records the event (§27.2.3). "
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
