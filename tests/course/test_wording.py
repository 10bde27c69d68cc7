"""Words that must not contradict the lesson: an event that came in a VM exit was delivered by
the exit; L1's handler runs because of it, never "through its IDT" as if delivered again."""

import html

import pytest

import nvmxlab
from nvmxlab import formats
from nvmxlab.observations import VIA_EXIT, ObservedInterrupt, ObservedNmi
from nvmxlab.views import explain
from nvmxlab.views.states import step_states

IN_THE_EXIT = ["ack-on-exit-modern", "nmi-exiting"]


def in_exit_views(result):
    return [(e, v) for e in result.events for lvl, v in e.views
            if lvl == "L1" and isinstance(v, ObservedInterrupt | ObservedNmi)
            and v.via == VIA_EXIT]


@pytest.mark.parametrize("name", IN_THE_EXIT)
def test_an_event_that_came_in_the_exit_is_worded_as_run_because_of_the_exit(name):
    result = nvmxlab.run(nvmxlab.load_bundled(name))
    found = in_exit_views(result)
    assert found
    states = step_states(result)
    for e, view in found:
        words = view.describe()
        assert "because of the exit" in words and "IDT" not in words
        shown = explain.step_html("nested", e, states[e.seq], len(result.events))
        assert f"<b>L1 observes</b> {html.escape(words)}" in shown


@pytest.mark.parametrize("name", IN_THE_EXIT)
def test_the_printed_views_of_an_exit_that_carried_the_event_never_say_idt(name):
    text = formats.comparison_text(nvmxlab.check(nvmxlab.load_bundled(name)))
    assert "because of the exit" in text
    assert "through its IDT" not in text


def test_an_interrupt_delivered_after_sti_is_still_worded_through_the_idt():
    result = nvmxlab.run(nvmxlab.load_bundled("seed-interrupt"))
    assert in_exit_views(result) == []
    assert "interrupt 0x30 through its IDT" in formats.comparison_text(
        nvmxlab.check(nvmxlab.load_bundled("seed-interrupt")))
