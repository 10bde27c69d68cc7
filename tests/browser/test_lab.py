"""The lab as a learner sees it: rendered in JupyterLab, redrawn by its controls, animated.

One notebook shows `Lab("seed-interrupt")`. It is opened once for this module (its first
"run all" is the one a learner waits for, and is timed); before each test it is run again,
so every test starts from a freshly built lab on the seed case. Every assertion reads the
rendered page: the diagram's SVG, the controls' DOM.
"""

from __future__ import annotations

import pytest

import nvmxlab
from nvmxlab.views.sequence import build

from .actions import go_to_step
from .labview import (
    ACK_ON_EXIT,
    LAB,
    PIN_BASED,
    PLAYER,
    SCENARIO,
    control,
    drawn_labels,
    highlight,
    highlight_xy,
    lab_notebook_open,
    measure_lab_clicks,
    run_lab,
    step_text,
    wait_for_new_labels,
    wait_until_settled,
)
from .latency import CLICKS


@pytest.fixture(scope="module")
def lab_notebook_page(browser, jupyter_server):
    """The lab notebook open in one page, and the result of its first (cold) "run all"."""
    with lab_notebook_open(browser, jupyter_server, "lab-notebook") as (page, relative):
        yield page, run_lab(page, relative)


@pytest.fixture
def seed_lab(lab_notebook_page, request):
    """A fresh lab on the seed case, drawn; a screenshot of the page is kept afterwards."""
    page, first = lab_notebook_page
    run = run_lab(page, first.path)
    assert run.rendered, f"the lab did not render: {run.missing}; errors {run.errors}"
    yield page
    page.screenshot(request.node.nodeid)


def step_of(world: str, label: str) -> int:
    """The first step of `world` whose mark on the diagram is labelled `label`."""
    scenario = nvmxlab.resolve(SCENARIO)
    data = build({"nested": nvmxlab.run(scenario), "bare": nvmxlab.run(scenario, "bare")})
    return [mark.label for mark in data.worlds[world].marks].index(label)


def step_shown(lab) -> int:
    """The step number the player's slider shows."""
    slider = lab.page.locator(f"{PLAYER} .widget-hslider").filter(
        has=lab.page.locator(".widget-label", has_text="step")
    )
    return int(slider.locator(".widget-readout").inner_text())


# -- it renders ----------------------------------------------------------------------------


def test_lab_notebook_runs_without_errors(lab_notebook_page):
    page, first = lab_notebook_page
    assert first.ran, f"a cell failed: {first.errors}"
    assert first.errors == []


def test_lab_draws_its_diagram_and_state_graph(lab_notebook_page):
    page, first = lab_notebook_page
    assert first.rendered, f"the lab did not render: {first.missing}"
    assert page.blank_widgets() == []


def test_controls_show_the_seed_cases_vmcs12_settings(seed_lab):
    assert control(seed_lab, PIN_BASED).is_checked()
    assert not control(seed_lab, ACK_ON_EXIT).is_checked()


def test_the_seed_case_is_screenshotted_as_opened(seed_lab):
    picture = seed_lab.screenshot_element(LAB, "lab-seed-interrupt")
    assert picture.stat().st_size > 10_000


# -- the controls redraw the diagram ---------------------------------------------------------


@pytest.mark.parametrize("label", [PIN_BASED, ACK_ON_EXIT])
def test_toggling_a_control_redraws_the_diagram_and_toggling_back_restores_it(seed_lab, label):
    wait_until_settled(seed_lab)  # nothing of an earlier test still on its way to the page
    seed = drawn_labels(seed_lab)
    control(seed_lab, label).click()
    wait_for_new_labels(seed_lab, seed)
    wait_until_settled(seed_lab)
    changed = drawn_labels(seed_lab)
    control(seed_lab, label).click()
    wait_for_new_labels(seed_lab, changed)
    wait_until_settled(seed_lab)
    restored = drawn_labels(seed_lab)
    assert changed != seed
    # The same labels; plotly keeps a mark's <text> node while its step stays on the page, so
    # their document order can differ from the first drawing's.
    assert sorted(restored) == sorted(seed), f"seed: {seed}\nrestored: {restored}"


def test_clearing_pin_based_removes_the_interrupt_window_exit(seed_lab):
    # With the control set, L1 takes the interrupt only after STI, through an interrupt-window
    # exit; cleared, the interrupt goes straight into L2 and no window is needed. The view
    # shows a page of the run: go to the exit's step, so that its page is the one shown.
    go_to_step(seed_lab, step_of("nested", "INTERRUPT_WINDOW"))
    seed = drawn_labels(seed_lab)
    control(seed_lab, PIN_BASED).click()
    wait_for_new_labels(seed_lab, seed)
    wait_until_settled(seed_lab)
    cleared = drawn_labels(seed_lab)
    assert "INTERRUPT_WINDOW" in seed
    assert "INTERRUPT_WINDOW" not in cleared
    control(seed_lab, PIN_BASED).click()  # as the seed case had it, for the tests after this
    wait_for_new_labels(seed_lab, cleared)
    wait_until_settled(seed_lab)


def test_ack_on_exit_under_the_2011_design_draws_a_failed_vm_entry(seed_lab):
    # The 2011 patch does not offer VM_EXIT_ACK_INTR_ON_EXIT to L1: L1's VMLAUNCH fails.
    seed = drawn_labels(seed_lab)
    control(seed_lab, ACK_ON_EXIT).click()
    acked = wait_for_new_labels(seed_lab, seed)
    assert not any(label.startswith("VMfailValid") for label in seed)
    assert any(label.startswith("VMfailValid") for label in acked)


# -- the player moves the highlight ----------------------------------------------------------


def test_play_counts_the_steps_up_and_moves_the_highlight_with_them(seed_lab):
    wait_until_settled(seed_lab)
    start, step_at_start = highlight(seed_lab), step_shown(seed_lab)
    places, steps = [start], []
    seed_lab.page.locator(f"{PLAYER} .widget-play button:has(.fa-play)").click()
    for _ in range(200):  # up to 10 s; a step takes 400 ms at 1x
        place, step = highlight(seed_lab), step_shown(seed_lab)
        if place != places[-1]:
            places.append(place)
        if step != (steps[-1] if steps else step_at_start):
            steps.append(step)
        if len(places) >= 5 and len(steps) >= 4:
            break
        seed_lab.page.wait_for_timeout(50)
    seed_lab.page.locator(f"{PLAYER} .widget-play button:has(.fa-stop)").click()
    assert start is not None, "no step highlight is drawn"
    assert len(places) >= 5, f"the highlight moved {len(places) - 1} times in 10 s: {places}"
    # The lab opens where the interrupt is raised; play counts up from there.
    assert steps[:4] == [step_at_start + k for k in range(1, 5)], \
        f"from step {step_at_start}: {steps}"


def test_stepping_through_bare_metal_puts_the_highlight_in_the_upper_panel(seed_lab):
    go_to_step(seed_lab, step_of("nested", "EXTERNAL_INTERRUPT"))
    nested = highlight(seed_lab)
    seed_lab.screenshot_element(LAB, "lab-nested-external-interrupt-exit")
    before = step_text(seed_lab)
    seed_lab.page.locator(f"{LAB} .widget-toggle-button", has_text="bare metal").click()
    seed_lab.page.wait_for_function(
        "([selector, before]) => document.querySelector(selector).innerText !== before",
        arg=[f"{LAB} .nvmx-step-text", before],
    )
    go_to_step(seed_lab, step_of("bare", "EXTERNAL_INTERRUPT"))
    bare = highlight(seed_lab)
    seed_lab.screenshot_element(LAB, "lab-bare-metal-external-interrupt-exit")
    # Bare metal is drawn above the nested world: a smaller SVG y.
    assert highlight_xy(bare)[1] < highlight_xy(nested)[1]


# -- latency, reported beside the floor ------------------------------------------------------


def test_every_click_repaints_the_diagram_and_then_the_whole_lab_with_the_clicked_setting(
    seed_lab, lab_notebook_page, floor, latency_report
):
    clicks = measure_lab_clicks(seed_lab)
    _, first = lab_notebook_page
    latency_report(clicks.summary())
    if floor.measurement is not None:  # test_floor says why when it is missing
        latency_report(clicks.ratio_to(floor.measurement))
    if first.first_render_ms is not None and floor.first_render_ms is not None:
        latency_report(
            f"lab: run all -> first render {first.first_render_ms:.0f} ms "
            f"(x{first.first_render_ms / floor.first_render_ms:.2f} the floor's "
            f"{floor.first_render_ms:.0f} ms)"
        )
    print(clicks.summary())
    # Clicks alternate the setting, so the drawings alternate between two different pictures.
    assert len(clicks.samples_ms) == CLICKS
    assert clicks.shown[0] != clicks.shown[1]
    assert clicks.shown == [clicks.shown[i % 2] for i in range(CLICKS)]
    # Each click also reached the state the whole lab showed for it after the warm-up.
    assert clicks.whole is not None and len(clicks.whole.samples_ms) == CLICKS
