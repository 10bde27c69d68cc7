"""The lab's title, description and share string say what the run shown is: the scenario as
opened, or that scenario with the controls' changes, named."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nvmxlab import share
from nvmxlab.limits import MAX_NAME
from nvmxlab.views.changes import BEFORE, Change, name_for
from nvmxlab.views.labstate import LabState

PIN = "vmcs12.external_interrupt_exiting"
SEED_NAME = "Interrupt for L1 while L2 runs"


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<style>.*?</style>|<[^>]+>", " ", html, flags=re.S))


@pytest.fixture
def state() -> LabState:
    return LabState.open("seed-interrupt")


def test_an_unchanged_scenario_is_shared_as_bundled_byte_for_byte(state, seed):
    assert state.scenario.name == SEED_NAME
    assert state.share_string == share.encode(seed, step=state.step, mode="nested")


def test_the_name_lists_each_change_in_the_controls_words(state):
    state.set_control(PIN, False)
    state.set_control("timing", "l2-halts")
    assert state.scenario.name == (f"{SEED_NAME}, changed: PIN_BASED_EXT_INTR_MASK = 0, "
                                   "interrupt arrives while L2 halts (HLT)")


def test_the_share_string_carries_the_changed_name_and_marked_texts(state, seed):
    state.set_control(PIN, False)
    shared = share.decode(state.share_string).scenario
    assert shared.name.endswith("changed: PIN_BASED_EXT_INTR_MASK = 0")
    assert shared.description == BEFORE + seed.description
    assert shared.explain == BEFORE + seed.explain.strip()


def test_a_change_set_back_gives_the_bundled_name_again(state, seed):
    state.set_control("policy", "kvm-modern")
    state.set_control("policy", seed.policy)
    assert (state.scenario.name, state.scenario.description) == (seed.name, seed.description)


def test_a_pasted_changed_scenario_changed_again_keeps_its_history(state):
    state.set_control(PIN, False)
    state.restore(state.share_string)
    state.set_control("l2.rflags_if", False)
    assert state.scenario.name == (f"{SEED_NAME}, changed: PIN_BASED_EXT_INTR_MASK = 0; then "
                                   "L2 RFLAGS.IF = 0")
    assert state.scenario.description.count(BEFORE) == 1


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=MAX_NAME).filter(str.isprintable),
       st.integers(1, 7), st.text(min_size=1, max_size=60).filter(str.isprintable))
def test_a_changed_name_never_passes_the_name_limit(name, count, value):
    base = LabState.open("seed-interrupt").base.with_overrides({"name": name})
    made = tuple(Change("policy", f"control {i}", value) for i in range(count))
    assert len(name_for(base, made)) <= MAX_NAME


# -- the header on the page ------------------------------------------------------------------
def test_the_header_of_an_unchanged_scenario_is_its_own(lab, seed):
    shown = text(lab.header.value)
    assert SEED_NAME in shown and seed.description in shown
    assert "Changed by the controls" not in shown and "before the changes" not in shown


def test_after_a_change_the_header_says_what_changed_and_whose_the_description_is(lab, seed):
    lab.controls[PIN].value = False
    shown = text(lab.header.value)
    assert f"{SEED_NAME}, changed: PIN_BASED_EXT_INTR_MASK = 0" in shown
    assert "Changed by the controls" in shown
    assert f"Before the changes: {seed.description}" in shown
    assert "what this scenario showed before the changes" in shown
    assert BEFORE not in shown  # the share string's marker, said in the page's own words


def test_a_pasted_changed_share_string_keeps_its_description_marked(lab):
    lab.controls[PIN].value = False
    pasted = lab.share_string
    lab.restore(share.encode(lab.base, step=3))  # somewhere else first
    lab.restore(pasted)
    shown = text(lab.header.value)
    assert "changed: PIN_BASED_EXT_INTR_MASK = 0" in shown
    assert "Before the changes:" in shown


# -- the paste box's outcome -----------------------------------------------------------------
def test_a_loaded_paste_says_so_beside_the_paste_box(lab, seed):
    lab.paste_box.value = share.encode(seed.with_overrides({"policy": "kvm-modern"}), step=4)
    shown = text(lab.paste_outcome.value)
    assert shown.strip().startswith("✓ Loaded")
    assert f"“{SEED_NAME}”, at step 4, nested" in shown


def test_a_refused_paste_says_why_beside_the_paste_box(lab):
    damaged = lab.share_string[:-9] + "!!garbage"
    lab.paste_box.value = damaged
    shown = text(lab.paste_outcome.value)
    assert "✗ Not loaded" in shown and "share string" in shown
    assert lab.error in lab.paste_outcome.value.replace("&#x27;", "'")


def test_a_pasted_step_past_the_end_is_said_not_clamped_silently(lab, seed):
    lab.paste_box.value = share.encode(seed, step=99999)
    last = lab.state.steps - 1
    assert lab.step == last
    for panel in (lab.paste_outcome, lab.status):
        assert f"step 99999 was asked for, past the end of this run (steps 0–{last})" in \
            text(panel.value)


def test_a_lab_opened_past_the_end_says_so_in_the_verdict(seed):
    state = LabState.open(share.encode(seed, step=500))
    assert state.step == state.steps - 1
    assert "step 500 was asked for" in state.notice
    state.set_control(PIN, False)  # a shorter run: the step moves to its end, as the slider
    assert state.notice is None


def test_the_paste_outcome_is_cleared_by_the_next_change(lab, seed):
    lab.paste_box.value = share.encode(seed, step=4)
    lab.controls[PIN].value = False
    assert lab.paste_outcome.value == ""


def test_the_notice_stays_with_its_run_through_steps_and_a_refused_change(seed):
    state = LabState.open(share.encode(seed, step=500))
    state.set_step(3)
    state.set_control("bugs", ("ack-before-exit",))  # refused under kvm-2011-vmx
    assert state.problem is not None  # the same run stays shown, and what was said of it
    assert "step 500 was asked for" in state.notice
