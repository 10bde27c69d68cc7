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

from ..scenario import Scenario

LETTERS = "abcdefghij"


@dataclass(frozen=True)
class Solution:
    """The right answer and the worked explanation, both read from a run of the engine."""

    answer: str | int
    why: tuple[str, ...]  # short paragraphs, each pointing at steps of the trace
    trace: tuple[str, ...] = ()  # the steps of the run that show it
    accept: tuple[str, ...] = ()  # other choices that are just as right (bug hunt)
    trace_title: str = "The steps that show it:"


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
        if self.share:
            lines += ["", f"Explore it: nvmxlab run {self.share}"]
        if solve:
            lines += ["", "Answer: " + self.answer_label, ""]
            lines += [p for para in self.solution.why for p in (para, "")]
            if self.solution.trace:
                lines += [self.solution.trace_title, *(f"  {s}" for s in self.solution.trace)]
        elif self.exercise:
            lines += ["", f"Check your answer: nvmxlab exercise {self.exercise} "
                          f"--seed {self.seed} --solve"]
        return "\n".join(lines).rstrip() + "\n"

    def feedback(self, given: object) -> str:
        """What a learner reads after answering: right or not, and why, from the trace."""
        meant = self.interpret(given)
        if meant is None:
            try:
                self.validate(given)
            except AssertionError as problem:
                return str(problem)
        if self.is_correct(given):
            head = f"Right: {self.answer_label}."
        else:
            head = f"Not quite. The answer is {self.answer_label}."
        return "\n\n".join([head, *self.solution.why, *self._trace_block()])

    def _trace_block(self) -> list[str]:
        if not self.solution.trace:
            return []
        steps = "\n".join(f"  {s}" for s in self.solution.trace)
        return [f"{self.solution.trace_title}\n{steps}"]

    def timeline(self, mode: str = "nested") -> str:
        """The whole run, step by step, without the header that would name a teaching bug."""
        from .. import formats
        from .reading import run

        return "\n".join(formats.timeline(run(self.scenario, mode).events))

    def _repr_markdown_(self) -> str:
        parts = [f"**{self.title}** — `{self.exercise}`, seed {self.seed}", "",
                 "```text", *self.setting, "```"]
        if self.shown:
            parts += [self.shown_title, "", "```text", *self.shown, "```"]
        parts += ["", self.prompt, ""]
        parts += [f"- **{LETTERS[i]})** {c}" for i, c in enumerate(self.choices)]
        return "\n".join(parts) + "\n"


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

    def question(self, seed: int) -> Question:
        return replace(self.make(random.Random(seed)), exercise=self.name, seed=seed)


REGISTRY: dict[str, Exercise] = {}


def exercise(name: str, notebook: str, summary: str):
    """Register a generator: a function of a `random.Random` that returns a Question."""

    def register(make: Callable[[random.Random], Question]) -> Callable:
        REGISTRY[name] = Exercise(name, notebook, summary, make)
        return make

    return register
