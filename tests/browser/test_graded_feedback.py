"""A learner answers graded questions in JupyterLab: one right, one wrong, and reads the
feedback that the check cell shows under each (computed by the engine, the answer not shown
for a first miss)."""

from __future__ import annotations

import pytest

from nvmxlab import exercises
from nvmxlab.exercises.core import LETTERS

from .jupyterlab import open_page

NOTEBOOK = "notebooks/01-bare-metal.ipynb"
RIGHT = ("bare-exit", 3)  # answered right
WRONG = ("bare-sti", 7)  # answered wrong: one more than the count the engine finds

# Replaces the answer cell of a graded question and runs it, then its check cell; returns the
# text shown under the check cell and the cell's index.
_ANSWER = """async ({path, gradeId, source}) => {
  const app = window.jupyterapp;
  const panel = window.__nvmxPanel(path);
  app.shell.activateById(panel.id);
  const cells = panel.content.widgets;
  const index = cells.findIndex(
    (cell) => (cell.model.getMetadata('nbgrader') || {}).grade_id === gradeId);
  cells[index].model.sharedModel.setSource(source);
  panel.content.activeCellIndex = index;
  await app.commands.execute('notebook:run-cell-and-select-next');
  await app.commands.execute('notebook:run-cell');
  return index + 1;
}"""

_SHOWN = """({path, index}) => {
  const cell = window.__nvmxPanel(path).content.widgets[index];
  const area = cell.node.querySelector('.jp-OutputArea-output');
  return area ? area.innerText.trim() : '';
}"""

_INDEX = """({path, gradeId}) => window.__nvmxPanel(path).content.widgets.findIndex(
  (cell) => (cell.model.getMetadata('nbgrader') || {}).grade_id === gradeId)"""


def answer(page, name: str, seed: int, source: str) -> tuple[int, str]:
    index = page.page.evaluate(_ANSWER, {"path": NOTEBOOK, "gradeId": f"{name}-{seed}-answer",
                                         "source": source})
    page.wait_for_kernel_idle(NOTEBOOK)
    page.page.wait_for_function(f"({{path, index}}) => ({_SHOWN})({{path, index}}).length > 0",
                                arg={"path": NOTEBOOK, "index": index})
    return index, page.page.evaluate(_SHOWN, {"path": NOTEBOOK, "index": index})


@pytest.fixture(scope="module")
def answered(browser, jupyter_server):
    with open_page(browser, jupyter_server, "graded-feedback") as page:
        try:
            page.open_notebook(NOTEBOOK)
            ran = page.run_all(NOTEBOOK)
            check = page.page.evaluate(_INDEX, {"path": NOTEBOOK,
                                                "gradeId": f"{WRONG[0]}-{WRONG[1]}-check"})
            unanswered = page.page.evaluate(_SHOWN, {"path": NOTEBOOK, "index": check})
            right_q, wrong_q = exercises.question(*RIGHT), exercises.question(*WRONG)
            letter = LETTERS[right_q.choices.index(right_q.answer)]
            right = answer(page, *RIGHT, f'answer = "{letter}"')
            wrong = answer(page, *WRONG, f"answer = {wrong_q.answer + 1}")
            for name, (index, _) in (("right", right), ("wrong", wrong)):
                page.screenshot_element(f".jp-Notebook .jp-Cell >> nth={index}",
                                        f"graded-feedback-{name}")
            yield {"ran": ran, "errors": page.errors(NOTEBOOK), "right": right[1],
                   "wrong": wrong[1], "right_q": right_q, "wrong_q": wrong_q,
                   "before": unanswered}
        finally:
            jupyter_server.shutdown_kernels(NOTEBOOK)


def test_the_unanswered_learner_notebook_runs_to_the_end_without_an_error(answered):
    assert answered["ran"] and answered["errors"] == []


def test_an_unanswered_question_says_so_on_the_page(answered):
    assert answered["before"].startswith("Not answered yet: set answer to a whole number")


def test_a_right_answer_shows_right_with_the_engines_explanation(answered):
    shown, q = answered["right"], answered["right_q"]
    assert shown.startswith(f"Right: {q.answer_label}.")
    assert q.solution.why[0][:60] in " ".join(shown.split())


def test_a_wrong_answer_shows_not_yet_with_a_hint_and_not_the_answer(answered):
    shown, q = answered["wrong"], answered["wrong_q"]
    assert shown.startswith(f"Not yet: {q.answer + 1} is not it.")
    assert "Hint:" in shown and "Try again." in shown
    assert "The answer is" not in shown
