"""What a trace step is, and what its readers know of it: its kind is a member of `Kind`, whose
value is the string the outputs write; each fact a reader needs is a `Fact` recorded where the
step is made, and says what the words of `why` say (prose that no program reads back)."""

from __future__ import annotations

import json
from functools import cache

import pytest

import nvmxlab
from nvmxlab import formats
from nvmxlab.bugs import POLICIES
from nvmxlab.checker import documented_differences
from nvmxlab.result import Result
from nvmxlab.trace import Event, Fact, Kind


def merged_nmis() -> nvmxlab.Scenario:
    """Three NMIs for L1 at once: the NMI pin latches one, KVM's process_nmi() keeps two."""
    raw = {"name": "merged NMIs", "policy": "kvm-modern", "vmcs12": {"nmi_exiting": True},
           "interrupt": [{"type": "nmi", "to": "L1", "at": "L1:3"}] * 3}
    return nvmxlab.from_dict(raw, "merged NMIs")


@cache
def all_runs() -> tuple[Result, ...]:
    """Every bundled scenario on bare metal and under every policy it allows, and the merged
    NMIs (no bundled scenario merges any) in both worlds."""
    runs = [nvmxlab.run(merged_nmis(), "bare"), nvmxlab.run(merged_nmis(), "nested")]
    for name in nvmxlab.bundled():
        scenario = nvmxlab.load_bundled(name)
        runs.append(nvmxlab.run(scenario, "bare"))
        for policy in POLICIES:
            try:
                scenario.with_overrides({"policy": policy})
            except nvmxlab.ScenarioError:
                continue
            runs.append(nvmxlab.run(scenario, "nested", policy))
    return tuple(runs)


def all_events() -> list[Event]:
    return [e for r in all_runs() for e in r.events]


def test_every_step_of_every_bundled_run_has_a_kind_member_as_its_kind():
    assert {type(e.kind) for e in all_events()} == {Kind}


def test_every_delivery_step_carries_what_its_level_observes():
    """Result.observed holds the steps with views; the invariants read deliveries there."""
    deliveries = [e for r in all_runs() for e in r.events if e.kind == Kind.DELIVER]
    assert deliveries and all(e.views for e in deliveries)
    assert all(any(lvl == e.level for lvl, _ in e.views) for e in deliveries)


def test_the_observed_steps_are_the_steps_with_views_in_order():
    for r in all_runs():
        assert r.observed == tuple(e for e in r.events if e.views)


def test_every_step_holds_its_facts_as_a_tuple_of_fact_members():
    assert {type(e.facts) for e in all_events()} == {tuple}
    assert {type(f) for e in all_events() for f in e.facts} == {Fact}


def test_every_kind_is_made_by_some_bundled_scenario():
    assert {e.kind for e in all_events()} == set(Kind)


def test_the_json_writes_a_kind_as_its_string():
    result = nvmxlab.run(nvmxlab.load_bundled("seed-interrupt"), "nested")
    written = [step["kind"] for step in json.loads(formats.to_json(result))["events"]]
    assert written == [e.kind.value for e in result.events]


def test_facts_are_not_written_in_the_json():
    plain = Event(7, "L0", Kind.INJECT, "vmx_inject_irq", "re-inject it", {"vector": 48})
    marked = plain._replace(facts=(Fact.REINJECTED,))
    assert marked.to_json() == plain.to_json()
    assert formats.event_lines([marked]) == formats.event_lines([plain])


# Each fact, the steps that may carry it, and the words their `why` says it in.
FACTS = {
    Fact.MERGED: (lambda e: e.kind == Kind.NMI, "merged"),
    Fact.NESTED_RUN_PENDING: (lambda e: e.level == "L0" and e.name in (
        "vmx_interrupt_allowed", "vmx_check_nested_events"), "nested_run_pending"),
    Fact.ON_NESTED_VMEXIT: (lambda e: e.kind == Kind.REQUEST, "nested VM exit"),
    Fact.REINJECTED: (lambda e: e.kind == Kind.INJECT, "re-inject"),
}


def test_no_fact_reads_as_a_kind():
    # Both are strings: a fact spelled like a kind would compare equal to it.
    assert {f.value for f in Fact}.isdisjoint(k.value for k in Kind)


def test_every_fact_says_which_steps_may_carry_it():
    assert set(FACTS) == set(Fact)


@pytest.mark.parametrize("fact", list(FACTS), ids=lambda f: f.name)
def test_a_fact_is_recorded_on_exactly_the_steps_whose_words_say_it(fact):
    may_carry, words = FACTS[fact]
    steps = [e for e in all_events() if may_carry(e)]
    recorded = [fact in e.facts for e in steps]
    assert recorded == [words in e.why for e in steps]
    assert any(recorded) and not all(recorded)  # both cases occur in these runs


@pytest.mark.parametrize("fact", list(FACTS), ids=lambda f: f.name)
def test_a_fact_is_carried_by_no_other_step(fact):
    may_carry, _ = FACTS[fact]
    assert [e for e in all_events() if fact in e.facts and not may_carry(e)] == []


def test_a_reinjection_is_marked_in_the_kvm_trace():
    result = nvmxlab.run(nvmxlab.load_bundled("idt-vectoring-l0-ept"), "nested", "kvm-modern")
    injections = [line for line in formats.kvm_trace(result).splitlines() if "kvm_inj_virq" in line]
    assert [line.endswith("[reinjected]") for line in injections] == [
        Fact.REINJECTED in e.facts for e in result.events
        if e.kind == Kind.INJECT and e.level == "L0"]
    assert any(line.endswith("[reinjected]") for line in injections)


def test_merged_nmis_on_bare_metal_get_the_checkers_note():
    nested, bare = nvmxlab.run(merged_nmis(), "nested"), nvmxlab.run(merged_nmis(), "bare")
    assert any(Fact.MERGED in e.facts for e in bare.events)
    assert any("NMI pin latches one" in n
               for n in documented_differences(nested, bare))
