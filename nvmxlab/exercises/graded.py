"""The course's graded questions: the (exercise, seed) pairs that a check cell of the nbgrader
course grades, and the notebook each is in.

A graded question is answered in its notebook only: the practice widget skips it, the
command line prints it without its worked answer or its share string, and `check()` never
shows its answer before the answer is right.  `tests/course/test_graded.py` fails when this
table and the check cells of `course/source/nested-irq/` differ.
"""

from __future__ import annotations

# (exercise, seed) -> (notebook, graded question's number in it)
GRADED: dict[tuple[str, int], tuple[str, str]] = {
    ("bare-exit", 3): ("01-bare-metal", "1.1"),
    ("bare-sti", 7): ("01-bare-metal", "1.2"),
    ("next-exit", 4): ("02-nested-injection", "2.1"),
    ("l0-exits", 2): ("02-nested-injection", "2.2"),
    ("run-pending", 3): ("03-nested-run-pending", "3.1"),
    ("verdict", 7): ("03-nested-run-pending", "3.2"),
    ("what-l1-sees", 7): ("04-ack-on-exit", "4.1"),
    ("policy-cost", 4): ("05-design-debate", "5.1"),
    ("idt-vectoring", 6): ("06-l1-injects", "6.1"),
    ("nmi", 3): ("06-l1-injects", "6.2"),
    ("bug-hunt", 5): ("07-bug-hunt", "7.1"),
}


def is_graded(name: str, seed: int) -> bool:
    return (name, seed) in GRADED


def where(name: str, seed: int) -> str:
    """'graded question 1.1 in notebook 01-bare-metal'."""
    notebook, number = GRADED[(name, seed)]
    return f"graded question {number} in notebook {notebook}"


def practice_seeds(name: str, count: int = 3, start: int = 1) -> list[int]:
    """The first `count` seeds from `start` on that no graded question uses."""
    seeds: list[int] = []
    seed = start
    while len(seeds) < count:
        if not is_graded(name, seed):
            seeds.append(seed)
        seed += 1
    return seeds


def next_practice_seed(name: str, seed: int) -> int:
    """The first seed after `seed` that no graded question uses."""
    return practice_seeds(name, 1, seed + 1)[0]
