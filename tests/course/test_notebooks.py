"""The course notebooks: the learner release (notebooks/) runs top to bottom cleanly and fast,
unanswered; the notebooks are committed without outputs and link to each other correctly; the
instructor's sources (course/source/) are laid out for nbgrader and answer their questions."""

import json
import re
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from nvmxlab import exercises

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "notebooks"
NOTEBOOKS = sorted(COURSE.glob("*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]
SOURCES = sorted((ROOT / "course" / "source" / "nested-irq").glob("*.ipynb"))
BUDGET_SECONDS = 60
# Two kernels at a time: the machine that grades the course has two cores.
WORKERS = 2
LINK = re.compile(r"\]\(([^)\s]+)\)")


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def nbgrader(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


# -- executed with a kernel ----------------------------------------------------------------------
def execute(path: str) -> tuple[str, dict, float]:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(Path(path).parent)}}).execute()
    return path, notebook, time.perf_counter() - start


@pytest.fixture(scope="module")
def executed():
    """Every notebook run once, two at a time; and the wall-clock time for all of them."""
    start = time.perf_counter()
    with ProcessPoolExecutor(WORKERS) as pool:
        runs = {Path(p).stem: (nb, seconds)
                for p, nb, seconds in pool.map(execute, map(str, NOTEBOOKS))}
    return runs, time.perf_counter() - start


def outputs(notebook) -> list[dict]:
    return [o for cell in notebook.cells for o in cell.get("outputs", [])]


@pytest.mark.notebook
@pytest.mark.parametrize("name", IDS)
def test_notebook_runs_top_to_bottom_without_an_error(executed, name):
    notebook, _ = executed[0][name]
    errors = [f"{o['ename']}: {o['evalue']}" for o in outputs(notebook)
              if o["output_type"] == "error"]
    assert errors == []


@pytest.mark.notebook
@pytest.mark.parametrize("name", IDS)
def test_notebook_prints_no_warning(executed, name):
    notebook, _ = executed[0][name]
    stderr = [o["text"] for o in outputs(notebook)
              if o["output_type"] == "stream" and o["name"] == "stderr"]
    shown = [o["text"] for o in outputs(notebook) if o["output_type"] == "stream"]
    assert stderr == []
    assert not [text for text in shown if "Warning" in text]


@pytest.mark.notebook
def test_all_notebooks_run_together_within_the_budget(executed, capsys):
    runs, wall = executed
    timings = ", ".join(f"{name} {seconds:.1f}s" for name, (_, seconds) in runs.items())
    with capsys.disabled():
        print(f"\nnotebooks: {wall:.1f}s wall-clock with {WORKERS} kernels at a time "
              f"({timings})")
    assert wall < BUDGET_SECONDS


# -- the files as committed --------------------------------------------------------------------
def test_the_course_is_a_welcome_and_seven_numbered_notebooks():
    assert [p.stem[:2] for p in NOTEBOOKS] == [f"0{i}" for i in range(8)]
    assert NOTEBOOKS[0].name == "00-welcome.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS + SOURCES,
                         ids=IDS + [f"source-{p.stem}" for p in SOURCES])
def test_notebook_is_committed_without_outputs(path):
    code = [c for c in cells(path) if c["cell_type"] == "code"]
    assert [c for c in code if c["outputs"] or c["execution_count"] is not None] == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_relative_links_resolve(path):
    broken = []
    for cell in cells(path):
        if cell["cell_type"] != "markdown":
            continue
        for target in LINK.findall(source(cell)):
            if "://" in target or target.startswith("#"):
                continue
            if not (path.parent / target.split("#")[0]).exists():
                broken.append(target)
    assert broken == []


@pytest.mark.parametrize("path", NOTEBOOKS[1:], ids=IDS[1:])
def test_notebook_links_to_the_previous_and_the_next(path):
    text = "".join(source(c) for c in cells(path) if c["cell_type"] == "markdown")
    number = int(path.stem[:2])
    neighbours = [p.name for p in NOTEBOOKS if abs(int(p.stem[:2]) - number) == 1]
    assert all(f"]({name})" in text for name in neighbours)


@pytest.mark.notebook
@pytest.mark.parametrize("name", IDS[1:])
def test_an_unanswered_graded_question_says_so_when_run(executed, name):
    notebook, _ = executed[0][name]
    checks = [c for c in notebook.cells if nbgrader(c).get("grade")]
    said = ["".join(o.get("data", {}).get("text/plain", "")) for c in checks for o in c.outputs]
    assert len(said) == len(checks)
    assert all(text.startswith("Not answered yet") for text in said)


# -- nbgrader layout -----------------------------------------------------------------------------
@pytest.mark.parametrize("path", NOTEBOOKS[1:], ids=IDS[1:])
def test_notebook_has_graded_exercises(path):
    assert [c for c in cells(path) if nbgrader(c).get("grade")]


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_solution_regions_are_in_cells_marked_as_solutions(path):
    for cell in cells(path):
        if "### BEGIN SOLUTION" in source(cell):
            assert "### END SOLUTION" in source(cell)
            meta = nbgrader(cell)
            assert meta["solution"] is True and meta["locked"] is False


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_autograded_cells_are_locked_with_points_and_hidden_tests(path):
    for cell in cells(path):
        meta = nbgrader(cell)
        if meta.get("grade"):
            assert meta["locked"] is True and meta["points"] > 0
            assert "### BEGIN HIDDEN TESTS" in source(cell)
            assert "### END HIDDEN TESTS" in source(cell)


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_nbgrader_metadata_has_schema_3_and_unique_grade_ids(path):
    marked = [nbgrader(c) for c in cells(path) if nbgrader(c)]
    assert all(meta["schema_version"] == 3 for meta in marked)
    ids = [meta["grade_id"] for meta in marked]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_the_solutions_answer_the_graded_questions(path):
    """The instructor's copy must pass its own hidden tests (the engine computes them)."""
    checks = [source(c) for c in cells(path) if nbgrader(c).get("grade")]
    answers = [source(c) for c in cells(path) if nbgrader(c).get("solution")]
    for check, answer in zip(checks, answers, strict=True):
        name, seed = re.search(r'check\("([\w-]+)", (\d+), answer\)', check).groups()
        given = re.search(r"answer = (.+)", answer).group(1)
        assert exercises.is_correct(name, int(seed), json.loads(given)), (name, seed, given)


def test_every_exercise_is_practised_in_its_notebook():
    for name in exercises.names():
        notebook = COURSE / f"{exercises.core.REGISTRY[name].notebook}.ipynb"
        text = "".join(source(c) for c in cells(notebook))
        assert f'exercises.ask("{name}"' in text, name
