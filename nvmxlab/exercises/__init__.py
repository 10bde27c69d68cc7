"""Exercises: questions made from a seed, answered by running the engine.

    nvmxlab exercise                      list them
    nvmxlab exercise bare-exit --seed 3   print one question
    nvmxlab exercise bare-exit -s 1 -c    ... and its worked answer (not for a graded one)

In a notebook, `ask(name, seed)` shows a question with immediate feedback, and
`question(name, seed)` gives the question object of a graded question.  Its check cell calls
`check()`, which says whether the learner's `answer` is right (an unanswered question says so
and raises nothing; a miss gets hints, never the answer), and nbgrader's hidden test calls
`is_correct()`.  `GRADED` holds the course's graded questions: practice skips them.  The
same seed always makes the same question; the answer is read off a run of the engine, never
from a table.
"""

from __future__ import annotations

from ..limits import shown, suggestion
from . import (  # noqa: F401  (each exercise module registers its exercises)
    ack,
    bare,
    bughunt,
    graded,
    nested,
    pending,
    policies,
    vectoring,
)
from .core import REGISTRY, Exercise, Feedback, Question, Solution, question
from .graded import GRADED
from .widget import Ask, Checked

__all__ = ["GRADED", "Exercise", "Feedback", "Question", "Solution", "ask", "check", "cli",
           "feedback", "is_correct", "names", "question", "validate"]

# The wrong answers a learner has checked so far, per question: the first miss gets a hint;
# from the second on (core.TRIES), a practice question shows its worked answer and a graded
# one a second hint instead, as a graded question never shows its answer before it is right
# (core.Question.respond).  Re-running a cell with the same answer is not a new try.
_MISSES: dict[tuple[str, int], list[object]] = {}


def names() -> list[str]:
    """The exercises in course order: by notebook, then as each notebook introduces them."""
    return [ex.name for ex in _in_course_order()]


def _in_course_order() -> list[Exercise]:
    return sorted(REGISTRY.values(), key=lambda ex: ex.notebook)


def validate(name: str, seed: int, answer: object) -> None:
    """Raise AssertionError if `answer` has the wrong form (for a graded cell's visible test)."""
    question(name, seed).validate(answer)


def is_correct(name: str, seed: int, answer: object) -> bool:
    return question(name, seed).is_correct(answer)


def feedback(name: str, seed: int, answer: object) -> str:
    return question(name, seed).feedback(answer)


def check(name: str, seed: int, answer: object):
    """The visible half of a graded question's test cell: feedback on `answer`, displayed
    under the cell.  It never raises, so "Run all" on an unanswered notebook runs to the end;
    nbgrader's hidden test (`is_correct`) gives the mark."""
    q = question(name, seed)
    misses = _MISSES.setdefault((name, seed), [])
    meant = q.interpret(answer)
    if meant is not None and not q.is_correct(answer) and meant not in misses:
        misses.append(meant)
    return Checked(q, q.respond(answer, attempt=max(len(misses), 1)))


def ask(name: str, seed: int = 0):
    """A widget: the question, a place to answer, and feedback explained from the trace."""
    return Ask(name, seed).widget


def cli(name: str | None, seed: int, solve: bool) -> int:
    """`nvmxlab exercise [NAME] [--seed N] [--solve]`; returns the exit status.  An unknown
    name, or --solve on a graded question, is a ValueError, which `cli.main` reports."""
    if name is None:
        width = max(map(len, REGISTRY))
        for ex in _in_course_order():
            print(f"{ex.name:<{width}}  {ex.notebook:<22} {ex.summary}")
        return 0
    if name not in REGISTRY:
        raise ValueError(_unknown(name))
    if solve and graded.is_graded(name, seed):
        seeds = graded.practice_seeds(name)
        raise ValueError(f"{name} --seed {seed} is {graded.where(name, seed)}: its answer is "
                         f"shown there once the answer is right, never by --solve. Practise on "
                         f"another seed, e.g. `nvmxlab exercise {name} --seed {seeds[0]} "
                         f"--solve` (practice seeds: {', '.join(map(str, seeds))}, ...)")
    print(question(name, seed).text(solve=solve), end="")
    return 0


def _unknown(name: str) -> str:
    return (f"no exercise {shown(name)}{suggestion(name, names())}; the exercises are: "
            f"{', '.join(names())}")
