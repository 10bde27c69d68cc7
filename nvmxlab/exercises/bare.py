"""Notebook 01: how VMX hands an interrupt to L1 on bare metal."""

from __future__ import annotations

import random

from ..observations import ObservedExit
from ..trace import Kind
from ..vmx import ExitReason
from . import reading as rd
from .core import Question, Solution, exercise, shuffled_choices

# L2 programs that differ only in L2's IF: the lesson is what IF does and does not decide.
L2_PROGRAMS = (
    (["nop", "nop", "nop", "nop", "vmcall"], True),
    (["nop", "nop", "nop", "nop", "sti", "nop", "nop", "cli", "nop", "vmcall"], False),
    (["cli", "nop", "nop", "nop", "nop", "vmcall"], False),
)


def _controls(rng: random.Random) -> tuple[bool, bool]:
    """External-interrupt exiting and ack-on-exit; ack only matters when exiting is on."""
    exiting = rng.random() < 0.6
    return exiting, exiting and rng.random() < 0.4


@exercise("bare-exit", "01-bare-metal",
          "bare metal: does the interrupt exit to L1, with or without its vector, or go to L2?",
          hint="Start with external-interrupt exiting: does the interrupt make L2 exit at all? "
               "If it does, acknowledge interrupt on exit decides whether the vector comes "
               "with the exit. L2's IF matters only when there is no exit.",
          second_hint="Read the two controls' values in the setting. With an exit, the vector "
                      "comes only if the CPU acknowledges the interrupt as part of the exit "
                      "(SDM Vol. 3C §25.9.2). Without one, follow the interrupt from the step "
                      "it is raised: which level runs, and when does it first have IF = 1 "
                      "and no blocking by STI?")
def bare_exit(rng: random.Random) -> Question:
    exiting, ack = _controls(rng)
    program, rflags_if = rng.choice(L2_PROGRAMS)
    vector = rd.random_vector(rng)
    scenario = rd.variant(
        "seed-interrupt", "An interrupt for L1 while L2 runs, on bare metal",
        {"vmcs12.external_interrupt_exiting": exiting, "vmcs12.ack_interrupt_on_exit": ack,
         "l2.program": program, "l2.rflags_if": rflags_if},
        [{"vector": vector, "to": "L1", "at": f"L2:{rng.randint(1, 3)}"}])
    result = rd.run(scenario, "bare")
    key, step = rd.fate(result)
    answer = rd.fate_text(key, vector)
    others = [rd.fate_text(k, vector) for k in rd.FATES if k != "vmfail"]
    return Question(
        title="What happens when the interrupt arrives?",
        setting=(rd.BARE_WORLD, *rd.setting(scenario)),
        prompt=f"Interrupt {rd.hexv(vector)} is for L1 and arrives while L2 runs. "
               "What happens first?",
        choices=shuffled_choices(rng, answer, others),
        solution=Solution(answer, _bare_exit_why(scenario, result, key, step),
                          _bare_exit_steps(result, step),
                          why_not=rd.fate_why_not(scenario, "bare", key, vector)),
        scenario=scenario, share=rd.share(scenario))


def _bare_exit_why(scenario, result, key: str, step) -> tuple[str, ...]:
    vmcs12 = scenario.vmcs12
    raise_seq = rd.raised(result).seq
    why = []
    if vmcs12["external_interrupt_exiting"]:
        why.append("External-interrupt exiting is 1 (pin-based control bit 0, Linux's "
                   "PIN_BASED_EXT_INTR_MASK): an external interrupt that arrives while L2 runs "
                   "causes a VM exit to L1, whatever L2's RFLAGS.IF (SDM Vol. 3C §26.2, "
                   "\"Other Causes of VM Exits\"). L2's IF only masks interrupts that would go "
                   "through L2's own IDT.")
        if vmcs12["ack_interrupt_on_exit"]:
            why.append("Acknowledge interrupt on exit is 1: the CPU acknowledges the interrupt "
                       "as part of the exit (IRR → ISR) and writes valid | external interrupt "
                       "| vector into the VM-exit interruption-information field (§25.9.2). "
                       f"L1 reads the vector from the exit at step {step.seq}.")
        else:
            delivered = result.deliveries[0].delivered_seq
            why.append("Acknowledge interrupt on exit is 0: the exit does not acknowledge the "
                       "interrupt controller, so the interrupt stays pending in the APIC and "
                       "the exit's interruption information is not valid (§28.1). L1 learns "
                       "the vector only when it enables interrupts and the CPU delivers it "
                       f"through L1's IDT (step {delivered}).")
    else:
        why.append("External-interrupt exiting is 0: the interrupt causes no VM exit. It is "
                   "delivered through the IDT of whoever runs, and only when that level has "
                   "RFLAGS.IF = 1 and no STI blocking.")
        if key == "l2-idt":
            why.append(f"L2 runs and can take it, so it goes through L2's IDT at step "
                       f"{step.seq} (raised at step {raise_seq}); L1 sees no exit at all.")
        elif key == "l1-later":
            why.append("L2 never sets IF, so the interrupt waits in the APIC. When L2's VMCALL "
                       "exits, L1 runs; its exit handler executes STI and the CPU delivers the "
                       f"interrupt through L1's IDT at step {step.seq}.")
    return tuple(why)


def _bare_exit_steps(result, step) -> tuple[str, ...]:
    start = rd.raised(result).seq
    end = result.deliveries[0].delivered_seq or (step.seq if step else start)
    return rd.excerpt(result, start, end)


@exercise("bare-sti", "01-bare-metal",
          "bare metal: how many exit-handler instructions before L1's IDT gets the interrupt?",
          hint="First: does the vector come in the exit (acknowledge interrupt on exit)? If "
               "not, L1 runs its exit handler with IF = 0: find its STI, and remember what "
               "blocking by STI does to the instruction after it.",
          second_hint="With acknowledge interrupt on exit, L1 has the vector from the exit "
                      "itself. Without it, L1's exit handler starts with IF = 0 (a VM exit "
                      "loads RFLAGS = 0x2, SDM Vol. 3C §28.5): count the instructions it "
                      "retires until it has IF = 1 and blocking by STI (§25.4.2) has ended.")
def bare_sti(rng: random.Random) -> Question:
    ack = rng.random() < 0.25
    before, after = rng.randint(0, 3), rng.randint(1, 2)
    prefix = ["nop"] * before
    if before and rng.random() < 0.5:
        # CLI where IF is already 0 changes nothing: a distractor for careless counting.
        prefix[0] = "cli"
    handler = [*prefix, "sti", *["nop"] * after, "vmresume"]
    vector = rd.random_vector(rng)
    scenario = rd.variant(
        "seed-interrupt", "When does L1's IDT get the interrupt?",
        {"vmcs12.ack_interrupt_on_exit": ack, "l1.exit_handler": handler},
        [{"vector": vector, "to": "L1", "at": f"L2:{rng.randint(1, 3)}"}])
    result = rd.run(scenario, "bare")
    exit_, delivery, retired = _exit_then_delivery(result)
    return Question(
        title="How long does L1 wait for the vector?",
        setting=(rd.BARE_WORLD, *rd.setting(scenario)),
        prompt=f"Interrupt {rd.hexv(vector)} causes an EXTERNAL_INTERRUPT exit to L1. How many "
               "instructions of its exit handler does L1 retire before the interrupt is "
               "handed to L1's handler? (0 if L1 has the vector before running any.)",
        solution=Solution(len(retired), _bare_sti_why(scenario, exit_, delivery, retired),
                          rd.excerpt(result, exit_.seq, delivery.seq),
                          why_not=_bare_sti_why_not(scenario, retired)),
        scenario=scenario, share=rd.share(scenario))


def _exit_then_delivery(result):
    """The EXTERNAL_INTERRUPT exit L1 saw, the step that gave L1 the vector, and the L1
    instructions retired in between."""
    exit_ = rd.first(result, lambda e: (o := rd.l1_observation(e, ObservedExit)) is not None
                     and o.exit_reason == ExitReason.EXTERNAL_INTERRUPT)
    delivery = rd.first(result, lambda e: e.level == "L1" and e.kind == Kind.DELIVER,
                        after=exit_.seq - 1)
    retired = [e.name for e in result.events
               if exit_.seq < e.seq < delivery.seq and e.level == "L1" and e.kind == Kind.RETIRE]
    return exit_, delivery, retired


def _bare_sti_why_not(scenario, retired: list[str]) -> tuple[tuple[int, str], ...]:
    """The counts that come from a known misconception, each with what that count would need
    and where to look; never the count the run gives."""
    handler = scenario.l1["exit_handler"]
    if scenario.vmcs12["ack_interrupt_on_exit"]:
        waits = ("Counting exit-handler instructions assumes that L1 must wait to take the "
                 "interrupt through its IDT: check whether the exit already carries the "
                 "vector (acknowledge interrupt on exit, SDM Vol. 3C §25.9.2).")
        return tuple((n, waits) for n in range(1, len(handler)))
    at_sti = handler.index("sti") + 1
    found = {at_sti: "STI sets IF = 1, but that does not let an interrupt in at once: look up "
                     "what blocking by STI (SDM Vol. 3C §25.4.2) does to the instruction "
                     "after STI.",
             0: "0 would need L1 to have the vector before its exit handler runs: check "
                "acknowledge interrupt on exit (§25.9.2), and what a VM exit does to L1's "
                "RFLAGS.IF (§28.5).",
             len(handler) - 1: "An interrupt pending in the APIC does not wait for the end of "
                               "the exit handler: find the first instruction boundary at "
                               "which L1 can take it (IF = 1, no blocking by STI)."}
    return tuple((n, why) for n, why in sorted(found.items()) if n != len(retired))


def _bare_sti_why(scenario, exit_, delivery, retired) -> tuple[str, ...]:
    if scenario.vmcs12["ack_interrupt_on_exit"]:
        return ("Acknowledge interrupt on exit is 1: the vector is in the exit's interruption "
                "information, already acknowledged. KVM in L1 calls the handler for it right "
                f"after the exit (handle_external_interrupt_irqoff, step {delivery.seq}), before "
                "running any of its exit handler: 0 instructions.",)
    cli = "; its CLI changes nothing" if "cli" in scenario.l1["exit_handler"] else ""
    return (
        "A VM exit loads L1's host state, and RFLAGS becomes 0x2: IF = 0 (SDM Vol. 3C §28.5, "
        "\"Loading Host State\"). The interrupt stays pending in the APIC while L1 runs its "
        f"exit handler with interrupts off{cli}.",
        "STI sets IF = 1 but blocks interrupts until the next instruction completes (blocking "
        "by STI, §25.4.2). So the interrupt is delivered after the instruction that follows "
        f"STI: L1 retires {len(retired)} ({' '.join(retired)}) from the exit at step "
        f"{exit_.seq} to the delivery at step {delivery.seq}.",
    )
