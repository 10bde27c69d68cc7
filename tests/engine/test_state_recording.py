"""The vCPU state is recorded when a run is asked to (`run(record_states=True)`, the lab's
views); a run that is not asked reads no state, and its `Result.states` runs the scenario once
more, recording - the same states, since the engine is deterministic."""

from __future__ import annotations

import pytest
from bundled import bundled_runs
from contract import api

import nvmxlab
from nvmxlab import engine
from nvmxlab.baremetal import BareMetal
from nvmxlab.kvm import POLICY_CLASSES
from nvmxlab.world import World


@pytest.mark.parametrize(("scenario", "mode"), bundled_runs())
def test_states_are_the_same_whether_the_run_recorded_them_or_not(scenario, mode):
    recorded = nvmxlab.run(scenario, mode, record_states=True)
    plain = nvmxlab.run(scenario, mode)
    assert plain == recorded  # recording changes no step, delivery, status or count
    assert recorded.state_record is not None and plain.state_record is None
    assert plain.states == recorded.states
    assert len(plain.states) == len(plain.events)


def test_a_run_that_does_not_record_never_reads_the_vcpu_state(monkeypatch):
    def unread(self):
        raise AssertionError("vcpu_state() called in a run that does not record states")

    for cls in (BareMetal, *POLICY_CLASSES.values()):
        monkeypatch.setattr(cls, "vcpu_state", unread)
    scenario = nvmxlab.load_bundled("seed-interrupt")
    for policy in POLICY_CLASSES:
        assert nvmxlab.run(scenario, "nested", policy).state_record is None
    assert nvmxlab.run(scenario, "bare").state_record is None


@pytest.fixture
def worlds(monkeypatch) -> list[bool]:
    """The record_states of every World the engine makes from here on."""
    made: list[bool] = []

    class CountingWorld(World):
        def __init__(self, scenario, mode, record_states=False):
            made.append(record_states)
            super().__init__(scenario, mode, record_states)

    monkeypatch.setattr(engine, "World", CountingWorld)
    return made


def test_reading_the_states_of_a_run_that_did_not_record_runs_it_once_more_recording(worlds):
    r = nvmxlab.run("seed-interrupt", "nested", "kvm-modern")
    assert worlds == [False]
    assert r.states and r.states is r.states  # read twice, replayed once
    assert worlds == [False, True]


def test_a_run_asked_to_record_states_runs_once(worlds):
    r = nvmxlab.run("seed-interrupt", "bare", record_states=True)
    assert len(r.states) == len(r.events)
    assert worlds == [True]


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_record_states_that_is_not_a_bool_is_refused_naming_the_argument(value):
    e = api(lambda: nvmxlab.run("seed-interrupt", record_states=value), "run()")
    assert e is not None and e.key == "record_states" and "True, False" in str(e)
