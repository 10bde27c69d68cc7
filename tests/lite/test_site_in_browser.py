"""Every course notebook, opened in the JupyterLite site and run top to bottom, with every
request that would leave the site aborted.

As tests/browser/test_notebooks.py does on a server: no error or stderr output, no widget left
blank; and here also: no request left the site and the site answered every request it got.
Each notebook runs once, in a page of its own (a fresh Pyodide kernel), for all the tests below.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from browser.jupyterlab import RunAll, safe_name
from browser.test_notebooks import scroll_to_top, wait_for_widgets

from .drive import KERNEL_TIMEOUT_MS, open_timed
from .pages import Requests, lite_page
from .paths import REPO

NOTEBOOKS = sorted(path.name for path in (REPO / "notebooks").glob("*.ipynb"))
WELCOME = "00-welcome.ipynb"


@dataclass
class NotebookRun:
    kernel_s: float
    result: RunAll
    errors: list[str]
    blank: list[str]
    requests: Requests
    console_errors: list[str]


@pytest.fixture(scope="module", params=NOTEBOOKS)
def ran(request, browser, site, timing_report) -> NotebookRun:
    name = request.param
    with lite_page(browser, site, f"notebook-{safe_name(name.removesuffix('.ipynb'))}") as (
        page, requests,
    ):  # fmt: skip
        kernel_s = open_timed(page, name)
        result = page.run_all_timed(name, timeout_ms=KERNEL_TIMEOUT_MS)
        run = NotebookRun(kernel_s, result, page.errors(name), wait_for_widgets(page),
                          requests, page.console_errors)  # fmt: skip
        timing_report(f"{name}: kernel ready {kernel_s:.1f} s, run all "
                      f"{result.run_ms / 1000:.1f} s in JupyterLite")  # fmt: skip
        scroll_to_top(page)
        yield run


def test_the_site_holds_the_course_notebooks(site_dir):
    assert NOTEBOOKS, "no notebooks/*.ipynb: nothing for the site to open"
    assert sorted(path.name for path in (site_dir / "files").glob("*.ipynb")) == NOTEBOOKS


def test_the_front_page_opens_the_welcome_notebook_in_the_lab(browser, site):
    with lite_page(browser, site, "front-page") as (page, requests):
        page.page.goto(site.url)
        page.page.wait_for_function("() => !!window.jupyterapp", timeout=KERNEL_TIMEOUT_MS)
        page.page.locator(".jp-NotebookPanel").first.wait_for(timeout=KERNEL_TIMEOUT_MS)
        current = page.page.evaluate(
            "() => { const w = window.jupyterapp.shell.currentWidget;"
            "  return w && w.context ? w.context.path : null; }"
        )
        assert "/lab/index.html" in page.page.url
        assert current == WELCOME
        assert requests.aborted == [] and requests.missing == []


def test_every_cell_runs(ran):
    assert ran.result.ok, f"run all stopped at a failing cell: {ran.errors}"


def test_no_cell_shows_an_error_or_stderr(ran):
    assert ran.errors == []


def test_every_widget_output_shows_a_widget(ran):
    assert ran.blank == []


def test_no_request_leaves_the_site(ran):
    # Pyodide, the kernel's wheels, the course's wheels and every extension are in the site.
    assert ran.requests.aborted == []


def test_the_site_answers_every_request_it_gets(ran):
    assert ran.requests.missing == []
