"""Notebook 02: nested injection, the seed patch's way (kvm-2011-vmx)."""

from __future__ import annotations

import random

from ..observations import ObservedExit
from ..trace import Kind
from . import reading as rd
from .core import Question, Solution, exercise, shuffled_choices

# Why the CPU takes each kind of exit in these runs: the lesson behind an answer.
REASONS = {
    "EXTERNAL_INTERRUPT": "An interrupt arrived while a guest ran on the real CPU. L0 is not "
    "running, so it takes the CPU back the only way it can: kvm_vcpu_kick() sends a reschedule "
    "IPI, a physical interrupt, and L0 always exits on those. This exit is L0's own; L1 never "
    "sees it.",
    "INTERRUPT_WINDOW": "L0 could not inject the interrupt while L1 had IF = 0, so "
    "enable_irq_window() set interrupt-window exiting on vmcs01. The CPU exits as soon as L1 "
    "can take interrupts: after its STI and the one instruction of STI blocking.",
    "VMCALL": "VMCALL always causes a VM exit in VMX non-root operation (SDM Vol. 3C §26.1.2). "
    "L0 sees that L1 asked for it (nested_vmx_exit_reflected) and emulates the exit to L1.",
    "VMRESUME": "L1 is a guest too: its VMRESUME exits to L0 (§26.1.3), which emulates it in "
    "nested_vmx_run() by building vmcs02 from vmcs12.",
    "VMLAUNCH": "L1 is a guest too: its VMLAUNCH exits to L0 (§26.1.3), which emulates it in "
    "nested_vmx_run() by building vmcs02 from vmcs12.",
    "MSR_WRITE": "L1's EOI is a write to the x2APIC EOI register, an MSR that L0 intercepts "
    "because it emulates L1's local APIC (kvm_x2apic_msr_write).",
    "PREEMPTION_TIMER": "L0 asked for an immediate exit: it entered the guest with the "
    "VMX-preemption timer at 0, so the CPU exits before the guest retires anything.",
}
# When each exit can come at all: the sentence for a learner who predicted it too early.
ONLY_WHEN = {
    "EXTERNAL_INTERRUPT": "An EXTERNAL_INTERRUPT exit comes only when a physical interrupt - "
    "such as the kick's reschedule IPI - arrives while a guest runs on the CPU.",
    "INTERRUPT_WINDOW": "An INTERRUPT_WINDOW exit comes only once L0 has set interrupt-window "
    "exiting and the guest can take interrupts: IF = 1 and STI blocking over.",
    "VMCALL": "A VMCALL exit comes only when L2 executes its VMCALL, after its other "
    "instructions.",
    "VMRESUME": "A VMRESUME exit comes only when L1 executes VMRESUME, at the end of its exit "
    "handler.",
    "MSR_WRITE": "An MSR_WRITE exit comes only when L1 writes its EOI (an x2APIC register), at "
    "the end of its interrupt handler.",
}
EXIT_NAMES = ("EXTERNAL_INTERRUPT", "INTERRUPT_WINDOW", "VMCALL", "VMRESUME", "MSR_WRITE")
# Steps where L0 has just decided something: good places to stop and ask "what next?".
DECISIONS = (Kind.NESTED_VMEXIT, Kind.WINDOW, Kind.INJECT, Kind.ENTERED, Kind.KICK, Kind.RAISE)


def _seed_variant(rng: random.Random, title: str, trigger: str | None = None):
    nops = rng.randint(2, 5)
    handler = ["nop"] * rng.randint(0, 2) + ["sti"] + ["nop"] * rng.randint(1, 2) + ["vmresume"]
    vector = rd.random_vector(rng)
    at = trigger or f"L2:{rng.randint(1, nops + 3)}"
    return rd.variant(
        "seed-interrupt", title,
        {"l2.program": ["nop"] * nops + ["vmcall"], "l1.exit_handler": handler},
        [{"vector": vector, "to": "L1", "at": at}])


@exercise("next-exit", "02-nested-injection",
          "nested, 2011 VMX: what is the next VM exit the CPU takes (the next one L0 handles)?",
          hint="Look at the last step shown: what has L0 just set up, which level runs next, "
               "and with which IF?",
          second_hint="Follow the run past the last step shown: which level does L0 enter "
                      "next, and which of its next instructions cannot complete without L0? "
                      "If L0 has opened an interrupt window, when can that level take "
                      "interrupts?")
def next_exit(rng: random.Random) -> Question:
    scenario = _seed_variant(rng, "What does the CPU exit on next?")
    result = rd.run(scenario)
    stop, exit_ = _checkpoint(rng, result)
    answer = exit_.name
    others = rng.sample(sorted(n for n in EXIT_NAMES if n != answer), 3)
    why = [f"After step {stop.seq}, the next VM exit is at step {exit_.seq}: {answer} "
           f"({exit_.why})."]
    if answer in REASONS:
        why.append(REASONS[answer])
    return Question(
        title="Predict the next exit",
        setting=(rd.nested_world(scenario), *rd.setting(scenario)),
        shown=rd.excerpt(result, 0, stop.seq),
        prompt=f"The run is shown up to step {stop.seq}. What is the next VM exit the CPU "
               "takes (every one of them goes to L0 first)?",
        choices=shuffled_choices(rng, answer, others),
        solution=Solution(answer, tuple(why), rd.excerpt(result, stop.seq + 1, exit_.seq),
                          why_not=tuple((o, ONLY_WHEN[o]) for o in others if o in ONLY_WHEN)),
        scenario=scenario, share=rd.share(scenario))


def _checkpoint(rng: random.Random, result):
    """A step where L0 has just acted, around the interrupt, and the exit that follows it."""
    raise_seq = rd.raised(result).seq
    delivered = result.deliveries[0].delivered_seq or raise_seq
    pairs = []
    for e in result.events:
        if e.kind in DECISIONS and raise_seq - 8 <= e.seq <= delivered + 12:
            following = rd.first(result, rd.hw_exit, after=e.seq)
            if following is not None:
                pairs.append((e, following))
    return rng.choice(pairs)


@exercise("l0-exits", "02-nested-injection",
          "nested, 2011 VMX: how many VM exits does L0 handle before L2 retires its next "
          "instruction?",
          hint="Every VM exit goes to L0 first, including the ones L1 never sees. Follow the "
               "run from the interrupt, step by step, and count each time the CPU leaves L1 "
               "or L2 for L0.",
          second_hint="L1 is a guest of L0 too: besides L2's exits, count L1's own - its VMX "
                      "instructions, the APIC registers L0 emulates for it, and windows L0 "
                      "opens on it. And an L2 instruction that exits, such as VMCALL, retires "
                      "only after its exit has been handled.")
def l0_exits(rng: random.Random) -> Question:
    trigger = "L1:1" if rng.random() < 0.3 else None
    scenario = _seed_variant(rng, "How many exits does it cost?", trigger)
    result = rd.run(scenario)
    raise_ = rd.raised(result)
    resume = rd.first(result, lambda e: e.level == "L2" and e.kind == Kind.RETIRE,
                      after=raise_.seq)
    exits = [e for e in result.events if raise_.seq < e.seq < resume.seq and rd.hw_exit(e)]
    return Question(
        title="Count L0's exits",
        setting=(rd.nested_world(scenario), *rd.setting(scenario)),
        shown=rd.excerpt(result, 0, raise_.seq),
        prompt=f"The run is shown up to the interrupt (step {raise_.seq}). How many VM exits "
               "does the CPU take - each one handled by L0 - from then until L2 retires its "
               "next instruction? (Count up to that instruction: a VM entry into L2 does not "
               "end the count, and an L2 instruction that exits, such as VMCALL, retires only "
               "once its exit is handled.)",
        solution=Solution(len(exits), _l0_exits_why(result, exits, resume),
                          rd.excerpt(result, raise_.seq, resume.seq),
                          why_not=_l0_exits_why_not(result, exits, raise_, resume)),
        scenario=scenario, share=rd.share(scenario))


def _l0_exits_why_not(result, exits, raise_, resume) -> tuple[tuple[int, str], ...]:
    """Counting only the exits L1 sees is the misconception this exercise is about."""
    seen = [o for e, o in result.view_events("L1")
            if raise_.seq < e.seq < resume.seq and isinstance(o, ObservedExit)]
    if len(seen) == len(exits):
        return ()
    return ((len(seen), "That is the number of exits L1 sees. L0 handles every exit first, "
                        "also the ones that are its own business and that L1 never sees: look "
                        "for those too."),)


def _l0_exits_why(result, exits, resume) -> tuple[str, ...]:
    listed = ", ".join(f"{e.name} (step {e.seq})" for e in exits)
    why = [f"{len(exits)} exits before L2 retires an instruction again at step {resume.seq}: "
           f"{listed}."]
    why += [f"{name}: {REASONS[name]}" for name in dict.fromkeys(e.name for e in exits)
            if name in REASONS]
    l1_sees = [o for o in result.l1_view if isinstance(o, ObservedExit)]
    why.append(f"On bare metal there is no L0 and none of these exits exists. Over the whole "
               f"run L1 sees {len(l1_sees)} exits; L0 handles {result.stats['l0_exits']}.")
    return tuple(why)
