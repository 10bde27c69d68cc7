"""The lab's state without a widget: what each of the learner's actions does to it and says it
changed, what it refuses, and where it opens."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nvmxlab
import nvmxlab.engine
from nvmxlab import share
from nvmxlab.scenario import ScenarioError
from nvmxlab.views.changes import changes, name_for
from nvmxlab.views.labstate import MIN_PLOT_PX, WIDTH_SLACK, Changed, LabState
from nvmxlab.views.settings import SETTINGS, values_of

ACK = "vmcs12.ack_interrupt_on_exit"


@pytest.fixture
def state() -> LabState:
    return LabState.open("seed-interrupt")


def story_step(result: nvmxlab.Result) -> int:
    return next(i for i, e in enumerate(result.events) if e.kind == "raise")


def as_it_was(state: LabState) -> tuple:
    return (state.base, dict(state.values), state.snapshot, state.world, state.step,
            state.plot_px)


# -- opening ---------------------------------------------------------------------------------
def test_it_opens_on_the_step_where_the_first_interrupt_is_raised(state):
    assert state.step == story_step(state.nested)
    assert (state.world, state.problem) == ("nested", None)


@pytest.mark.parametrize("name", nvmxlab.bundled())
def test_every_bundled_scenario_opens_on_the_step_its_story_starts(name):
    state = LabState.open(name)
    raised = [i for i, e in enumerate(state.nested.events[:state.steps]) if e.kind == "raise"]
    assert state.step == (raised[0] if raised else state.steps - 1)


def test_the_controls_open_on_what_the_scenario_says(state, seed):
    assert state.values == values_of(seed)
    assert state.scenario == state.base == seed


def test_a_share_string_opens_on_its_own_step_and_world(seed):
    state = LabState.open(share.encode(seed, step=7, mode="bare"))
    assert (state.step, state.world, state.scenario) == (7, "bare", seed)


def test_explicit_arguments_override_the_share_strings_step_and_world(seed):
    state = LabState.open(share.encode(seed, step=7, mode="bare"), step=3, world="nested")
    assert (state.step, state.world) == (3, "nested")


def test_a_step_past_the_end_opens_on_the_last_step():
    state = LabState.open("seed-interrupt", step=10**6)
    assert state.step == state.steps - 1


@pytest.mark.parametrize(("kwargs", "named"), [
    ({"world": "moon"}, "world"),
    ({"step": -1}, "step"),
    ({"step": True}, "step"),
    ({"step": "3"}, "step"),
])
def test_bad_opening_arguments_are_refused_naming_the_argument(kwargs, named):
    with pytest.raises(ScenarioError) as refusal:
        LabState.open("seed-interrupt", **kwargs)
    assert "Lab()" in str(refusal.value) and named in str(refusal.value)


def test_the_state_module_imports_no_widget_library():
    code = ("import sys, nvmxlab.views.labstate; "
            "sys.exit('ipywidgets' in sys.modules or 'anywidget' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# -- a new configuration ---------------------------------------------------------------------
def test_a_control_runs_both_worlds_again(state, engine_runs):
    assert state.set_control(ACK, True) == Changed.RUN
    assert engine_runs.calls == 2
    assert state.scenario.vmcs12["ack_interrupt_on_exit"] is True
    assert state.nested.scenario == state.bare.scenario == state.scenario
    assert state.values[ACK] is True


def test_both_worlds_record_their_vcpu_states_as_they_run(state):
    # The views draw them: taken as the runs go, not by running each world once more.
    assert state.nested.state_record is not None and state.bare.state_record is not None


def test_the_verdict_follows_the_control(state):
    assert state.comparison.ok
    state.set_control(ACK, True)  # under kvm-2011-vmx: a failed VM entry
    assert not state.comparison.ok
    assert any(e.kind == "vmfail" for e in state.nested.events)


def test_after_a_control_a_learner_who_has_not_moved_sees_the_new_story(state):
    state.set_control("vmcs12.external_interrupt_exiting", False)
    assert state.step == story_step(state.nested)


def test_after_a_control_a_learner_who_has_moved_stays_on_the_step(state):
    state.set_step(30)
    state.set_control("vmcs12.external_interrupt_exiting", False)
    assert state.step == 30


def test_setting_a_control_back_restores_the_base_scenario(state, seed):
    state.set_control(ACK, True)
    state.set_control(ACK, False)
    assert state.scenario == seed


def test_a_refused_control_names_itself_and_keeps_the_last_run(state):
    state.set_control("policy", "kvm-modern")
    before = state.snapshot
    assert state.set_control("bugs", ("no-req-event-rearm",)) == \
        Changed.PROBLEM | Changed.CONTROLS
    assert "the lab control 'teaching bugs'" in state.error
    assert state.problem.what == "This combination" and state.problem.failure is None
    assert state.snapshot is before


def test_a_refused_control_is_set_back_to_the_value_of_the_run_shown(state):
    state.set_control("policy", "kvm-2011-svm")
    state.set_control("bugs", ("no-req-event-rearm",))  # only the 2011 VMX code has it
    assert state.values["bugs"] == ()  # the control is unticked: no run shows the bug
    assert state.values["policy"] == "kvm-2011-svm"  # the other controls keep theirs
    assert state.values == values_of(state.scenario)


def test_a_run_after_a_refusal_clears_the_problem(state):
    state.set_control("policy", "kvm-modern")
    state.set_control("bugs", ("no-req-event-rearm",))
    assert state.set_control("bugs", ()) == Changed.RUN
    assert state.problem is None


def test_an_engine_failure_is_a_problem_carrying_the_exception(state, monkeypatch):
    before = (state.snapshot, state.step)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(nvmxlab.engine, "run", broken)
    assert state.set_control(ACK, True) == Changed.PROBLEM | Changed.CONTROLS
    assert state.values[ACK] is False  # set back: the diagram still shows ACK = 0
    assert state.error == "RuntimeError: boom"
    assert isinstance(state.problem.failure, RuntimeError)
    assert (state.snapshot, state.step) == before


def test_an_unknown_control_is_an_error_naming_the_controls(state):
    with pytest.raises(KeyError, match="l1.sti_delay"):
        state.set_control("vmcs12.nonsense", True)


# -- the paste box ---------------------------------------------------------------------------
def test_pasting_the_string_shown_changes_nothing(state, engine_runs):
    assert state.paste(f"  {state.share_string}\n") == Changed.NOTHING
    assert engine_runs.calls == 0


def test_pasting_a_share_string_brings_its_scenario_controls_step_and_world(state, seed):
    other = seed.with_overrides({"policy": "kvm-2011-svm", ACK: True})
    assert state.paste(share.encode(other, step=5, mode="bare")) == \
        Changed.CONTROLS | Changed.RUN | Changed.PASTE
    assert (state.base, state.scenario, state.step, state.world) == (other, other, 5, "bare")
    assert state.values == values_of(other)
    assert state.values["policy"] == "kvm-2011-svm"


def test_a_pasted_share_string_without_a_step_opens_on_its_story(state, seed):
    state.set_step(30)
    state.paste(share.encode(seed))
    assert state.step == story_step(state.nested)


@pytest.mark.parametrize("pasted", ["just some words", "nvmx1:not-base64!", "nvmx1:"])
def test_a_bad_paste_leaves_the_state_as_it_was_naming_the_paste_box(state, pasted):
    state.set_step(12)
    before = as_it_was(state)
    assert state.paste(pasted) == Changed.PROBLEM | Changed.PASTE
    assert as_it_was(state) == before
    assert state.problem.what == "This share string"
    assert "share" in state.error


def test_a_paste_that_is_not_a_share_string_says_what_is_allowed(state):
    state.paste("just some words")
    assert "the paste box" in state.error and "nvmx1:" in state.error


def test_the_share_string_holds_the_scenario_step_and_world(state):
    state.set_control(ACK, True)
    state.set_world("bare")
    state.set_step(4)
    shared = share.decode(state.share_string)
    assert (shared.scenario, shared.step, shared.mode) == (state.scenario, 4, "bare")


# -- the same run, another view --------------------------------------------------------------
def test_a_step_runs_no_engine(state, engine_runs):
    assert state.set_step(3) == Changed.STEP
    assert (state.step, engine_runs.calls) == (3, 0)


@pytest.mark.parametrize(("asked", "shown"), [(-5, 0), (10**6, "last")])
def test_a_step_outside_the_run_is_clamped(state, asked, shown):
    state.set_step(asked)
    assert state.step == (state.steps - 1 if shown == "last" else shown)


def test_the_step_shown_again_changes_nothing(state):
    assert state.set_step(state.step) == Changed.NOTHING


def test_play_moves_one_step_on_and_stops_at_the_end(state):
    state.set_step(state.steps - 2)
    assert state.play_step() == Changed.STEP
    assert state.step == state.steps - 1
    assert state.play_step() == Changed.NOTHING
    assert state.play_step(-1) == Changed.STEP and state.step == state.steps - 2


def test_the_other_world_keeps_the_step_number(state, engine_runs):
    state.set_step(9)
    assert state.set_world("bare") == Changed.WORLD | Changed.STEP
    assert (state.world, state.step, state.steps) == ("bare", 9, state.snapshot.steps("bare"))
    assert engine_runs.calls == 0


def test_the_other_world_clamps_a_step_past_its_end(state):
    state.set_control(ACK, True)  # a short nested run against a longer bare one
    state.set_world("bare")
    state.set_step(state.steps - 1)
    state.set_world("nested")
    assert state.step == state.snapshot.steps("nested") - 1


def test_the_world_shown_again_changes_nothing(state):
    assert state.set_world("nested") == Changed.NOTHING


def test_an_unknown_world_is_an_error_naming_the_worlds(state):
    with pytest.raises(ValueError, match="nested, bare"):
        state.set_world("moon")


def test_a_new_width_places_the_labels_anew_without_running_the_engine(state, engine_runs):
    runs, before = (state.nested, state.bare), state.snapshot.sequence.view_width
    assert state.set_width(700) == Changed.WIDTH
    assert state.plot_px == 700 - 180
    assert state.snapshot.sequence.plot_px == state.plot_px
    assert state.snapshot.sequence.view_width < before
    assert (state.nested, state.bare) == runs and engine_runs.calls == 0


def test_a_width_within_the_slack_changes_nothing(state):
    assert state.set_width(state.plot_px + 180 + WIDTH_SLACK - 1) == Changed.NOTHING


def test_a_tiny_width_gives_the_smallest_plot(state):
    state.set_width(10)
    assert state.plot_px == MIN_PLOT_PX


# -- invariants ------------------------------------------------------------------------------
CHOICES = {
    "vmcs12.external_interrupt_exiting": st.booleans(),
    ACK: st.booleans(),
    "l2.rflags_if": st.booleans(),
    "timing": st.sampled_from(["scenario", "l2-runs", "vmlaunch", "vmresume", "l2-halts"]),
    "l1.sti_delay": st.integers(0, 8),
    "policy": st.sampled_from(["kvm-2011-vmx", "kvm-2011-svm", "kvm-modern"]),
    "bugs": st.sampled_from([(), ("no-req-event-rearm",)]),
}
assert set(CHOICES) == {s.key for s in SETTINGS}
ACTIONS = st.one_of(
    *(st.tuples(st.just("set_control"), st.just(k), v) for k, v in CHOICES.items()),
    st.tuples(st.just("set_world"), st.sampled_from(["nested", "bare"])),
    st.tuples(st.just("set_step"), st.integers(-3, 200)),
    st.tuples(st.just("play_step"), st.integers(-2, 2)),
    st.tuples(st.just("paste"), st.sampled_from(["nvmx1:x", "words"])),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(ACTIONS, max_size=8))
def test_after_any_actions_the_state_shows_one_consistent_run(actions):
    state = LabState.open("seed-interrupt")
    for name, *args in actions:
        before = as_it_was(state)
        changed = getattr(state, name)(*args)
        if Changed.PROBLEM in changed:
            assert as_it_was(state) == before
    assert 0 <= state.step < state.steps
    # The controls show the run shown, and its name lists what they changed.
    assert state.changes == changes(state.base, values_of(state.scenario))
    assert state.scenario.name == (name_for(state.base, state.changes) if state.changes
                                   else state.base.name)
    assert state.nested.scenario == state.bare.scenario == state.scenario
    shared = share.decode(state.share_string)
    assert (shared.scenario, shared.step, shared.mode) == (state.scenario, state.step,
                                                           state.world)


def test_a_refused_control_is_a_problem_whose_controls_were_set_back(state):
    state.set_control("policy", "kvm-modern")
    state.set_control("bugs", ("no-req-event-rearm",))
    assert state.problem.set_back


def test_a_refused_paste_is_a_problem_that_left_the_controls_as_they_were(state):
    state.paste("nvmx1:not-base64!")
    assert not state.problem.set_back
