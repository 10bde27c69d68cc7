"""Share strings: the lab shows one, and reproduces exactly the view it describes."""

from __future__ import annotations

import nvmxlab
from nvmxlab import share
from nvmxlab.widgets import Lab

from .shown import share_input, shown_share


def test_a_share_string_reopens_the_same_scenario_step_and_world(lab):
    lab.controls["vmcs12.ack_interrupt_on_exit"].value = True
    lab.controls["policy"].value = "kvm-modern"
    lab.world_toggle.value = "bare"
    lab.show_step(12)
    copy = Lab(lab.share_string)
    try:
        assert copy.scenario.to_dict() == lab.scenario.to_dict()
        assert (copy.step, copy.world) == (12, "bare")
        assert copy.controls["vmcs12.ack_interrupt_on_exit"].value is True
        assert copy.controls["policy"].value == "kvm-modern"
        assert copy.step_text.value == lab.step_text.value
    finally:
        copy.close()


def test_the_share_box_follows_the_current_step(lab):
    lab.show_step(7)
    assert shown_share(lab) == lab.share_string
    assert share.decode(shown_share(lab)).step == 7


def test_the_share_box_is_read_only_and_says_what_it_holds(lab):
    box = share_input(lab)
    assert "readonly" in box and "disabled" not in box  # disabled text cannot be selected
    assert box["aria-label"] == "share string of this view"
    assert box["data-lm-suppress-shortcuts"] == "true"  # Ctrl+A/C select and copy the text


def test_the_lab_never_writes_into_the_paste_box_while_it_redraws(lab):
    lab.paste_box.value = "nvmx1:half-typed"  # what the learner has in the box so far
    writes = []
    lab.paste_box.observe(writes.append, "value")
    for _ in range(5):
        lab.player.slider.value = lab.step + 1  # Play's steps
    lab.world_toggle.value = "bare"
    lab.controls["policy"].value = "kvm-modern"
    lab.fit.width = 700  # the page reports a new width
    assert writes == []
    assert lab.paste_box.value == "nvmx1:half-typed"


def test_the_paste_box_is_cleared_after_a_paste_is_taken(lab, seed):
    other = share.encode(seed.with_overrides({"policy": "kvm-modern"}), step=4)
    lab.paste_box.value = other
    assert lab.scenario.policy == "kvm-modern"
    assert lab.paste_box.value == ""
    assert shown_share(lab) == lab.share_string


def test_pasting_the_string_shown_clears_the_paste_box_and_changes_nothing(lab):
    before = lab.result
    lab.paste_box.value = shown_share(lab)
    assert lab.paste_box.value == "" and lab.result is before


def test_an_emptied_paste_box_asks_for_nothing(lab):
    lab.paste_box.value = "just some words"
    lab.paste_box.value = ""
    assert lab.paste_box.value == ""
    assert lab.error is not None  # the refusal stays until something is taken


def test_pasting_a_share_string_into_the_box_loads_it(lab, seed):
    other = share.encode(seed.with_overrides({"policy": "kvm-2011-svm"}), step=5, mode="nested")
    lab.paste_box.value = other
    assert lab.scenario.policy == "kvm-2011-svm"
    assert lab.controls["policy"].value == "kvm-2011-svm"
    assert lab.step == 5


def test_explicit_arguments_override_the_share_strings_step(seed):
    lab = Lab(share.encode(seed, step=5), step=9)
    try:
        assert lab.step == 9
    finally:
        lab.close()


def test_the_engine_and_cli_accept_the_labs_share_string(lab):
    lab.controls["l2.rflags_if"].value = False
    assert nvmxlab.resolve(lab.share_string).l2["rflags_if"] is False


def test_a_step_beyond_the_run_is_clamped_to_its_last_step(seed):
    lab = Lab(share.encode(seed, step=10_000))
    try:
        assert lab.step == lab.snapshot.steps("nested") - 1
    finally:
        lab.close()
