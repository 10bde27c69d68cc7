"""The vCPU state after every step, pinned byte for byte: `step_states` of every bundled
scenario, in both worlds and under every policy, equals states_golden.json (written by
states_golden.py)."""

import json

import pytest

import nvmxlab

from .states_golden import GOLDEN, encoded, runs


@pytest.fixture(scope="module")
def golden() -> dict:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", nvmxlab.bundled())
def test_the_state_after_every_step_equals_its_golden_record(name, golden):
    actual = {world: encoded(r) for world, r in runs(name).items()}
    assert sorted(actual) == sorted(golden[name])
    for world, rows in actual.items():
        assert rows == golden[name][world], f"{name} ({world}): the states differ"


def test_every_bundled_scenario_has_a_golden_record(golden):
    assert sorted(golden) == nvmxlab.bundled()
