"""Each control of the lab: the scenario key it sets, and that the diagram follows."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

import nvmxlab
from nvmxlab import share
from nvmxlab.views import timing
from nvmxlab.views.figure import WIDGET_TRACES
from nvmxlab.views.sequence import MARK_TRACES
from nvmxlab.widgets import Lab

from .shown import shown_share

# control key → (a value to switch to, what the scenario must then say)
SWITCHES = {
    "vmcs12.external_interrupt_exiting": (
        False, lambda s: s.vmcs12["external_interrupt_exiting"] is False),
    "vmcs12.ack_interrupt_on_exit": (True, lambda s: s.vmcs12["ack_interrupt_on_exit"] is True),
    "l2.rflags_if": (False, lambda s: s.l2["rflags_if"] is False),
    "timing": ("vmlaunch", lambda s: str(s.interrupts[0].at) == "L1:vmlaunch"),
    "l1.sti_delay": (5, lambda s: s.l1["exit_handler"][:6] == ["nop"] * 5 + ["sti"]),
    "policy": ("kvm-modern", lambda s: s.policy == "kvm-modern"),
    "bugs": (("no-req-event-rearm",), lambda s: s.bugs == ("no-req-event-rearm",)),
}
# A scenario in which the control's switch changes what happens (L2's IF matters only when
# the interrupt goes through L2's IDT; the bug only when an interrupt waits for VMLAUNCH).
OPENED_ON = {"l2.rflags_if": "pin-based-off", "bugs": "at-vmlaunch"}


def figure_data(lab: Lab) -> list:
    """The marks and arrows drawn, in the run's own steps (the lab draws the view's page)."""
    left = lab.diagram.left
    return [(tuple(None if x is None else x + left for x in t.x), tuple(t.y),
             tuple(t.hovertext or ()))
            for t, n in zip(lab.figure.data, WIDGET_TRACES, strict=True)
            if n in MARK_TRACES or n.startswith("arrow:")]


def test_the_controls_are_keyed_by_the_scenario_key_they_set(lab):
    assert set(lab.controls) == set(SWITCHES)


@pytest.mark.parametrize("key", sorted(SWITCHES))
def test_switching_a_control_changes_its_scenario_key_and_the_diagram(key):
    value, holds = SWITCHES[key]
    lab = Lab(OPENED_ON.get(key, "seed-interrupt"))
    try:
        before = figure_data(lab)
        lab.controls[key].value = value
        assert lab.error is None
        assert holds(lab.scenario)
        assert figure_data(lab) != before
    finally:
        lab.close()


@pytest.mark.parametrize("key", sorted(SWITCHES))
def test_switching_a_control_back_restores_the_scenario_exactly(lab, seed, key):
    original = lab.controls[key].value
    lab.controls[key].value = SWITCHES[key][0]
    lab.controls[key].value = original
    assert lab.scenario.to_dict() == seed.to_dict()


def test_the_vmcs12_checkboxes_carry_the_kvm_names_and_a_plain_words_tooltip(lab):
    pin = lab.controls["vmcs12.external_interrupt_exiting"]
    ack = lab.controls["vmcs12.ack_interrupt_on_exit"]
    assert pin.description == "PIN_BASED_EXT_INTR_MASK"
    assert ack.description == "VM_EXIT_ACK_INTR_ON_EXIT"
    assert "exit" in pin.tooltip and "vector" in ack.tooltip


def test_controls_start_at_the_values_of_the_scenario_they_were_opened_with():
    scenario = nvmxlab.resolve("pending-at-vmresume")
    lab = Lab(scenario)
    try:
        assert lab.controls["policy"].value == scenario.policy
        assert lab.controls["l1.sti_delay"].value == scenario.l1["exit_handler"].index("sti")
        assert lab.controls["timing"].value == timing.SCENARIO  # "L1:10" is none of the choices
        assert lab.scenario.to_dict() == scenario.to_dict()
    finally:
        lab.close()


def test_the_policy_control_selects_the_policy_the_nested_run_used(lab):
    lab.controls["policy"].value = "kvm-2011-svm"
    assert lab.result.policy == "kvm-2011-svm"


def test_the_sti_delay_keeps_the_rest_of_the_exit_handler(lab, seed):
    lab.controls["l1.sti_delay"].value = 0
    tail = seed.l1["exit_handler"][seed.l1["exit_handler"].index("sti"):]
    assert lab.scenario.l1["exit_handler"] == tail


@pytest.mark.parametrize(("choice", "trigger"), [("l2-runs", "L2:3"), ("vmlaunch", "L1:vmlaunch"),
                                                 ("vmresume", "L1:vmresume"),
                                                 ("l2-halts", "L2:3")])
def test_each_timing_moves_the_first_interrupt(seed, choice, trigger):
    edited = seed.with_overrides(timing.edits(seed, choice))
    assert str(edited.interrupts[0].at) == trigger


def test_while_l2_halts_lets_l2_execute_hlt_and_raises_the_interrupt_once_it_has(seed):
    edited = seed.with_overrides(timing.edits(seed, "l2-halts"))
    assert edited.l2["program"][-1] == "hlt"
    assert edited.vmcs12["hlt_exiting"] is False
    assert edited.interrupts[0].at.count == len(edited.l2["program"])
    assert timing.current(edited) == "l2-halts"


def test_leaving_a_halting_scenario_gives_l2_a_program_without_hlt():
    halted = nvmxlab.resolve("l2-halted")
    edited = halted.with_overrides(timing.edits(halted, "l2-runs"))
    assert "hlt" not in edited.l2["program"]


def test_while_l2_halts_shows_l2_halted_in_the_state_graph(lab):
    lab.controls["timing"].value = "l2-halts"
    labels = {s.label for s in lab.snapshot.sequence.worlds["bare"].states}
    assert "L2 halted (HLT)" in labels


def test_a_scenario_without_interrupts_disables_the_timing_control():
    quiet = nvmxlab.from_dict({"name": "quiet", "l1": {"exit_handler": ["nop", "vmresume"]}})
    lab = Lab(quiet)
    try:
        assert lab.controls["timing"].disabled
        assert lab.controls["l1.sti_delay"].disabled  # this exit handler has no STI
        assert lab.error is None
    finally:
        lab.close()


def test_on_a_page_every_panel_shows_the_new_run_before_the_handler_returns(lab):
    # No panel waits for a message from the page (plotly 7.1's front end never sends the
    # layout delta that on_edits_completed waits for): a page showing the lab changes nothing.
    lab.figure._view_count = 1
    before = lab.status.value
    lab.controls["vmcs12.ack_interrupt_on_exit"].value = True  # a failed VM entry instead
    assert lab.status.value != before
    assert "✗" in lab.status.value
    assert lab.player.slider.max == lab.snapshot.steps("nested") - 1
    assert share.decode(shown_share(lab)).scenario == lab.scenario
    assert not lab.figure._waiting_edit_callbacks


def test_without_a_page_the_whole_lab_updates_at_once(lab):
    before = lab.status.value
    lab.controls["vmcs12.ack_interrupt_on_exit"].value = True
    assert lab.status.value != before


def test_a_new_lab_sends_its_figures_no_message_before_a_page_has_drawn_them(monkeypatch):
    # A page can get an update while plotly is still drawing the figure: its view then fails.
    sent = []
    for name in ("_send_animate_msg", "_send_update_msg", "_send_restyle_msg",
                 "_send_relayout_msg"):
        monkeypatch.setattr(go.FigureWidget, name, lambda *a, name=name, **k: sent.append(name))
    Lab("seed-interrupt").close()
    assert sent == []


def test_a_new_lab_gives_the_page_its_figures_with_their_data(lab):
    # What the page draws first is the widget's state as it was made (`_widget_data`).
    for fig in (lab.figure, lab.graph):
        made = [trace.get("x") or [] for trace in fig._widget_data]
        assert made == [list(trace.x or ()) for trace in fig.data]
        assert any(made)


def _open_widgets() -> int:
    """How many widgets the kernel holds open (each is a comm): ipywidgets 8 keeps them in
    `widget._instances` (`Widget.widgets` is its deprecated name)."""
    from ipywidgets.widgets import widget

    return len(widget._instances)


def test_a_refused_change_set_back_leaves_no_new_widget_open(lab):
    lab.controls["policy"].value = "kvm-modern"
    before = _open_widgets()
    lab.controls["bugs"].value = ("no-req-event-rearm",)  # refused under kvm-modern: set back
    assert lab.error is not None and lab.controls["bugs"].value == ()
    assert _open_widgets() == before


def test_a_policy_change_leaves_no_new_widget_open(lab):
    before = _open_widgets()
    lab.controls["policy"].value = "kvm-modern"
    assert lab.error is None and lab.scenario.policy == "kvm-modern"
    assert _open_widgets() == before
