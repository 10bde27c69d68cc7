"""Notebook 05: the design debate - the same L1 view at different cost."""

from __future__ import annotations

import random
from collections import Counter

from . import reading as rd
from .core import OfSign, Question, Solution, exercise

PAIRS = (("kvm-2011-vmx", "kvm-2011-svm"), ("kvm-modern", "kvm-2011-svm"),
         ("kvm-2011-vmx", "kvm-modern"))
METRICS = {"loop_iterations": "vCPU loop iterations (passes through vcpu_enter_guest)",
           "l0_exits": "VM exits handled by L0"}


@exercise("policy-cost", "05-design-debate",
          "the same scenario under two of L0's designs: how much more work for one of them?",
          hint="Count for both policies: the SVM shape adds a loop pass that enters no guest, "
               "kvm-modern an immediate exit while nested_run_pending. Mind the sign: the "
               "second policy minus the first.",
          second_hint="Take the interrupts one at a time: does each arrive while L2 runs, or "
                      "while L0 emulates L1's VMLAUNCH or VMRESUME (nested_run_pending)? For "
                      "each, what does each policy add: a loop pass that enters no guest, an "
                      "immediate exit, or nothing?")
def policy_cost(rng: random.Random) -> Question:
    first_policy, second_policy = rng.choice(PAIRS)
    metric = rng.choice(sorted(METRICS))
    nops = rng.randint(3, 6)
    times = sorted(rng.sample(range(1, 3 * nops), rng.randint(1, 3)))
    interrupts = [{"vector": rd.random_vector(rng), "to": "L1", "at": f"L2:{t}"} for t in times]
    scenario = rd.variant("seed-interrupt", "Same view, different cost",
                          {"l2.program": ["nop"] * nops + ["vmcall"]}, interrupts)
    a = rd.run(scenario.with_overrides({"policy": first_policy}))
    b = rd.run(scenario.with_overrides({"policy": second_policy}))
    answer = b.stats[metric] - a.stats[metric]
    return Question(
        title="What does the design cost?",
        setting=("Nested, run twice: once under each policy below; L1 runs L2.",
                 *rd.setting(scenario)),
        prompt=f"Run it under {first_policy} and under {second_policy}. How many more "
               f"{METRICS[metric]} does {second_policy} take? (0 if the same, negative if "
               "fewer.)",
        solution=Solution(answer, _why(a, b, metric), _extra_steps(a, b),
                          why_not=_why_not(answer, second_policy, first_policy)),
        scenario=scenario, share=rd.share(scenario))


def _why_not(answer: int, second: str, first: str) -> tuple[tuple[int | OfSign, str], ...]:
    """The sign, for every answer of the other sign (not only for -answer, which would say
    that the size is right); and 0, for a learner who compared what L1 sees."""
    if answer == 0:
        return ()
    sign = (f"Check the sign: the question asks how many more {second} takes than {first}, "
            f"that is {second}'s count minus {first}'s; fewer is a negative number.")
    return ((0, "The views of L1 and L2 may be the same under both designs, but compare L0's "
                "work, not what L1 sees."),
            (OfSign(negative=answer > 0), sign))


def _why(a, b, metric: str) -> tuple[str, ...]:
    why = [f"{a.policy}: {a.stats[metric]} {METRICS[metric]}; {b.policy}: {b.stats[metric]}."]
    if a.l1_view == b.l1_view and a.l2_view == b.l2_view:
        why.append("L1 and L2 see exactly the same under both: the designs differ only in "
                   "what L0 does. That is the mail's point: neither is \"inherently better than "
                   "the other\"; they differ in shape and cost.")
    else:
        why.append("L1's or L2's view differs between the two: one of them is not faithful to "
                   "bare metal here - run `nvmxlab check` on each to see which.")
    for result in (a, b):
        why += _extra_work(result)
    if metric == "l0_exits":
        why.append(_exits_by_reason(a, b))
    return tuple(why)


def _extra_work(result) -> list[str]:
    """The two things one design does that another does not: skipped passes, immediate exits."""
    found = []
    skipped = sum(1 for e in result.events if e.name == "svm_vcpu_run")
    if skipped:
        found.append(f"{result.policy} passes through its loop {skipped} time(s) without "
                     "entering a guest: svm_interrupt_allowed() says no while nested, "
                     "nested_svm_intr() only sets exit_required, and the next vcpu_run pass "
                     "performs the exit to L1 - \"the extra vcpu_run iteration doing nothing\". "
                     "Such a pass is not a VM exit.")
    immediate = sum(1 for e in result.events if rd.hw_exit(e) and e.name == "PREEMPTION_TIMER")
    if immediate:
        found.append(f"{result.policy} takes {immediate} immediate exit(s) (PREEMPTION_TIMER): "
                     "-EBUSY while nested_run_pending, so that a deferred interrupt is not left "
                     "waiting for an unrelated exit.")
    return found


def _exits_by_reason(a, b) -> str:
    counts = [Counter(e.name for e in r.events if rd.hw_exit(e)) for r in (a, b)]
    differ = sorted(set(counts[0]) | set(counts[1]))
    parts = [f"{reason} {counts[0][reason]} vs {counts[1][reason]}" for reason in differ
             if counts[0][reason] != counts[1][reason]]
    return (f"Exits by reason, {a.policy} vs {b.policy}: " + (", ".join(parts) if parts else
            "the same for every reason") + ".")


def _extra_steps(a, b) -> tuple[str, ...]:
    """The steps around each pass that entered no guest, and each immediate exit."""
    lines: list[str] = []
    for result in (a, b):
        for e in result.events:
            if e.name == "svm_vcpu_run" or (rd.hw_exit(e) and e.name == "PREEMPTION_TIMER"):
                lines.append(f"[{result.policy}]")
                lines += rd.around(result, e.seq, before=2, after=1)
    return tuple(lines)
