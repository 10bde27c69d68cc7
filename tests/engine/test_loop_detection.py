"""Loop detection while triggers are pending is sound: a run it ends early is one that would
have gone round until max_steps, and a run it does not end is unchanged (hypothesis)."""

from unittest import mock

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from strategies import exit_handlers

import nvmxlab
from nvmxlab import formats
from nvmxlab.world import World

MAX_STEPS = 3000

TRIGGERS = st.one_of(
    st.integers(1, 40).map(lambda n: f"L2:{n}"),
    st.integers(3, 60).map(lambda n: f"L1:{n}"),
    st.just("L1:vmlaunch"),
    st.integers(1, 30).map(lambda k: f"L1:vmresume:{k}"),
)


@st.composite
def stuck_scenarios(draw):
    """Scenarios that often cannot reach a trigger: L2 programs that may never exit (no
    VMCALL, HLT not intercepted), triggers far ahead, L2 with IF = 0."""
    interrupts = [{"vector": 0x30 + 0x10 * i, "to": draw(st.sampled_from(("L1", "L2"))),
                   "at": draw(TRIGGERS)} for i in range(draw(st.integers(1, 3)))]
    raw = {
        "policy": draw(st.sampled_from(nvmxlab.bugs.POLICIES)),
        "max_steps": MAX_STEPS,
        "vmcs12": {"hlt_exiting": draw(st.booleans()),
                   "external_interrupt_exiting": draw(st.booleans())},
        "l1": {"exit_handler": draw(exit_handlers())},
        "l2": {"program": draw(st.lists(st.sampled_from(("nop", "cli", "sti", "hlt", "vmcall")),
                                        min_size=1, max_size=6)),
               "rflags_if": draw(st.booleans())},
        "interrupt": interrupts,
    }
    return nvmxlab.from_dict(raw, "generated")


def without_detection(scenario, mode):
    with mock.patch.object(World, "_pending_loop", lambda self: None), \
            mock.patch.object(World, "_l2_lap", lambda self: None):
        return nvmxlab.run(scenario, mode)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stuck_scenarios(), st.sampled_from(nvmxlab.MODES))
def test_an_early_livelock_is_the_one_max_steps_would_have_found(s, mode):
    early, full = nvmxlab.run(s, mode), without_detection(s, mode)
    if early.stats["steps"] == full.stats["steps"]:
        event("same run")
        assert formats.to_json(early) == formats.to_json(full)
        return
    event("ended early")
    assert early.status == full.status == "livelock"
    assert full.detail == f"max_steps ({MAX_STEPS}) reached: {early.detail}"
    assert [e.to_json() for e in early.events] == [e.to_json() for e in
                                                    full.events[:len(early.events)]]
