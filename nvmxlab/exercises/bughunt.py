"""Notebook 07: a teaching bug is switched on; which one, judging by the run alone?"""

from __future__ import annotations

import random

from ..bugs import BUGS
from ..scenario import from_dict
from . import reading as rd
from .core import Question, Solution, exercise, shuffled_choices

NO_BUG = "none"
TRIES = 20


def _mystery(rng: random.Random, bug: str):
    """The bundled scenario that shows `bug`, varied; the bug stays in, the name goes."""
    base = rd.variant(f"bug-{bug}", "A mystery run")
    nops = rng.randint(3, 6)
    raw = base.to_dict()
    raw.setdefault("l2", {})["program"] = ["nop"] * nops + ["vmcall"]
    for irq in raw.get("interrupt", []):
        at = irq["at"]
        if at.startswith("L2:"):
            irq["at"] = f"L2:{rng.randint(1, nops)}"
        if irq["to"] == "L1":
            irq["vector"] = rd.random_vector(rng)
    return from_dict(raw, "a mystery run")


def signature(result) -> tuple:
    """Everything the bug hunter can observe: both views, where each interrupt went, how the
    run ended.  Two runs with the same signature cannot be told apart."""
    fates = tuple((d.delivered_to, len(d.delivered)) for d in result.deliveries)
    return (tuple(result.l1_view), tuple(result.l2_view), fates, result.status)


@exercise("bug-hunt", "07-bug-hunt",
          "a teaching bug is on: find which from the trace (answers: every bug giving this run)",
          hint="Start from the checker's first finding, then find in q.timeline() the step of "
               "L0 that caused it, and compare with each suspect's effect in the table above.",
          second_hint="For each suspect, ask what it would change first in what L1 or L2 "
                      "observe; compare that with the first point at which this run differs "
                      "from bare metal.")
def bug_hunt(rng: random.Random) -> Question:
    hidden = rng.choice(sorted(BUGS))
    scenario = _visible_variant(rng, hidden)
    candidates = [b for b in sorted(BUGS) if scenario.policy in BUGS[b].policies]
    runs = {NO_BUG: rd.run(scenario.with_overrides({"bugs": []}))}
    runs.update({b: rd.run(scenario.with_overrides({"bugs": [b]})) for b in candidates})
    observed = signature(runs[hidden])
    same = tuple(name for name, r in runs.items() if signature(r) == observed)
    comparison = rd.compare(scenario)
    return Question(
        title="Bug hunt",
        setting=(rd.nested_world(scenario) + " One teaching bug is switched on.",
                 *rd.setting(scenario)),
        shown=_findings(comparison), shown_title="What `nvmxlab check` finds:",
        prompt="Which teaching bug is switched on? (In a notebook, print(q.timeline()) shows "
               "the whole run, without naming the bug.)",
        choices=shuffled_choices(rng, hidden, [NO_BUG, *candidates]),
        solution=Solution(hidden, _why(hidden, runs, same), accept=same,
                          why_not=_why_not(runs, same)),
        scenario=scenario)


def _visible_variant(rng: random.Random, bug: str):
    """A variation in which the bug changes what L1 or L2 observe (else there is nothing to
    hunt); the unvaried bundled scenario always shows it."""
    for _ in range(TRIES):
        scenario = _mystery(rng, bug)
        if _shows(scenario):
            return scenario
    return rd.variant(f"bug-{bug}", "A mystery run")


def _shows(scenario) -> bool:
    buggy = rd.run(scenario)
    clean = rd.run(scenario.with_overrides({"bugs": []}))
    return signature(buggy) != signature(clean) and not rd.compare(scenario).ok


def _findings(comparison) -> tuple[str, ...]:
    found = [f"mismatch: {m}" for m in comparison.mismatches]
    found += [f"violation: {v}" for v in comparison.nested.violations]
    found += [f"delay: {d}" for d in comparison.delays]
    return tuple(found) or ("nothing: the run matches bare metal",)


def _why(hidden: str, runs: dict, same: tuple[str, ...]) -> tuple[str, ...]:
    why = [f"{hidden}: {BUGS[hidden].summary}"]
    if len(same) > 1:
        why.append("These produce exactly the same run here, so each is accepted: "
                   + ", ".join(same) + ".")
    why += [sentence for _, sentence in _why_not(runs, same)]
    return tuple(why)


def _why_not(runs: dict, same: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """For each suspect that does not give this run: its own mistake, and where its run would
    first differ from this one."""
    observed = runs[same[0]]
    found = []
    for name, result in runs.items():
        if name in same:
            continue
        if name == NO_BUG:
            head, with_it = "Not none: with no bug switched on the run matches bare metal.", \
                "With no bug"
        else:
            head, with_it = f"Not {name} ({BUGS[name].summary.rstrip('.')}).", "With it"
        found.append((name, f"{head} {with_it}, {_first_difference(result, observed)}"))
    return tuple(found)


def _first_difference(other, observed) -> str:
    """How the run would look with the other setting, at the first point it differs."""
    for level, mine, theirs in (("L1", other.l1_view, observed.l1_view),
                                ("L2", other.l2_view, observed.l2_view)):
        for i in range(max(len(mine), len(theirs))):
            a = rd.observation(mine[i]) if i < len(mine) else "nothing more"
            b = rd.observation(theirs[i]) if i < len(theirs) else "nothing more"
            if a != b:
                return f"{level}'s observation {i + 1} would be {a}; this run shows {b}."
    lost_then = sum(1 for d in other.deliveries if not d.delivered)
    lost_now = sum(1 for d in observed.deliveries if not d.delivered)
    return (f"{lost_then} interrupt(s) would be lost and the run would end {other.status}; "
            f"this run loses {lost_now} and ends {observed.status}.")
