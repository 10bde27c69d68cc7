"""The checker: invariants, mismatches and delays, and teaching bugs caught by their effect."""

import dataclasses

import pytest

import nvmxlab
from nvmxlab import formats
from nvmxlab.engine import compare


def run_pair(name, **overrides):
    s = nvmxlab.load_bundled(name)
    if overrides:
        s = s.with_overrides(overrides)
    return nvmxlab.run(s, "nested"), nvmxlab.run(s, "bare")


def shifted(result, index, by):
    """The same result with L1's observation `index` happening `by` L2 instructions later."""
    events = list(result.events)
    seen = -1
    for i, e in enumerate(events):
        for level, v in e.views:
            if level == "L1":
                seen += 1
                if seen == index:
                    new = dataclasses.replace(v, l2_retired=v.l2_retired + by)
                    events[i] = e._replace(views=(("L1", new),))
    return dataclasses.replace(result, events=tuple(events))


def test_a_later_asynchronous_exit_is_a_delay_not_a_mismatch():
    nested, bare = run_pair("seed-interrupt")
    c = compare(shifted(nested, 1, 2), bare)
    assert c.ok and not c.mismatches
    assert c.delays == ["a VM exit (EXTERNAL_INTERRUPT, no vector) reached L1 2 L2 instructions "
                        "later than on bare metal"]


def test_a_late_exit_for_an_interrupt_pending_at_vm_entry_is_a_mismatch():
    nested, bare = run_pair("at-vmlaunch-modern")
    c = compare(shifted(nested, 1, 3), bare)
    assert not c.ok
    assert "already pending at VM entry" in c.mismatches[0]


def test_a_different_exit_reason_is_a_mismatch_naming_both():
    c = nvmxlab.check(nvmxlab.load_bundled("at-vmlaunch"))
    assert "nested, L1 saw a VM exit (VMCALL)" in c.mismatches[0]
    assert "on bare metal, a VM exit (EXTERNAL_INTERRUPT, no vector)" in c.mismatches[0]


@pytest.mark.parametrize("name, effect", [
    ("bug-no-req-event-rearm", "never delivered"),
    ("bug-ignore-nested-run-pending", "never delivered"),
    ("bug-complete-interrupts-in-guest-mode", "wrong level"),
    ("bug-kick-without-req-event", "never delivered"),
    ("bug-ack-before-exit", "never delivered"),
])
def test_each_bug_is_caught_by_its_effect(name, effect):
    c = nvmxlab.check(nvmxlab.load_bundled(name))
    assert not c.ok
    assert any(effect in v for v in c.nested.violations)


def test_the_2018_bug_is_caught_as_a_late_exit():
    c = nvmxlab.check(nvmxlab.load_bundled("bug-no-event-check-on-nested-entry"))
    assert not c.ok and not c.nested.violations
    assert "EXTERNAL_INTERRUPT" in c.mismatches[0]


def test_the_checker_never_reads_bug_names():
    import inspect

    import nvmxlab.checker
    source = inspect.getsource(nvmxlab.checker)
    for bug in nvmxlab.bugs.BUGS:
        assert bug not in source


def test_a_duplicated_delivery_is_reported():
    c = nvmxlab.check(nvmxlab.load_bundled("bug-complete-interrupts-in-guest-mode"))
    assert any("delivered 2 times" in v for v in c.nested.violations)


def test_delivery_while_blocked_is_reported():
    c = nvmxlab.check(nvmxlab.load_bundled("bug-complete-interrupts-in-guest-mode"))
    assert any("had interrupts blocked" in v for v in c.nested.violations)


def test_a_livelock_stops_with_the_loop_named():
    r = nvmxlab.run(nvmxlab.load_bundled("bug-kick-without-req-event"))
    assert r.status == "livelock"
    assert "HW VMCALL exit" in r.loop and "nested_vmx_vmexit" in r.loop


def test_an_l1_that_never_enables_interrupts_livelocks_on_bare_metal_too():
    s = nvmxlab.load_bundled("seed-interrupt").with_overrides(
        {"l1.exit_handler": ["nop", "vmresume"]})
    for mode in ("bare", "nested"):
        assert nvmxlab.run(s, mode).status == "livelock", mode
    assert "HW EXTERNAL_INTERRUPT exit" in nvmxlab.run(s, "bare").loop


def test_delays_are_reported_but_do_not_fail():
    nested, bare = run_pair("seed-interrupt")
    assert compare(shifted(nested, 1, 5), bare).ok


LATE_AT_VMRESUME = """
name = "pending at VMRESUME, L2 halts in L0 before its next exit"
policy = "kvm-2011-vmx"
settle = 1
[vmcs12]
hlt_exiting = false
[l1]
exit_handler = ["nop", "sti", "nop", "cli", "nop", "vmresume"]
[l2]
program = ["nop", "nop", "nop", "vmcall", "nop", "hlt"]
[[interrupt]]
vector = 0x30
to = "L1"
at = "L1:5"
"""


def test_an_exit_due_at_vmresume_after_a_skipped_vmcall_is_still_immediate():
    c = nvmxlab.check(nvmxlab.loads(LATE_AT_VMRESUME))
    assert not c.ok
    assert any("already pending at VM entry" in m for m in c.mismatches)


def test_immediate_exits_are_found_at_vmresume_too():
    from nvmxlab.checker import _immediate_exits
    bare = nvmxlab.run(nvmxlab.load_bundled("pending-at-vmresume"), "bare")
    assert _immediate_exits(bare) == {5}


PIN_OFF_BOTH = """
policy = "kvm-2011-vmx"
[vmcs12]
external_interrupt_exiting = false
[[interrupt]]
vector = 0x40
to = "L2"
at = "L2:2"
[[interrupt]]
vector = 0x30
to = "L1"
at = "L1:vmresume"
"""


def test_the_seeds_overwrite_of_l1s_injection_is_traced_and_explained():
    s = nvmxlab.loads(PIN_OFF_BOTH)
    c = nvmxlab.check(s)
    assert any(e.data and e.data.get("overwrote") for e in c.nested.events)
    assert any("overwrites" in n or "over the event" in n for n in c.notes)
    assert nvmxlab.check(s, "kvm-modern").ok


def test_the_seeds_exit_with_idt_vectoring_info_is_explained():
    s = nvmxlab.loads(PIN_OFF_BOTH.replace("[vmcs12]\nexternal_interrupt_exiting = false\n",
                                           "[l2]\nidt_fault = \"l0-ept\"\n"))
    c = nvmxlab.check(s)
    assert any("IDT-vectoring info" in n and "2012" in n for n in c.notes)


def test_a_proved_delay_is_listed_against_the_bare_metal_run_that_proved_it():
    """The side-by-side listing shows the bare-metal run with the NMI raised where nested
    took it, so a MATCH is never drawn beside rows marked as differing."""
    from test_properties import WINDOW_THEN_NMI

    c = nvmxlab.check(WINDOW_THEN_NMI, policy="kvm-modern")
    assert c.ok and c.delayed_reference is not None
    assert c.reference.l1_view == c.nested.l1_view != c.bare.l1_view
    text = formats.comparison_text(c)
    assert "bare metal (the NMI raised at L1:4, where nested took it):" in text
    assert "≠" not in text


def test_a_vm_entry_refused_for_a_control_the_policy_lacks_is_a_fact_of_the_comparison():
    c = nvmxlab.check(nvmxlab.load_bundled("ack-on-exit-refused"))  # kvm-2011-vmx, ack on
    assert c.refused_entry.startswith("documented: kvm-2011-vmx does not offer "
                                      "VM_EXIT_ACK_INTR_ON_EXIT")
    assert c.refused_entry in c.notes


def test_a_vm_entry_refused_for_a_reason_of_its_own_is_no_refused_control():
    # NMI-window exiting without virtual NMIs: L1's VM entry fails on bare metal too.
    c = nvmxlab.check(nvmxlab.load_bundled("nmi-controls-invalid"))
    assert c.refused_entry == ""
