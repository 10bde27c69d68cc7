"""A learner answers graded questions in JupyterLab: one right, one wrong twice, and reads the
feedback that the check cell shows under each (computed by the engine, the answer never shown
for a miss); and draws practice questions, which step over the graded seed."""

from __future__ import annotations

import re

import pytest

from nvmxlab import exercises
from nvmxlab.exercises import graded
from nvmxlab.exercises.core import LETTERS

from .jupyterlab import open_page

NOTEBOOK = "notebooks/01-bare-metal.ipynb"
RIGHT = ("bare-exit", 3)  # answered right
WRONG = ("bare-sti", 7)  # answered wrong: one more than the count the engine finds, then two
PRACTICE = "bare-exit"  # the notebook's first practice widget, at seed 1
DRAWS = 3  # clicks on "Another question": seeds 2, then 4 (3 is graded), then 5

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


def draw_practice(page) -> list[str]:
    """Clicks "Another question" under the first practice widget; the seeds it shows."""
    widget = page.page.locator(".jp-Notebook .jp-OutputArea-output").filter(
        has_text=f"{PRACTICE}, seed").first
    shown = re.compile(rf"{PRACTICE}, seed (\d+)")
    # Wait for the question's own line to show a new seed, not for any change: a cell out of
    # view is not rendered, and the widget's parts are updated one message at a time.
    new_seed = ("([node, pattern, before]) => { const m = node.innerText.match(pattern);"
                " return m !== null && m[1] !== before; }")
    widget.scroll_into_view_if_needed()
    page.page.wait_for_function(new_seed, arg=[widget.element_handle(), shown.pattern, ""])
    seeds = [shown.search(widget.inner_text()).group(1)]
    for _ in range(DRAWS):
        widget.get_by_role("button", name="Another question").click()
        page.page.wait_for_function(new_seed,
                                    arg=[widget.element_handle(), shown.pattern, seeds[-1]])
        seeds.append(shown.search(widget.inner_text()).group(1))
    widget.scroll_into_view_if_needed()
    page.screenshot_element(".jp-Notebook .jp-Cell:has(.widget-radio) >> nth=0",
                            "practice-another-question")
    assert seeds[0] == "1", seeds  # the notebook's own practice seed
    return seeds[1:]


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
            page.screenshot_element(f".jp-Notebook .jp-Cell >> nth={wrong[0]}",
                                    "graded-feedback-wrong")
            again = answer(page, *WRONG, f"answer = {wrong_q.answer + 2}")
            for name, (index, _) in (("right", right), ("wrong-again", again)):
                page.screenshot_element(f".jp-Notebook .jp-Cell >> nth={index}",
                                        f"graded-feedback-{name}")
            drawn = draw_practice(page)
            yield {"ran": ran, "errors": page.errors(NOTEBOOK), "right": right[1],
                   "wrong": wrong[1], "again": again[1], "right_q": right_q,
                   "wrong_q": wrong_q, "before": unanswered, "drawn": drawn}
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


def test_a_second_wrong_answer_shows_a_second_hint_and_still_not_the_answer(answered):
    shown, q = answered["again"], answered["wrong_q"]
    assert shown.startswith(f"Not yet: {q.answer + 2} is not it.")
    assert "Hint:" in shown and "Another hint:" in shown and "Try again." in shown
    assert "The answer is" not in shown and q.solution.why[0][:60] not in " ".join(shown.split())


def test_another_question_steps_over_the_graded_seed(answered):
    expected, seed = [], 1
    for _ in range(DRAWS):
        seed = graded.next_practice_seed(PRACTICE, seed)
        expected.append(str(seed))
    assert answered["drawn"] == expected
    assert {seed for name, seed in exercises.GRADED if name == PRACTICE} & {
        int(s) for s in answered["drawn"]} == set()
    assert exercises.GRADED.get((PRACTICE, 3))  # the draws passed a graded seed
