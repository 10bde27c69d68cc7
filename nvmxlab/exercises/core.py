"""Questions, answers and grading, shared by every exercise.

A question is made from a seed: the generator draws a variation of a bundled scenario with
`random.Random(seed)`, runs the engine and reads the answer off the run.  Nothing here knows
any answer in advance.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from .. import formats
from ..scenario import Scenario
from . import graded
from .reading import run

LETTERS = "abcdefghij"


@dataclass(frozen=True)
class OfSign:
    """A `why_not` key standing for every number answer of one sign, however far from 0:
    a misconception (the sign reversed) is not one wrong value but all of them."""

    negative: bool

    def matches(self, meant: str | int) -> bool:
        return isinstance(meant, int) and (meant < 0 if self.negative else meant > 0)


@dataclass(frozen=True)
class Solution:
    """The right answer and the worked explanation, both read from a run of the engine."""

    answer: str | int
    why: tuple[str, ...]  # short paragraphs, each pointing at steps of the trace
    trace: tuple[str, ...] = ()  # the steps of the run that show it
    accept: tuple[str, ...] = ()  # other choices that are just as right (bug hunt)
    trace_title: str = "The steps that show it:"
    hint: str = ""  # where to look, shown after a first miss; never the answer
    # Where to look more closely, shown with the first from a second miss of a graded
    # question on; never the answer either.
    second_hint: str = ""
    # A sentence for a wrong answer that is a known misconception: (that answer, or an
    # OfSign for the answers of one sign, why not).
    why_not: tuple[tuple[str | int | OfSign, str], ...] = ()


# The verdicts of a response: only "right" means the answer was right.
BLANK, FORM, RIGHT, RETRY, WRONG = "blank", "form", "right", "retry", "wrong"


@dataclass(frozen=True)
class Feedback:
    """What a learner reads after checking an answer: a verdict, a headline, paragraphs."""

    verdict: str
    head: str
    paragraphs: tuple[str, ...] = ()

    @property
    def right(self) -> bool:
        return self.verdict == RIGHT

    def text(self) -> str:
        return "\n\n".join([self.head, *self.paragraphs])


@dataclass(frozen=True)
class Question:
    title: str
    setting: tuple[str, ...]  # the experiment, in plain lines
    prompt: str
    solution: Solution
    scenario: Scenario
    choices: tuple[str, ...] = ()  # empty: the answer is a whole number
    shown: tuple[str, ...] = ()  # part of the trace (or the checker's findings) it shows
    shown_title: str = "The run so far:"
    share: str | None = None  # reproduces the scenario in `nvmxlab run` and the lab
    exercise: str = ""
    seed: int = 0

    @property
    def kind(self) -> str:
        return "choice" if self.choices else "number"

    @property
    def answer(self) -> str | int:
        return self.solution.answer

    def label(self, choice: str) -> str:
        """'b) a VM exit ...': how a choice is printed and how a learner may name it."""
        return f"{LETTERS[self.choices.index(choice)]}) {choice}"

    @property
    def graded(self) -> bool:
        """A question the course grades: its answer is shown only once it is answered right."""
        return graded.is_graded(self.exercise, self.seed)

    @property
    def answer_label(self) -> str:
        return self.label(self.answer) if self.choices else str(self.answer)

    # -- grading ---------------------------------------------------------------------------
    def interpret(self, given: object) -> str | int | None:
        """The choice or number a learner meant, or None if the answer has the wrong form."""
        if self.choices:
            return _interpret_choice(self.choices, given)
        return _interpret_number(given)

    def validate(self, given: object) -> None:
        """Raise AssertionError, saying which form is expected, if `given` cannot be graded."""
        if self.interpret(given) is not None:
            return
        if self.choices:
            letters = ", ".join(repr(LETTERS[i]) for i in range(len(self.choices)))
            expected = f"one of the letters {letters} (or the text of a choice)"
        else:
            expected = "a whole number, e.g. 3"
        raise AssertionError(f"{self.exercise} (seed {self.seed}): the answer should be "
                             f"{expected}; got {given!r}")

    def is_correct(self, given: object) -> bool:
        meant = self.interpret(given)
        return meant is not None and (meant == self.answer or meant in self.solution.accept)

    # -- text ------------------------------------------------------------------------------
    def text(self, solve: bool = False) -> str:
        lines = [f"{self.exercise} (seed {self.seed}): {self.title}", ""]
        lines += list(self.setting)
        if self.shown:
            lines += ["", self.shown_title, *(f"  {s}" for s in self.shown)]
        lines += ["", self.prompt]
        lines += [f"  {self.label(c)}" for c in self.choices]
        # A graded question's share string would let `nvmxlab run` show the whole run, answer
        # included, before the learner has tried.
        if self.share and not self.graded:
            lines += ["", f"Explore it: nvmxlab run {self.share}"]
        if solve:
            lines += ["", "Answer: " + self.answer_label, ""]
            lines += [p for para in self.solution.why for p in (para, "")]
            if self.solution.trace:
                lines += [self.solution.trace_title, *(f"  {s}" for s in self.solution.trace)]
        elif self.graded:
            lines += ["", f"Answer it in the check cell of "
                          f"{graded.where(self.exercise, self.seed)}."]
        elif self.exercise:
            lines += ["", f"Check your answer: nvmxlab exercise {self.exercise} "
                          f"--seed {self.seed} --solve"]
        return "\n".join(lines).rstrip() + "\n"

    def feedback(self, given: object) -> str:
        """The feedback after the last try: right or not, and why, from the trace (for a
        graded question, a miss still gets only hints)."""
        return self.respond(given, attempt=TRIES).text()

    def respond(self, given: object, attempt: int = 1) -> Feedback:
        """Feedback on the `attempt`-th try: a blank never counts as right; a first miss gets
        a hint (and the sentence for its misconception) and a retry; the worked answer comes
        with a right answer, or after the last try of a practice question.  A miss of a
        graded question never shows the answer: from the second miss on it gets a second,
        closer hint, and another retry."""
        if is_blank(given):
            return Feedback(BLANK, "Not answered yet: " + self.expected_form() + ".")
        meant = self.interpret(given)
        if meant is None:
            return Feedback(FORM, f"That answer cannot be graded: {self.expected_form()}; "
                                  f"got {given!r}.")
        worked = (*self.solution.why, *self._trace_block())
        if self.is_correct(given):
            return Feedback(RIGHT, f"Right: {self.answer_label}.", worked)
        mistaken = self._why_not(meant)
        if attempt < TRIES or self.graded:
            hints = [f"Hint: {self.solution.hint or 'Read the setting again, line by line.'}"]
            if attempt >= TRIES and self.solution.second_hint:
                hints.append(f"Another hint: {self.solution.second_hint}")
            return Feedback(RETRY, f"Not yet: {self._label_of(meant)} is not it.",
                            (*mistaken, *hints, "Try again."))
        return Feedback(WRONG, f"Not quite. The answer is {self.answer_label}.",
                        (*mistaken, *worked))

    def expected_form(self) -> str:
        if self.choices:
            letters = ", ".join(repr(LETTERS[i]) for i in range(len(self.choices)))
            return f"set `answer` to one of the letters {letters}, in quotes"
        return "set `answer` to a whole number, without quotes"

    def _label_of(self, meant: str | int) -> str:
        return self.label(meant) if self.choices else str(meant)

    def _why_not(self, meant: str | int) -> tuple[str, ...]:
        return tuple(sentence for wrong, sentence in self.solution.why_not
                     if (wrong.matches(meant) if isinstance(wrong, OfSign) else wrong == meant))

    def _trace_block(self) -> list[str]:
        if not self.solution.trace:
            return []
        steps = "\n".join(f"  {s}" for s in self.solution.trace)
        return [f"{self.solution.trace_title}\n{steps}"]

    def timeline(self, mode: str = "nested") -> str:
        """The whole run, step by step, without the header that would name a teaching bug."""
        return "\n".join(formats.timeline(run(self.scenario, mode).events))

    def _repr_markdown_(self) -> str:
        parts = [f"**{self.title}** — `{self.exercise}`, seed {self.seed}", "",
                 "```text", *self.setting, "```"]
        if self.shown:
            parts += [self.shown_title, "", "```text", *self.shown, "```"]
        parts += ["", self.prompt, ""]
        parts += [f"- **{LETTERS[i]})** {c}" for i, c in enumerate(self.choices)]
        return "\n".join(parts) + "\n"


# Tries before a practice question shows the worked answer: the first miss gets a hint and a
# second chance.  A graded question never shows it before the answer is right.
TRIES = 2


def is_blank(given: object) -> bool:
    """No answer at all: None (nbgrader's stub), or an empty or all-space string."""
    return given is None or (isinstance(given, str) and not given.strip())


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def _interpret_choice(choices: tuple[str, ...], given: object) -> str | None:
    if not isinstance(given, str):
        return None
    wanted = _normalise(given)
    letter = re.fullmatch(r"\(?([a-j])\)?\.?", wanted)
    if letter:
        index = LETTERS.index(letter.group(1))
        return choices[index] if index < len(choices) else None
    for choice in choices:
        if _normalise(choice) == wanted:
            return choice
    return None


def _interpret_number(given: object) -> int | None:
    # bool is an int in Python, but True is not an answer to "how many".
    if isinstance(given, bool):
        return None
    if isinstance(given, int):
        return given
    if isinstance(given, float) and given.is_integer():
        return int(given)
    if isinstance(given, str) and re.fullmatch(r"\s*-?\d+\s*", given):
        return int(given)
    return None


def shuffled_choices(rng: random.Random, answer: str, others: Iterable[str]) -> tuple[str, ...]:
    """The answer among distinct distractors, in an order that depends only on the seed."""
    # Sorted first: set or dict order must never leak into the order a seed produces.
    pool = sorted({answer, *others})
    rng.shuffle(pool)
    return tuple(pool)


@dataclass(frozen=True)
class Exercise:
    name: str
    notebook: str  # where the course teaches what the exercise needs
    summary: str
    make: Callable[[random.Random], Question] = field(repr=False)
    hint: str = ""  # where to look, for every question that brings no hint of its own
    second_hint: str = ""  # where to look more closely, after a second miss of a graded one

    def question(self, seed: int) -> Question:
        made = self.make(random.Random(seed))
        solution = replace(made.solution, hint=made.solution.hint or self.hint,
                           second_hint=made.solution.second_hint or self.second_hint)
        return replace(made, solution=solution, exercise=self.name, seed=seed)


REGISTRY: dict[str, Exercise] = {}


def exercise(name: str, notebook: str, summary: str, hint: str = "", second_hint: str = ""):
    """Register a generator: a function of a `random.Random` that returns a Question."""

    def register(make: Callable[[random.Random], Question]) -> Callable:
        REGISTRY[name] = Exercise(name, notebook, summary, make, hint, second_hint)
        return make

    return register


def question(name: str, seed: int = 0) -> Question:
    """Exercise `name`'s question at `seed` (the registry fills as the exercise modules load)."""
    if name not in REGISTRY:
        raise KeyError(f"no exercise {name!r} (there are: {', '.join(REGISTRY)})")
    return REGISTRY[name].question(seed)
