"""The course's graded questions are known to the package (`exercises.GRADED`): practice never
reaches them, and the command line prints them without their answer or their run."""

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nvmxlab import cli, exercises
from nvmxlab.exercises import graded

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "course" / "source" / "nested-irq"
CHECK = re.compile(r'exercises\.check\("([\w-]+)", (\d+), answer\)')
HEADING = re.compile(r"\*\*Graded question (\d+\.\d+)\.\*\*")
NAMES = exercises.names()


def graded_in_notebooks() -> dict[tuple[str, int], tuple[str, str]]:
    """Each graded check cell's (exercise, seed), with its notebook and the number its prompt
    cell gives it."""
    found = {}
    for path in sorted(SOURCE.glob("*.ipynb")):
        number = None
        for cell in json.loads(path.read_text())["cells"]:
            text = "".join(cell["source"])
            if heading := HEADING.search(text):
                number = heading.group(1)
            if cell["metadata"].get("nbgrader", {}).get("grade"):
                (name, seed), = CHECK.findall(text)
                found[(name, int(seed))] = (path.stem, number)
    return found


def test_the_package_knows_exactly_the_questions_the_course_notebooks_grade():
    assert graded_in_notebooks() == exercises.GRADED


def printed(capsys, *argv: str) -> tuple[int, str, str]:
    status = cli.main(["exercise", *argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize(("name", "seed"), sorted(exercises.GRADED))
def test_solve_refuses_a_graded_question_naming_it_its_notebook_and_practice_seeds(
        name, seed, capsys):
    status, out, err = printed(capsys, name, "--seed", str(seed), "--solve")
    notebook, number = exercises.GRADED[(name, seed)]
    assert (status, out) == (2, "")
    assert err.startswith("nvmxlab: error: ") and len(err.splitlines()) == 1
    assert f"{name} --seed {seed} is graded question {number} in notebook {notebook}" in err
    practice = graded.practice_seeds(name)
    assert f"practice seeds: {', '.join(map(str, practice))}" in err
    assert f"`nvmxlab exercise {name} --seed {practice[0]} --solve`" in err
    assert not any(exercises.GRADED.get((name, s)) for s in practice)
    q = exercises.question(name, seed)
    assert "Answer:" not in err and not (q.choices and q.answer_label in err)


@pytest.mark.parametrize(("name", "seed"), sorted(exercises.GRADED))
def test_a_graded_question_is_printed_without_its_run_and_says_where_to_answer_it(
        name, seed, capsys):
    status, out, _ = printed(capsys, name, "--seed", str(seed))
    assert status == 0
    assert "nvmx1:" not in out and "Explore it" not in out and "--solve" not in out
    assert out.rstrip().endswith(f"Answer it in the check cell of {graded.where(name, seed)}.")


def test_a_practice_question_still_offers_its_run_and_its_worked_answer(capsys):
    _, out, _ = printed(capsys, "bare-exit", "--seed", "1")
    assert "Explore it: nvmxlab run nvmx1:" in out
    assert "--seed 1 --solve" in out


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(NAMES), start=st.integers(0, 12))
def test_another_question_never_lands_on_a_graded_seed(name, start):
    seed = start
    for _ in range(4):
        seed = graded.next_practice_seed(name, seed)
        assert not graded.is_graded(name, seed)
    assert seed > start


def test_the_practice_widget_steps_over_the_graded_seed():
    from nvmxlab.exercises.widget import Ask

    ask = Ask("l0-exits", 1)
    ask.another.click()
    assert (ask.seed, ask.q.seed) == (3, 3)
    assert ask.note.value == ""


def test_the_practice_widget_asked_for_a_graded_seed_shows_the_next_practice_one_and_why():
    from nvmxlab.exercises.widget import Ask

    ask = Ask("bare-exit", 3)
    assert ask.q.seed == 4 and not ask.q.graded
    assert "graded question 1.1 in notebook 01-bare-metal" in ask.note.value
