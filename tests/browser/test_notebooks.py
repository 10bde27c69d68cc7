"""Every course notebook, opened in JupyterLab and run top to bottom as a learner would.

The headless notebook tests (nbclient) prove the kernel side; these prove what the page shows:
no error or stderr output, and no widget output left blank. Each notebook is run once, for all
the tests below; a screenshot of its top, and one of each lab it shows, go to test-artifacts/.
"""

from __future__ import annotations

import pytest

from .jupyterlab import REPO, open_page, safe_name
from .labview import LAB

NOTEBOOKS = sorted(
    path.relative_to(REPO).as_posix()
    for path in (REPO / "notebooks").rglob("*.ipynb")
    if ".ipynb_checkpoints" not in path.parts
)
WIDGETS_TIMEOUT_S = 30


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=lambda path: path.split("/", 1)[1])
def ran(request, browser, jupyter_server, latency_report):
    """(page, run-all result, errors shown, widgets left blank) for one notebook."""
    path = request.param
    name = f"notebook-{safe_name(path.removeprefix('notebooks/').removesuffix('.ipynb'))}"
    with open_page(browser, jupyter_server, name) as page:
        try:
            page.open_notebook(path)
            result = page.run_all_timed(path)
            errors = page.errors(path)
            blank = wait_for_widgets(page)
            latency_report(f"{path}: run all {result.run_ms / 1000:.1f} s in JupyterLab")
            for index, _ in enumerate(page.page.locator(LAB).all()):
                page.screenshot_element(f"{LAB} >> nth={index}", f"{name}-lab-{index}")
            scroll_to_top(page)
            yield page, result, errors, blank
        finally:
            jupyter_server.shutdown_kernels(path)


def scroll_to_top(page) -> None:
    """Show the notebook's first cells, for the screenshot taken when the page closes."""
    page.page.evaluate(
        "() => document.querySelectorAll('.jp-WindowedPanel-outer')"
        ".forEach((node) => { node.scrollTop = 0; })"
    )


def wait_for_widgets(page) -> list[str]:
    """The widget outputs still blank after WIDGETS_TIMEOUT_S (front ends load lazily)."""
    for _ in range(WIDGETS_TIMEOUT_S * 4):
        blank = page.blank_widgets()
        if not blank:
            return []
        page.page.wait_for_timeout(250)
    return blank


def test_the_course_has_notebooks():
    assert NOTEBOOKS, "no notebooks/*.ipynb: nothing for the browser to run"


def test_every_cell_runs(ran):
    _, result, errors, _ = ran
    assert result.ok, f"run all stopped at a failing cell: {errors}"


def test_no_cell_shows_an_error_or_stderr(ran):
    _, _, errors, _ = ran
    assert errors == []


def test_every_widget_output_shows_a_widget(ran):
    _, _, _, blank = ran
    assert blank == []
