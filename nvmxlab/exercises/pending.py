"""Notebook 03: an interrupt at VMLAUNCH/VMRESUME, nested_run_pending and KVM_REQ_EVENT."""

from __future__ import annotations

import random

from ..limits import counted
from ..observations import ObservedExit
from ..trace import Kind
from . import reading as rd
from .core import Question, Solution, exercise, shuffled_choices

POLICIES = ("kvm-2011-vmx", "kvm-modern")
TRIGGERS = ("L1:vmlaunch", "L1:vmresume", "L1:vmresume:2")


@exercise("run-pending", "03-nested-run-pending",
          "an interrupt as L1's VMLAUNCH/VMRESUME completes: which exit does L1 see first, when?",
          hint="While nested_run_pending, L0 must enter L2 first. Then check the policy: does "
               "the deferred interrupt wait for L2's next exit, or does L0 request an immediate "
               "exit?",
          second_hint="Notebook 03 runs at-vmlaunch under both policies: for the policy shown "
                      "here, find in that notebook the first exit L1 sees after the "
                      "interrupt, then count L2's instructions in this question's program up "
                      "to it.")
def run_pending(rng: random.Random) -> Question:
    policy, trigger = rng.choice(POLICIES), rng.choice(TRIGGERS)
    nops = rng.randint(2, 5)
    vector = rd.random_vector(rng)
    scenario = rd.variant(
        "at-vmlaunch", "An interrupt at VM entry", {"policy": policy,
                                                    "l2.program": ["nop"] * nops + ["vmcall"]},
        [{"vector": vector, "to": "L1", "at": trigger}])
    result = rd.run(scenario)
    raise_ = rd.raised(result)
    exit_ = rd.first(result, lambda e: rd.l1_observation(e, ObservedExit) is not None,
                     after=raise_.seq)
    ran = sum(1 for e in result.events
              if raise_.seq < e.seq < exit_.seq and e.level == "L2" and e.kind == Kind.RETIRE)
    answer = _exit_after(rd.l1_observation(exit_, ObservedExit).exit_reason.name, ran)
    others = [_exit_after(r, n) for r in ("EXTERNAL_INTERRUPT", "VMCALL") for n in (0, nops)]
    return Question(
        title="nested_run_pending",
        setting=(rd.nested_world(scenario), *rd.setting(scenario)),
        prompt=f"Interrupt {rd.hexv(vector)} for L1 arrives {rd.when(scenario.interrupts[0].at)}, "
               "while L0 emulates that instruction. Which exit does L1 see first after that, "
               "and how many instructions has L2 retired since the VM entry?",
        choices=shuffled_choices(rng, answer, others),
        solution=Solution(answer, _run_pending_why(scenario, result, exit_, ran),
                          rd.excerpt(result, raise_.seq, exit_.seq),
                          why_not=_run_pending_why_not(nops)),
        scenario=scenario, share=rd.share(scenario))


def _run_pending_why_not(nops: int) -> tuple[tuple[str, str], ...]:
    """What each choice would need, and what to check; not which policy does what."""
    return (
        (_exit_after("EXTERNAL_INTERRUPT", 0),
         "That is what bare metal shows. Nested, L0 is still emulating L1's instruction "
         "(nested_run_pending): check what the policy shown does with an interrupt then - "
         "does it get L2 to exit at once, or let the interrupt wait (notebook 03)?"),
        (_exit_after("VMCALL", nops),
         "A VMCALL exit first means that L0 let the interrupt wait for L2's next exit of any "
         "kind: check whether the policy shown does that while nested_run_pending, or "
         "requests an immediate exit (notebook 03)."),
        (_exit_after("EXTERNAL_INTERRUPT", nops),
         "L2 gets through all of its instructions only when it reaches its VMCALL, and a "
         "VMCALL always exits (SDM Vol. 3C §26.1.2): ask which exit L1 would see first if L2 "
         "got that far."),
        (_exit_after("VMCALL", 0),
         "A VMCALL exit can only come after L2 has retired the instructions before its "
         "VMCALL."),
    )


def _exit_after(reason: str, ran: int) -> str:
    return f"{reason}, after L2 retired {counted(ran, 'instruction')}"


def _run_pending_why(scenario, result, exit_, ran: int) -> tuple[str, ...]:
    bare = rd.run(scenario, "bare")
    bare_exit = rd.first(bare, lambda e: rd.l1_observation(e, ObservedExit) is not None,
                         after=rd.raised(bare).seq)
    bare_ran = sum(1 for e in bare.events if rd.raised(bare).seq < e.seq < bare_exit.seq
                   and e.level == "L2" and e.kind == Kind.RETIRE)
    reason = rd.l1_observation(exit_, ObservedExit).exit_reason.name
    why = ["On bare metal the VM entry completes and the pending interrupt causes an "
           "EXTERNAL_INTERRUPT exit before L2's first instruction: bare metal shows "
           f"{_exit_after(rd.l1_observation(bare_exit, ObservedExit).exit_reason.name, bare_ran)}."]
    why.append("In the nested world L0 is still emulating L1's instruction: "
               "nested_vmx_run() set nested_run_pending, and L0 may not exit to L1 before L2 "
               "has run the VM entry it promised (an event L1 injected would otherwise be "
               "lost).")
    if any(e.name == "request_immediate_exit" for e in result.events):
        why.append("kvm-modern: vmx_check_nested_events() returns -EBUSY, so "
                   "kvm_check_and_inject_events() requests an immediate exit. L0 enters L2 "
                   "with the VMX-preemption timer at 0; L2 exits before retiring anything, "
                   "nested_run_pending is cleared, and the next iteration emulates the "
                   "EXTERNAL_INTERRUPT exit: L1 sees "
                   f"{_exit_after(reason, ran)}, as on bare metal.")
    else:
        why.append("kvm-2011-vmx: vmx_interrupt_allowed() returns 0 while nested_run_pending, "
                   "and enable_irq_window() returns early in guest mode - \"the interrupt "
                   "will be injected later\". Later means L2's next exit of any kind, where "
                   "vmx_handle_exit() has kept KVM_REQ_EVENT armed. So L1 sees "
                   f"{_exit_after(reason, ran)}, and takes the interrupt after that "
                   "exit's STI.")
    return tuple(why)


VERDICTS = ("MATCH: L1 and L2 see what they would see on bare metal",
            "MATCH, with a delay reported",
            "DIFFERENT: a mismatch")
# For each right verdict, the sentence against each wrong one.
VERDICT_WHY_NOT = {
    VERDICTS[0]: ((VERDICTS[1], "A delay is reported only when an interrupt reaches L1 later "
                                "in L2's progress than on bare metal: compare, nested and on "
                                "bare metal, how many instructions L2 has retired when L1 "
                                "learns of each interrupt."),
                  (VERDICTS[2], "A mismatch needs L1 or L2 to observe something that bare "
                                "metal does not show; L0's own exits and loop passes are "
                                "observed by neither. Compare the two views, not L0's work.")),
    VERDICTS[1]: ((VERDICTS[0], "A plain match needs every observation at the same point of "
                                "L2's progress as on bare metal: compare, nested and on bare "
                                "metal, how many instructions L2 has retired when L1 learns "
                                "of the interrupt."),
                  (VERDICTS[2], "A mismatch needs L1 or L2 to observe something that no bare-"
                                "metal run shows. Ask whether what differs could happen on "
                                "bare metal if the interrupt arrived at another moment.")),
    VERDICTS[2]: ((VERDICTS[0], "A match needs the same observations at the same point of L2's "
                                "progress as on bare metal: compare the exit at which L1 "
                                "learns of the interrupt."),
                  (VERDICTS[1], "A delay is only what bare metal could also show with the "
                                "interrupt arriving later. Check where the interrupt is when "
                                "L1's VM entry completes, and what the CPU must do with an "
                                "interrupt already pending at VM entry.")),
}
BASES = ("at-vmlaunch", "at-vmresume-modern", "pending-at-vmresume", "seed-interrupt")


@exercise("verdict", "03-nested-run-pending",
          "will `nvmxlab check` find that L1 sees what it would see on bare metal?",
          hint="The checker compares only what L1 and L2 observe, and at what point of L2's "
               "progress; extra work for L0 does not count. Where is the interrupt when L1's "
               "VM entry completes?",
          second_hint="Work out both runs: on bare metal, which exit does L1 see first for "
                      "the interrupt, after how many of L2's instructions? Then nested, under "
                      "the policy shown (notebook 03's scenarios). Same exit at the same "
                      "point, the same exit later, or something bare metal cannot show?")
def verdict(rng: random.Random) -> Question:
    base, policy = rng.choice(BASES), rng.choice(POLICIES)
    nops = rng.randint(2, 5)
    scenario = rd.variant(base, "Same as bare metal?",
                          {"policy": policy, "l2.program": ["nop"] * nops + ["vmcall"]})
    comparison = rd.compare(scenario)
    if not comparison.ok:
        answer = VERDICTS[2]
    else:
        answer = VERDICTS[1] if comparison.delays else VERDICTS[0]
    return Question(
        title="Will the checker call it a match?",
        setting=(rd.nested_world(scenario), *rd.setting(scenario)),
        prompt="`nvmxlab check` runs this scenario nested and on bare metal and compares what "
               "L1 and L2 observe. What does it report?",
        choices=shuffled_choices(rng, answer, VERDICTS),
        solution=Solution(answer, _verdict_why(comparison), _side_by_side(comparison),
                          trace_title="What L1 saw:",
                          why_not=VERDICT_WHY_NOT.get(answer, ())),
        scenario=scenario, share=rd.share(scenario))


def _verdict_why(comparison) -> tuple[str, ...]:
    found = [*comparison.mismatches, *comparison.nested.violations, *comparison.delays]
    if not found:
        return ("Every observation of L1 and L2 - exits, their reasons and information, "
                "deliveries through each IDT, VM entries - is the same as on bare metal, at "
                "the same point of L2's progress.",)
    return (*found, *comparison.notes)


def _side_by_side(comparison) -> tuple[str, ...]:
    nested, bare = comparison.nested.l1_view, comparison.reference.l1_view
    lines = ["L1's view, nested | bare metal"]
    for i in range(max(len(nested), len(bare))):
        left = rd.observation(nested[i]) if i < len(nested) else "-"
        right = rd.observation(bare[i]) if i < len(bare) else "-"
        mark = "  " if left == right else "≠ "
        lines.append(f"{mark}{left:<52} | {right}")
    return tuple(lines)
