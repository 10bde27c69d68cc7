"""Playing and stepping index into the precomputed run; only a control change runs the engine."""

from __future__ import annotations

import ipywidgets as w
import pytest

import nvmxlab
from nvmxlab.views.sequence import TRACE_INDEX
from nvmxlab.widgets import Lab


def cursor(lab) -> tuple:
    """Where the highlight is, in the run's own steps (the lab draws the view's page)."""
    focus = lab.figure.data[TRACE_INDEX["focus"]]
    return focus.x[0] + lab.diagram.left, focus.y[0]


def test_stepping_forward_and_back_never_runs_the_engine(lab, engine_runs):
    for step in (3, 4, 5, 4, 3, 0, 40):
        lab.show_step(step)
    lab.player.nudge(-1)
    lab.player.nudge(+1)
    lab.world_toggle.value = "bare"
    assert engine_runs.calls == 0


def test_a_control_change_runs_each_world_once(lab, engine_runs):
    lab.compare.choice.value = "policy:kvm-modern"
    engine_runs.calls = 0
    lab.controls["l2.rflags_if"].value = False
    # Both worlds for the diagram, and both worlds of the comparison's variation B.
    assert engine_runs.calls == 4


def test_stepping_back_shows_exactly_what_was_shown_before(lab):
    lab.show_step(20)
    seen = (cursor(lab), lab.step_text.value, lab.graph.data[-1].x)
    lab.show_step(21)
    lab.player.nudge(-1)
    assert (cursor(lab), lab.step_text.value, lab.graph.data[-1].x) == seen


def test_the_slider_moves_the_highlight(lab):
    lab.player.slider.value = 16
    assert cursor(lab) == lab.snapshot.sequence.worlds["nested"].position(16)
    assert "step 16 (steps 0–" in lab.step_text.value


def test_play_and_the_slider_are_linked_in_the_browser(lab):
    link = lab.player.link
    assert isinstance(link, w.widgets.widget_link.Link)
    assert link.source == (lab.player.play, "value")
    assert link.target == (lab.player.slider, "value")


def test_the_speed_sets_plays_interval(lab):
    lab.player.speed.value = 100
    assert lab.player.play.interval == 100


def test_the_slider_spans_the_current_run(lab):
    lab.controls["vmcs12.ack_interrupt_on_exit"].value = True  # a short, failed run
    steps = lab.snapshot.steps("nested")
    assert lab.player.slider.max == lab.player.play.max == steps - 1
    assert lab.step <= steps - 1


def test_a_fresh_lab_opens_on_the_step_where_the_interrupt_is_raised(lab):
    assert lab.result.events[lab.step].kind == "raise"
    assert all(e.kind != "raise" for e in lab.result.events[:lab.step])


@pytest.mark.parametrize("name", nvmxlab.bundled())
def test_every_bundled_scenario_opens_on_its_first_interrupt_or_nmi(name):
    lab = Lab(name)
    try:
        event = lab.result.events[lab.step]
        assert event.kind == "raise", (name, lab.step, event)
        low, high = lab.diagram.left, lab.diagram.left + lab.snapshot.sequence.view_width
        assert low <= lab.snapshot.sequence.worlds["nested"].x[lab.step] <= high
    finally:
        lab.close()


def test_a_control_change_keeps_a_lab_that_was_not_moved_on_the_new_runs_story(lab):
    lab.controls["vmcs12.external_interrupt_exiting"].value = False
    assert lab.result.events[lab.step].kind == "raise"


def test_a_control_change_keeps_the_step_a_learner_moved_to(lab):
    lab.show_step(30)
    lab.controls["vmcs12.external_interrupt_exiting"].value = False
    assert lab.step == 30


def test_stepping_through_bare_metal_explains_bare_metal_steps(lab):
    lab.world_toggle.value = "bare"
    lab.show_step(0)
    assert lab.step_text.value.count("bare metal") >= 1
    assert lab.player.slider.max == lab.snapshot.steps("bare") - 1


def test_a_narrow_page_shows_fewer_steps_at_once_without_running_the_engine(lab, engine_runs):
    wide = lab.snapshot.sequence.view_width
    lab.fit.width = 700  # what the page reports for a narrow notebook
    narrow = lab.snapshot.sequence.view_width
    assert narrow < wide
    low, high = lab.figure.layout.xaxis.range
    assert high - low == narrow
    assert engine_runs.calls == 0


@pytest.mark.parametrize("name", nvmxlab.bundled())
def test_no_label_of_the_opening_page_reaches_past_its_edges(name):
    # A label cut at the plot's edge reads wrong ("EOI" as "OI"): such labels are left out.
    lab = Lab(name)
    try:
        data, shown = lab.snapshot.sequence, lab.figure.data[TRACE_INDEX["labelled"]]
        reach = dict(zip(data.traces["labelled"]["ids"], data.traces["labelled"]["label_x"],
                         strict=True))
        for point in shown.ids or ():
            low, high = reach[point]
            assert lab.diagram.left <= low <= high <= lab.diagram.left + data.view_width, point
        assert shown.ids, "the opening page shows no label"
    finally:
        lab.close()
