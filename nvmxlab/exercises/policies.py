"""Notebook 05: the design debate - the same L1 view at different cost."""

from __future__ import annotations

import random

from . import reading as rd
from .core import Question, Solution, exercise

PAIRS = (("kvm-2011-vmx", "kvm-2011-svm"), ("kvm-modern", "kvm-2011-svm"),
         ("kvm-2011-vmx", "kvm-modern"))
METRICS = {"loop_iterations": "vCPU loop iterations (passes through vcpu_enter_guest)",
           "l0_exits": "VM exits handled by L0"}


@exercise("policy-cost", "05-design-debate",
          "the same scenario under two of L0's designs: how much more work for one of them?")
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
        solution=Solution(answer, _why(a, b, metric), _extra_steps(b)),
        scenario=scenario, share=rd.share(scenario))


def _why(a, b, metric: str) -> tuple[str, ...]:
    why = [f"{a.policy}: {a.stats[metric]} {METRICS[metric]}; {b.policy}: {b.stats[metric]}."]
    if a.l1_view == b.l1_view and a.l2_view == b.l2_view:
        why.append("L1 and L2 see exactly the same under both: the designs differ only in "
                   "what L0 does. That is the mail's point: neither is \"inherently better than "
                   "the other\"; they differ in shape and cost.")
    else:
        why.append("L1's or L2's view differs between the two: one of them is not faithful to "
                   "bare metal here - run `nvmxlab check` on each to see which.")
    skipped = [e for e in b.events if e.name == "svm_vcpu_run"]
    if skipped:
        why.append(f"{b.policy} skips entering the guest {len(skipped)} time(s): "
                   "svm_interrupt_allowed() says no while nested, nested_svm_intr() only sets "
                   "exit_required, and the next vcpu_run iteration returns without entering the "
                   "guest to perform the exit to L1 - \"the extra vcpu_run iteration doing "
                   "nothing\".")
    immediate = [e for e in b.events if e.name == "PREEMPTION_TIMER"]
    if immediate:
        why.append(f"{b.policy} takes {len(immediate)} immediate exit(s) (PREEMPTION_TIMER): "
                   "-EBUSY while nested_run_pending, so that the deferred interrupt is not "
                   "left waiting for an unrelated exit.")
    return tuple(why)


def _extra_steps(result) -> tuple[str, ...]:
    """The steps around each iteration that entered no guest, if there are any."""
    lines: list[str] = []
    for e in result.events:
        if e.name == "svm_vcpu_run":
            lines += rd.around(result, e.seq, before=2, after=1)
    return tuple(lines)
