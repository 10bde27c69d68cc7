"""The vCPU state the engine records after each step (`Result.states`, nvmxlab/vcpu.py): one
per event, read from where the state lives, and shared between steps that leave it alone."""

from __future__ import annotations

import pytest
from bundled import bundled_runs
from hypothesis import given, settings
from strategies import scenarios

import nvmxlab
from nvmxlab.baremetal import BareMetal
from nvmxlab.cpu import Idle
from nvmxlab.kvm import POLICY_CLASSES
from nvmxlab.trace import StateTrace
from nvmxlab.vcpu import KVM_REQ_EVENT, NMI
from nvmxlab.vmx import ACTIVE
from nvmxlab.world import Done, Livelock, World


def live_state(world: World, machine) -> dict:
    """The state as the live objects hold it, read independently of vcpu.py."""
    bare = isinstance(machine, BareMetal)
    vmcses = (machine.vmcs12,) if bare else (machine.vmcs01, machine.vmcs02, machine.vmcs12)
    windows = {v.name for v in vmcses if v.interrupt_window_exiting} | {
        v.name + NMI for v in vmcses if v.nmi_window_exiting}
    out = {"running": machine.cpu.running, "windows": windows,
           "l2_halted_by_l1": machine.l1_hv.l2_halted}
    for c in (world.l1, world.l2):
        out[c.level] = (c.stream, c.rflags_if, c.sti_blocking, c.nmi_blocking, c.activity)
    if bare:
        out.update(guest_mode=machine.cpu.running == "L2", nested_run_pending=False,
                   requests=set(), req_immediate_exit=False, halted=False)
    else:
        out.update(guest_mode=machine.guest_mode, nested_run_pending=machine.nested_run_pending,
                   requests={KVM_REQ_EVENT} if machine.req_event else set(),
                   req_immediate_exit=machine.req_immediate_exit, halted=machine.halted)
    return out


def recorded_state(s) -> dict:
    out = {"running": s.running, "windows": set(s.windows), "l2_halted_by_l1": s.l2_halted_by_l1,
           "guest_mode": s.guest_mode,
           "nested_run_pending": s.nested_run_pending, "requests": set(s.requests),
           "req_immediate_exit": s.req_immediate_exit, "halted": s.halted}
    for name, g in (("L1", s.l1), ("L2", s.l2)):
        out[name] = (g.stream, g.rflags_if, g.sti_blocking, g.nmi_blocking, g.activity)
    return out


def run_checking_each_step(scenario, mode, monkeypatch) -> int:
    """Run `scenario`, recording the state, and, right after each step is recorded (its state
    taken, or kept from the step before), compare the state recorded last with the live
    objects.  Returns the number of steps compared."""
    checked = []

    def check():
        if world.trace.stale:
            return  # a change not recorded yet: the next step takes it
        seq = len(world.trace.events) - 1
        recorded = machine.snapshots[world.trace.changes[-1][1]]
        assert recorded_state(recorded) == live_state(world, machine), \
            f"{scenario.name} ({mode}), step {seq} {world.trace.events[seq].name}"
        checked.append(seq)

    add, retired = StateTrace.add, World._retired_recording_state

    def checked_add(self, *args, **kwargs):
        ev = add(self, *args, **kwargs)
        check()
        return ev

    def checked_retired(self, *args, **kwargs):
        try:
            retired(self, *args, **kwargs)
        finally:
            check()

    # Before the world is made: it chooses its retired() once.
    monkeypatch.setattr(StateTrace, "add", checked_add)
    monkeypatch.setattr(World, "_retired_recording_state", checked_retired)
    world = World(scenario, mode, record_states=True)
    machine = BareMetal(world) if mode == "bare" else POLICY_CLASSES[scenario.policy](world)
    try:
        machine.run()
    except (Done, Idle, Livelock):
        pass
    finally:
        monkeypatch.undo()
    return len(checked)


@pytest.mark.parametrize(("scenario", "mode"), bundled_runs())
def test_the_state_recorded_at_each_step_is_what_the_live_objects_hold(scenario, mode,
                                                                      monkeypatch):
    assert run_checking_each_step(scenario, mode, monkeypatch) > 0


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_no_change_to_the_state_goes_unrecorded_in_any_scenario(s):
    with pytest.MonkeyPatch.context() as mp:
        for mode in ("bare", "nested"):
            assert run_checking_each_step(s, mode, mp) > 0


def test_there_is_one_state_per_event_in_both_worlds(seed_scenario):
    for mode in ("bare", "nested"):
        r = nvmxlab.run(seed_scenario, mode)
        assert len(r.states) == len(r.events)


def test_steps_that_leave_the_state_alone_share_one_snapshot(seed_scenario):
    r = nvmxlab.run(seed_scenario)
    for a, b in zip(r.states, r.states[1:], strict=False):
        assert (a is b) == (a == b)
    assert len({id(s) for s in r.states}) < len(r.states) / 2


def test_a_vm_exit_on_bare_metal_leaves_l1_in_its_exit_handler_with_if_0(seed_scenario):
    # SDM 28.5.3: the exit loads the host's RIP and RFLAGS = 0x2.
    r = nvmxlab.run(seed_scenario, "bare")
    exits = [i for i, e in enumerate(r.events) if e.kind == "vmexit"]
    assert exits
    for i in exits:
        s = r.states[i]
        assert (s.running, s.l1.stream, s.l1.rflags_if, s.l1.activity) == \
            ("L1", "exit_handler", False, ACTIVE)


def test_nested_run_pending_lasts_from_nested_vmx_run_to_the_entry_into_l2(seed_scenario):
    r = nvmxlab.run(seed_scenario, "nested", "kvm-modern")
    run = next(i for i, e in enumerate(r.events) if e.kind == "nested_vmenter")
    entry = next(i for i, e in enumerate(r.events) if i > run and e.kind == "vmentry")
    assert all(s.nested_run_pending and s.guest_mode for s in r.states[run:entry + 1])
    assert not r.states[run - 1].guest_mode
    assert r.states[entry].running == "L2"


def test_kvm_req_event_is_pending_from_kvm_make_request_to_kvm_check_request(seed_scenario):
    r = nvmxlab.run(seed_scenario, "nested", "kvm-modern")
    made = [i for i, e in enumerate(r.events) if e.name == "kvm_make_request(KVM_REQ_EVENT)"]
    checked = [i for i, e in enumerate(r.events) if e.name.startswith("kvm_check_request")]
    assert made and checked
    assert all(KVM_REQ_EVENT in r.states[i].requests for i in made)
    assert all(KVM_REQ_EVENT not in r.states[i].requests for i in checked)


def test_bare_metal_records_no_l0_state(seed_scenario):
    r = nvmxlab.run(seed_scenario, "bare")
    assert {s.running for s in r.states} == {"L1", "L2"}
    assert not any(s.nested_run_pending or s.requests or s.halted or s.l0_task
                   for s in r.states)


@pytest.fixture(scope="module")
def seed_scenario():
    return nvmxlab.load_bundled("seed-interrupt")


@pytest.mark.parametrize("mode", ["bare", "nested"])
def test_l2_halted_by_l1_holds_from_l1s_kvm_emulate_halt_to_its_vcpu_block_waking_l2(mode):
    # l1.py: kvm_emulate_halt() sets L2's mp_state HALTED; vcpu_block() finds an event for L2
    # and makes it RUNNABLE.  On bare metal L1 is the host and blocks L2's vCPU the same way.
    r = nvmxlab.run(nvmxlab.load_bundled("l2-halt-intercepted"), mode, record_states=True)
    expected, blocked = [], False
    for e in r.events:
        if e.level == "L1" and e.name in ("kvm_emulate_halt", "vcpu_block"):
            blocked = e.data["mp_state"] == "HALTED"
        expected.append(blocked)
    assert [s.l2_halted_by_l1 for s in r.states] == expected
    # Blocked, woken by the interrupt for L2, blocked again at the end (the run ends idle).
    assert expected[-1] and False in expected[expected.index(True):]


def test_l2_halted_by_l1_is_never_recorded_when_l1_does_not_intercept_hlt():
    r = nvmxlab.run(nvmxlab.load_bundled("l2-halted"), "nested", record_states=True)
    assert any(s.l2.activity != ACTIVE for s in r.states)
    assert not any(s.l2_halted_by_l1 for s in r.states)
