"""The lab in the JupyterLite site: rendered by the Pyodide kernel, redrawn by its controls,
still answering after 100 control changes in a row (jupyterlite/jupyterlite#1465 reports
kernels that stop answering after many widget interactions).

One notebook, written into the site's browser storage, shows `Lab("seed-interrupt")` as the
course does; it is opened and run once for this module, as a learner would, and that first
kernel start and "run all" are timed. Every assertion reads the rendered page; what the page
should say is computed here by the engine, for the same configuration.
"""

from __future__ import annotations

import pytest
from browser.actions import go_to_step
from browser.labview import (
    LAB,
    LAB_CELL,
    PIN_BASED,
    control,
    drawn_labels,
    measure_lab_clicks,
    read_lab,
    run_lab,
    share_string,
    wait_for_share_change,
    wait_until_settled,
)
from browser.oracle import differences
from browser.test_lab import step_of

from .drive import ask_kernel, open_timed, save_notebook
from .pages import lite_page

NOTEBOOK = "lab-in-the-site.ipynb"
CHANGES = 100


@pytest.fixture(scope="module")
def lab_page(browser, site, timing_report):
    """The lab notebook open in one page: (page, requests, kernel-ready s, first run)."""
    with lite_page(browser, site, "lab") as (page, requests):
        page.page.goto(site.url)
        save_notebook(page, NOTEBOOK, [LAB_CELL])
        kernel_s = open_timed(page, NOTEBOOK)
        first = run_lab(page, NOTEBOOK)
        render = f"{first.first_render_ms:.0f} ms" if first.first_render_ms else "never"
        timing_report(f"lab in JupyterLite: kernel ready {kernel_s:.1f} s, "
                      f"run all -> lab drawn {render}")  # fmt: skip
        yield page, requests, kernel_s, first


def test_the_lab_notebook_runs_without_errors(lab_page):
    page, _, _, first = lab_page
    assert first.ran, f"a cell failed: {first.errors}"
    assert first.errors == []


def test_the_lab_draws_its_diagram_and_state_graph(lab_page):
    page, _, _, first = lab_page
    assert first.rendered, f"the lab did not render: {first.missing}"
    assert page.blank_widgets() == []
    picture = page.screenshot_element(LAB, "lite-lab-seed-interrupt")
    assert picture.stat().st_size > 10_000


def test_the_lab_as_opened_agrees_with_the_engine(lab_page):
    page, _, _, first = lab_page
    assert first.rendered, f"the lab did not render: {first.missing}"
    assert control(page, PIN_BASED).is_checked()
    assert differences(read_lab(page)) == []


def test_a_control_change_redraws_every_panel_and_changing_it_back_restores_it(lab_page):
    page, _, _, first = lab_page
    assert first.rendered, f"the lab did not render: {first.missing}"
    # The view shows a page of the run: go to the interrupt-window exit's page.
    go_to_step(page, step_of("nested", "INTERRUPT_WINDOW"))
    seed_labels = drawn_labels(page)
    before = share_string(page)
    control(page, PIN_BASED).click()
    wait_for_share_change(page, before)
    cleared = read_lab(page)
    cleared_labels = drawn_labels(page)
    page.screenshot_element(LAB, "lite-lab-pin-based-cleared")
    control(page, PIN_BASED).click()  # back to the seed case, for the tests after this one
    wait_for_share_change(page, cleared["share"])
    restored = read_lab(page)
    # Cleared, the interrupt goes straight into L2: no interrupt-window exit is drawn, and
    # every panel says so (the verdict, the step text, the graph, the comparison...).
    assert "INTERRUPT_WINDOW" in seed_labels
    assert "INTERRUPT_WINDOW" not in cleared_labels
    assert differences(cleared) == []
    assert differences(restored) == []
    assert sorted(drawn_labels(page)) == sorted(seed_labels)


def test_a_hundred_control_changes_in_a_row_leave_the_kernel_answering(lab_page, timing_report):
    page, _, _, first = lab_page
    assert first.rendered, f"the lab did not render: {first.missing}"
    wait_until_settled(page)
    clicks = measure_lab_clicks(page, clicks=CHANGES)
    timing_report(f"in JupyterLite, {clicks.summary()}")
    # Each click was drawn (measure_lab_clicks waits for every repaint), alternating between
    # the two settings' diagrams.
    assert len(clicks.samples_ms) == CHANGES
    assert clicks.shown[0] != clicks.shown[1]
    assert clicks.shown == [clicks.shown[i % 2] for i in range(CHANGES)]
    assert ask_kernel(page, NOTEBOOK, "6 * 7") == "42"
    assert ask_kernel(
        page, NOTEBOOK, "lab.controls['vmcs12.external_interrupt_exiting'].value"
    ) == str(control(page, PIN_BASED).is_checked())


def test_no_request_left_the_site(lab_page):
    _, requests, _, _ = lab_page
    assert requests.aborted == []
    assert requests.missing == []
