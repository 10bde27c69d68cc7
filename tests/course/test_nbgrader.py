"""The course under real nbgrader: notebooks/ is the release that `generate_assignment` makes
from course/source/, and autograding gives the instructor's answers full marks and an
unanswered release none, without a crash; the grades export."""

import csv
import importlib.util
import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "course" / "source" / "nested-irq"
LEARNER = ROOT / "notebooks"
_spec = importlib.util.spec_from_file_location("course_release", ROOT / "course" / "release.py")
release = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(release)


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def graded_points(path: Path) -> int:
    return sum(c["metadata"]["nbgrader"].get("points", 0) for c in cells(path)
               if c["metadata"].get("nbgrader", {}).get("grade"))


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A fresh course directory with the assignment generated (nbgrader's database too)."""
    workdir = tmp_path_factory.mktemp("course")
    release.generate(workdir)
    return workdir


def test_the_learner_notebooks_are_exactly_a_fresh_nbgrader_release(course):
    fresh = course / "release" / "nested-irq"
    assert sorted(p.name for p in fresh.glob("*")) == sorted(p.name for p in
                                                               LEARNER.glob("*.ipynb"))
    drifted = [p.name for p in fresh.glob("*.ipynb")
               if p.read_bytes() != (LEARNER / p.name).read_bytes()]
    assert drifted == [], "notebooks/ drifted from course/source/: run `python3 dev.py release`"


@pytest.mark.parametrize("marker", ["### BEGIN SOLUTION", "### END SOLUTION",
                                    "### BEGIN HIDDEN TESTS", "is_correct("])
def test_no_learner_notebook_holds_a_solution_or_a_hidden_test(marker):
    assert [p.name for p in LEARNER.glob("*.ipynb") if marker in p.read_text()] == []


def test_no_learner_notebook_holds_an_answer_of_the_source():
    for source in SOURCE.glob("*.ipynb"):
        answers = ["".join(c["source"]).split("### BEGIN SOLUTION")[1].split("###")[0].strip()
                   for c in cells(source) if c["metadata"].get("nbgrader", {}).get("solution")]
        learner = "".join("".join(c["source"]) for c in cells(LEARNER / source.name))
        assert [a for a in answers if a in learner] == [], source.name


def test_every_graded_question_of_the_source_is_worth_a_point_and_in_the_release():
    for source in SOURCE.glob("*.ipynb"):
        assert graded_points(source) == graded_points(LEARNER / source.name)
    assert sum(graded_points(p) for p in SOURCE.glob("*.ipynb")) > 0


@pytest.mark.notebook
def test_autograde_gives_the_instructors_answers_full_marks_and_a_blank_release_none(course):
    submitted = course / "submitted"
    shutil.copytree(SOURCE, submitted / "instructor" / "nested-irq")
    shutil.copytree(course / "release" / "nested-irq", submitted / "blank" / "nested-irq")
    release.nbgrader(course, "autograde", "nested-irq", "--create")
    release.nbgrader(course, "export", "--to", "grades.csv")
    with open(course / "grades.csv") as grades:
        rows = {row["student_id"]: row for row in csv.DictReader(grades)}
    full = sum(graded_points(p) for p in SOURCE.glob("*.ipynb"))
    assert {sid: (float(r["raw_score"]), float(r["max_score"])) for sid, r in rows.items()} == {
        "instructor": (full, full), "blank": (0.0, full)}
