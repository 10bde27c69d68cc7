"""A miss never gives the answer away.  Whatever a learner tries before the answer is right -
every wrong choice, numbers around the answer and every misconception an exercise knows, at
every attempt of a graded question - the feedback names no right answer (label, text or
number), quotes nothing of the worked explanation or its steps, and uses no phrase known to
state what the run does instead of pointing at what to check."""

import re

import pytest

from nvmxlab import exercises
from nvmxlab.exercises import core, graded

NAMES = exercises.names()
SEEDS = range(40)
ATTEMPTS = (1, 2, 3)

# Words that tell this run's outcome, or a setting's value read out for the learner.
EVERYWHERE = ("The answer is", "Answer:", "here it is", "Right:")
# Phrases that state a particular answer, keyed by a fragment of that answer's text (choice
# questions) or by the exercise and answer (number questions).  Each was once in a hint or in
# a sentence for a wrong choice.
STATES = {
    "with no vector in the exit": ("not valid", "stays pending", "no vector", "so L0 emulates"),
    "with vector": ("writes its vector", "already in the exit", "vector is in the exit",
                    "so the exit carries"),
    "through its own IDT at once": ("L2 can take it", "goes to whoever runs", "L2 runs with IF",
                                    "the NMI goes to"),
    "L2 takes 0x": ("L2 can take it", "goes to whoever runs", "L2 runs with IF = 1"),
    "only after a later, unrelated exit": ("L2 never has IF = 1", "L2 cannot take it",
                                           "waits until L1", "it waits"),
    "VMLAUNCH fails": ("does not offer acknowledge", "L2 never runs", "VMfailValid"),
    "EXCEPTION_NMI": ("exit reason is 0", "makes L2 exit to L1"),
    "EXTERNAL_INTERRUPT, after L2 retired 0": ("immediate exit achieves", "as on bare metal",
                                               "before L2 retires anything"),
    "VMCALL, after L2 retired": ("the 2011 code's delay", "waits for L2's next exit of any "
                                 "kind, where", "so it waits"),
    "MATCH: L1 and L2 see": ("nothing comes late", "are not a mismatch"),
    "MATCH, with a delay": ("L1 learns of the interrupt later", "reported as a delay, not"),
    "DIFFERENT": ("is a mismatch, not", "running past it"),
}
NUMBER_STATES = {
    ("bare-sti", 0): ("before running any", "already in the exit", "right after the exit"),
    ("policy-cost", None): ("sign is reversed",),
}


def tries(q) -> list:
    """What a learner may try that is not right."""
    if q.choices:
        candidates = list(q.choices)
    else:
        near = [q.answer + d for d in (-3, -2, -1, 1, 2, 3)]
        candidates = [*near, 0, -q.answer, *(n for n, _ in q.solution.why_not
                                            if not isinstance(n, core.OfSign))]
        # Answers of a sign a misconception covers, near 0 and far from it.
        for rule in (n for n, _ in q.solution.why_not if isinstance(n, core.OfSign)):
            candidates += [(-1 if rule.negative else 1) * n for n in (1, 41, 10**6)]
    return [c for c in dict.fromkeys(candidates) if not q.is_correct(c)]


def giveaways(q) -> list[str]:
    right = [q.answer, *q.solution.accept]
    found = list(EVERYWHERE)
    if q.choices:
        found += [text for a in right for text in (q.label(a), a)]
        found += [p for fragment, phrases in STATES.items() if fragment in q.answer
                  for p in phrases]
    else:
        for (name, value), phrases in NUMBER_STATES.items():
            if name == q.exercise and value in (None, q.answer):
                found += phrases
    # The worked explanation, less the sentences for wrong answers that it repeats (a bug
    # hunt's explanation goes through every suspect).
    against = {sentence for _, sentence in q.solution.why_not}
    found += [p for p in q.solution.why if len(p) > 20 and p not in against]
    found += [line for line in q.solution.trace if line.strip()]
    return found


def stated_number(text: str, n: int) -> bool:
    """`n` as a count: not a control's value (IF = 1), a bit, a section or a hex number."""
    return re.search(rf"(?<![=§.\w-])(?<!= )(?<!bit )-?\b{abs(n)}\b(?![.\w])", text) is not None


def head(q, given) -> str:
    shown = q.label(q.interpret(given)) if q.choices else str(q.interpret(given))
    return f"Not yet: {shown} is not it."


@pytest.fixture
def every_question_graded(monkeypatch):
    """Every attempt before the right answer, as a graded question's check cell gives it."""
    monkeypatch.setattr(graded, "is_graded", lambda name, seed: True)


@pytest.mark.parametrize("name", NAMES)
def test_no_miss_of_any_attempt_names_or_states_the_answer(name, every_question_graded):
    for seed in SEEDS:
        q = exercises.question(name, seed)
        shown_giveaways = giveaways(q)
        for given in tries(q):
            for attempt in ATTEMPTS:
                fb = q.respond(given, attempt)
                where = f"{name} seed {seed}, answered {given!r}, attempt {attempt}"
                assert fb.verdict == core.RETRY and fb.head == head(q, given), where
                body = "\n".join(fb.paragraphs)
                leaked = [g for g in shown_giveaways if g in body]
                assert leaked == [], f"{where}: the feedback gives away {leaked}"
                if not q.choices:
                    assert not stated_number(body, q.answer), f"{where}: {body}"


@pytest.mark.parametrize("name", NAMES)
def test_every_exercise_has_a_second_hint_that_differs_from_the_first(name):
    q = exercises.question(name, 1)
    assert q.solution.second_hint and q.solution.second_hint != q.solution.hint


def test_the_giveaway_check_catches_a_sentence_that_states_the_outcome():
    q = exercises.question("what-l1-sees", 7)
    leaking = ("L2 can take it: external-interrupt exiting is 0, the interrupt goes to whoever "
               "runs, and L2 runs with IF = 1 and no STI blocking.")
    assert "no exit: L2 takes" in q.answer
    assert [g for g in giveaways(q) if g in leaking]


def test_the_count_check_ignores_control_values_and_sections_but_not_a_count():
    assert not stated_number("IF = 1 and RFLAGS = 0x2, SDM §25.4.2, bit 3", 3)
    assert not stated_number("IF = 1 and no blocking by STI", 1)
    assert stated_number("L1 retires 3 instructions", 3)
