"""The lab in the JupyterLite site: rendered by the Pyodide kernel, redrawn by its controls,
still answering after 100 control changes in a row (jupyterlite/jupyterlite#1465 reports
kernels that stop answering after many widget interactions).

One notebook, written into the site's browser storage, shows `Lab("seed-interrupt")` as the
course does; it is opened and run once for this module, as a learner would, and that first
kernel start and "run all" are timed. Every assertion reads the rendered page; what the page
should say is computed here by the engine, for the same configuration.
"""

from __future__ import annotations

import re

import pytest
from browser.labview import (
    LAB,
    LAB_CELL,
    PIN_BASED,
    SCENARIO,
    control,
    drawn_labels,
    measure_lab_clicks,
    run_lab,
    wait_for_new_labels,
    wait_until_settled,
)
from browser.test_lab import go_to_step, step_of

import nvmxlab
from nvmxlab.widgets import status
from nvmxlab.widgets.lab import step_html
from nvmxlab.widgets.snapshot import take

from .drive import ask_kernel, open_timed, save_notebook
from .pages import lite_page

NOTEBOOK = "lab-in-the-site.ipynb"
CHANGES = 100
STEP_TITLE = f"{LAB} .nvmx-step-title"
VERDICT = f"{LAB} .nvmx-status-panel"


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


def expected(external_interrupt_exiting: bool) -> tuple[str, str, str]:
    """What the lab shows on opening for the seed case with PIN_BASED_EXT_INTR_MASK set or
    cleared: the last step's title, and the nested and bare-metal costs in the verdict."""
    scenario = nvmxlab.resolve(SCENARIO).with_overrides(
        {"vmcs12.external_interrupt_exiting": external_interrupt_exiting}
    )
    snap = take(scenario)
    world = snap.sequence.worlds["nested"]
    html = step_html("nested", world.events[-1], world.states[-1], len(world.events))
    title = re.sub(r"<[^>]+>", "", html.split("\n", 1)[0])
    return title, status.costs(snap.nested), status.costs(snap.bare)


def shown(lab) -> tuple[str, str]:
    """The step title and the verdict panel's text, as the page shows them."""
    page = lab.page
    return page.locator(STEP_TITLE).inner_text().strip(), page.locator(VERDICT).inner_text()


def assert_shows(lab, external_interrupt_exiting: bool) -> None:
    title, nested, bare = expected(external_interrupt_exiting)
    shown_title, verdict = shown(lab)
    assert shown_title == title
    assert f"nested {nested}" in verdict and f"bare metal {bare}" in verdict, verdict


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


def test_the_lab_opens_on_the_seed_cases_last_step_with_its_verdict(lab_page):
    page, _, _, first = lab_page
    assert first.rendered, f"the lab did not render: {first.missing}"
    assert control(page, PIN_BASED).is_checked()
    assert_shows(page, external_interrupt_exiting=True)


def test_a_control_change_redraws_the_diagram_and_changing_it_back_restores_it(lab_page):
    page, _, _, first = lab_page
    assert first.rendered, f"the lab did not render: {first.missing}"
    # The view shows a page of the run: go to the interrupt-window exit's page.
    go_to_step(page, step_of("nested", "INTERRUPT_WINDOW"))
    seed_labels = drawn_labels(page)
    control(page, PIN_BASED).click()
    cleared_labels = wait_for_new_labels(page, seed_labels)
    wait_until_settled(page)
    page.screenshot_element(LAB, "lite-lab-pin-based-cleared")
    control(page, PIN_BASED).click()  # back to the seed case, for the tests after this one
    restored = wait_for_new_labels(page, cleared_labels)
    wait_until_settled(page)
    # Cleared, the interrupt goes straight into L2: no interrupt-window exit is drawn.
    assert "INTERRUPT_WINDOW" in seed_labels
    assert "INTERRUPT_WINDOW" not in cleared_labels
    assert sorted(restored) == sorted(seed_labels)


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
