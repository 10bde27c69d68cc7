"""Each bundled scenario, pinned: what L1 and L2 observe nested, and the key steps of L0.

Views are written compactly (see views.short): 'exit EXTERNAL_INTERRUPT @3' is an exit with
no vector after L2 retired 3 instructions; 'irq 0x30' a delivery through the IDT.
"""

import pytest
from views import ENTRY, VIA_EXIT, exit_, exit_reasons, irq, l0_steps, nmi, nmis, vmfail

import nvmxlab


def nested(name, policy=None):
    return nvmxlab.run(nvmxlab.load_bundled(name), "nested", policy)


def checked(name, policy=None):
    return nvmxlab.check(nvmxlab.load_bundled(name), policy)


def test_every_bundled_scenario_has_an_explanation():
    for name in nvmxlab.bundled():
        s = nvmxlab.load_bundled(name)
        assert len(s.explain.split()) > 30, name
        assert s.description, name


def test_the_library_has_at_least_fifteen_scenarios():
    assert len(nvmxlab.bundled()) >= 15


# -- the seed ------------------------------------------------------------------------------------
def test_seed_l0_opens_an_interrupt_window_on_vmcs01_between_the_exit_and_the_injection():
    steps = l0_steps(nested("seed-interrupt"), "nested_vmx_vmexit", "enable_irq_window",
                     "vmexit INTERRUPT_WINDOW", "vmx_inject_irq")
    assert steps[:4] == ["nested_vmx_vmexit", "enable_irq_window",
                         "vmexit INTERRUPT_WINDOW on vmcs01", "vmx_inject_irq"]


def test_seed_exit_to_l1_is_performed_inside_vmx_interrupt_allowed():
    r = nested("seed-interrupt")
    names = [e.name for e in r.events if e.level == "L0"]
    i = names.index("nested_vmx_vmexit")
    assert names[i - 1] == "vmx_interrupt_allowed"
    assert names[i + 1] == "vmx_interrupt_allowed"  # the fall-through, now answering for L1


def test_l2_with_if_off_still_exits_to_l1():
    r = nested("l2-if-off")
    assert r.l1_view[:3] == [ENTRY, exit_("EXTERNAL_INTERRUPT", 3), irq(0x30)]
    assert checked("l2-if-off").ok


# -- nested_run_pending ----------------------------------------------------------------------------
def test_interrupt_at_vmlaunch_waits_for_l2s_next_exit_under_2011_vmx():
    r = nested("at-vmlaunch")
    assert r.l1_view[:3] == [ENTRY, exit_("VMCALL", 4), irq(0x30)]
    assert any(e.name == "vmx_interrupt_allowed" and "nested_run_pending" in e.why
               for e in r.events)


def test_interrupt_at_vmlaunch_is_a_mismatch_under_2011_vmx_with_the_documented_note():
    c = checked("at-vmlaunch")
    assert not c.ok
    assert "EXTERNAL_INTERRUPT" in c.mismatches[0]
    assert any("nested_run_pending" in n for n in c.notes)


def test_modern_kvm_defers_with_ebusy_and_an_immediate_exit():
    r = nested("at-vmlaunch-modern")
    assert r.l1_view[:3] == [ENTRY, exit_("EXTERNAL_INTERRUPT", 0), irq(0x30)]
    steps = l0_steps(r, "vmx_check_nested_events", "request_immediate_exit",
                     "vmexit PREEMPTION_TIMER", "nested_vmx_vmexit")
    assert steps[:4] == ["vmx_check_nested_events", "request_immediate_exit",
                         "vmexit PREEMPTION_TIMER on vmcs02", "vmx_check_nested_events"]
    assert checked("at-vmlaunch-modern").ok


def test_interrupt_at_vmresume_exits_before_l2s_first_instruction_under_modern_kvm():
    r = nested("at-vmresume-modern")
    assert r.l1_view[:5] == [ENTRY, exit_("VMCALL", 4), ENTRY, exit_("EXTERNAL_INTERRUPT", 5),
                             irq(0x30)]
    assert checked("at-vmresume-modern").ok


def test_pending_at_vmresume_is_re_evaluated_on_nested_entry_under_modern_kvm():
    r = nested("pending-at-vmresume")
    assert exit_("EXTERNAL_INTERRUPT", 10) in r.l1_view
    # Today's nested_vmx_enter_non_root_mode() tests the condition inline (the 2018
    # variable evaluate_pending_interrupts is gone): the trace names the function.
    assert any(e.kind == "request" and e.why.startswith("nested_vmx_enter_non_root_mode: ")
               for e in r.events)
    assert not any("evaluate_pending_interrupts" in e.why for e in r.events)
    assert checked("pending-at-vmresume").ok


def test_pending_at_vmresume_comes_late_under_2011_vmx():
    c = checked("pending-at-vmresume", "kvm-2011-vmx")
    assert not c.ok
    assert "VMCALL" in c.mismatches[0]


# -- HLT -----------------------------------------------------------------------------------------
def test_halted_l2_exits_with_activity_state_hlt_and_stays_halted():
    r = nested("l2-halted")
    assert r.l1_view == [ENTRY, exit_("EXTERNAL_INTERRUPT", 3, hlt=True), irq(0x30), ENTRY]
    assert r.status == "idle"
    assert checked("l2-halted").ok


def test_l1_blocks_l2s_vcpu_on_an_intercepted_hlt_until_it_has_an_interrupt_for_l2():
    r = nested("l2-halt-intercepted")
    assert r.l1_view == [ENTRY, exit_("HLT", 2), irq(0x30), ENTRY, exit_("VMCALL", 7),
                         ENTRY, exit_("HLT", 10)]
    assert r.l2_view == [ENTRY, ENTRY, irq(0x40), ENTRY]
    assert r.status == "idle"
    assert checked("l2-halt-intercepted").ok


def test_2011_policies_report_a_halted_l2_as_active():
    c = checked("l2-halted", "kvm-2011-vmx")
    assert c.nested.l1_view[1] == exit_("EXTERNAL_INTERRUPT", 3)
    assert any("HLT activity state" in n for n in c.notes)


# -- ack-on-exit ---------------------------------------------------------------------------------
def test_2011_refuses_ack_on_exit_with_vmfail_error_7():
    r = nested("ack-on-exit-refused")
    assert r.l1_view == [vmfail(7), irq(0x30)]
    c = checked("ack-on-exit-refused")
    assert not c.ok and any("VM_EXIT_ACK_INTR_ON_EXIT" in n for n in c.notes)


def test_bare_metal_honours_ack_on_exit():
    b = nvmxlab.run(nvmxlab.load_bundled("ack-on-exit-refused"), "bare")
    assert b.l1_view[:3] == [ENTRY, exit_("EXTERNAL_INTERRUPT", 0, vector=0x30),
                             irq(0x30, VIA_EXIT)]


def test_modern_kvm_honours_ack_on_exit_and_delivers_once():
    r = nested("ack-on-exit-modern")
    assert r.l1_view[:3] == [ENTRY, exit_("EXTERNAL_INTERRUPT", 3, vector=0x30),
                             irq(0x30, VIA_EXIT)]
    assert [d.delivered_to for d in r.deliveries] == ["L1"]
    assert all(len(d.delivered) == 1 for d in r.deliveries)
    assert checked("ack-on-exit-modern").ok


# -- pin-based external-interrupt exiting off ------------------------------------------------------
def test_pin_based_off_delivers_into_l2_and_l1_sees_no_exit():
    r = nested("pin-based-off")
    assert irq(0x30) in r.l2_view
    assert "EXTERNAL_INTERRUPT" not in exit_reasons(r.l1_view)
    assert checked("pin-based-off").ok


def test_pin_based_off_with_l2_if_off_opens_the_window_on_vmcs02():
    r = nested("pin-based-off-l2-if-off")
    assert l0_steps(r, "vmexit INTERRUPT_WINDOW") == ["vmexit INTERRUPT_WINDOW on vmcs02"]
    assert r.l2_view == [ENTRY, irq(0x30), ENTRY]
    assert checked("pin-based-off-l2-if-off").ok


# -- L1 injecting into L2 ------------------------------------------------------------------------
def test_l1_injection_is_carried_from_vmcs12_into_vmcs02():
    r = nested("l1-injects-l2")
    inject = [e for e in r.events if e.kind == "nested_vmenter" and e.data["inject"]]
    assert inject and inject[0].data["inject"] == {"vector": 0x40, "type": "external"}
    assert r.l2_view == [ENTRY, ENTRY, irq(0x40), ENTRY]
    assert checked("l1-injects-l2").ok


def test_l1s_interrupt_window_exit_is_reflected_to_l1():
    r = nested("l1-injects-l2-window")
    assert exit_("INTERRUPT_WINDOW", 8) in r.l1_view
    assert "nested_vmx_exit_reflected" in l0_steps(r, "nested_vmx_exit_reflected")
    assert checked("l1-injects-l2-window").ok


def test_exit_during_delivery_owned_by_l1_reports_idt_vectoring_info():
    r = nested("idt-vectoring-l1-ept")
    assert exit_("EPT_VIOLATION", 5, idt=0x40) in r.l1_view
    assert [len(d.delivered) for d in r.deliveries] == [1]
    assert checked("idt-vectoring-l1-ept").ok


def test_exit_during_delivery_owned_by_l0_is_reinjected_by_l0_unseen_by_l1():
    r = nested("idt-vectoring-l0-ept")
    assert "EPT_VIOLATION" not in exit_reasons(r.l1_view)
    assert l0_steps(r, "vmexit EPT_VIOLATION") == ["vmexit EPT_VIOLATION on vmcs02"]
    assert r.l2_view == [ENTRY, ENTRY, irq(0x40), ENTRY]
    assert checked("idt-vectoring-l0-ept").ok


# -- every scenario under every policy ---------------------------------------------------------
DOCUMENTED = {
    # (scenario, policy): why check may fail without a bug
    ("ack-on-exit-refused", "kvm-2011-vmx"), ("ack-on-exit-refused", "kvm-2011-svm"),
    ("ack-on-exit-modern", "kvm-2011-vmx"), ("ack-on-exit-modern", "kvm-2011-svm"),
    ("at-vmlaunch", "kvm-2011-vmx"), ("at-vmlaunch-modern", "kvm-2011-vmx"),
    ("at-vmresume-modern", "kvm-2011-vmx"), ("pending-at-vmresume", "kvm-2011-vmx"),
    ("l2-halted", "kvm-2011-vmx"), ("l2-halted", "kvm-2011-svm"),
    ("window-priority-modern", "kvm-modern"), ("window-priority-modern", "kvm-2011-svm"),
}


def refused(name, policy):
    """NMIs for L1 are modelled under kvm-modern only: other policies refuse the scenario."""
    s = nvmxlab.load_bundled(name)
    return policy != "kvm-modern" and any(i.type == "nmi" and i.to == "L1"
                                          for i in s.interrupts)


@pytest.mark.parametrize("policy", nvmxlab.bugs.POLICIES)
@pytest.mark.parametrize("name", [n for n in nvmxlab.bundled() if not n.startswith("bug-")])
def test_without_bugs_check_passes_except_where_documented(name, policy):
    if refused(name, policy):
        with pytest.raises(nvmxlab.ScenarioError, match="kvm-modern only"):
            checked(name, policy)
        return
    c = checked(name, policy)
    if (name, policy) in DOCUMENTED:
        assert not c.ok and c.notes, "a documented difference must come with its note"
    else:
        assert c.ok, c.mismatches + c.nested.violations
        assert not c.nested.violations


@pytest.mark.parametrize("name", [n for n in nvmxlab.bundled() if n.startswith("bug-")])
def test_with_a_bug_check_fails(name):
    c = checked(name)
    assert not c.ok


# -- NMIs ----------------------------------------------------------------------------------------
def test_nmi_exiting_exits_with_the_nmi_in_the_exit_and_l1_runs_its_nmi_handler():
    r = nested("nmi-exiting")
    assert r.l1_view[:3] == [ENTRY, exit_("EXCEPTION_NMI", 3, vector=0x02), nmi(VIA_EXIT)]
    assert [d.delivered[0][2] for d in r.deliveries] == ["exit"]
    assert checked("nmi-exiting").ok


def test_an_nmi_without_nmi_exiting_goes_through_l2s_idt():
    r = nested("nmi-into-l2")
    assert r.l2_view == [ENTRY, nmi(), ENTRY]
    assert checked("nmi-into-l2").ok


def test_l1_opens_an_nmi_window_while_l2_blocks_nmis():
    r = nested("nmi-window")
    assert exit_("NMI_WINDOW", 9) in r.l1_view
    assert nmis(r.l2_view) == 2
    assert checked("nmi-window").ok


def test_an_nmi_at_vmlaunch_is_deferred_with_ebusy_like_an_interrupt():
    r = nested("nmi-at-vmlaunch")
    assert r.l1_view[:3] == [ENTRY, exit_("EXCEPTION_NMI", 0, vector=0x02), nmi(VIA_EXIT)]
    assert "request_immediate_exit" in l0_steps(r, "request_immediate_exit")


def test_inconsistent_nmi_controls_fail_vm_entry_in_both_worlds():
    c = checked("nmi-controls-invalid")
    assert c.nested.l1_view[0] == c.bare.l1_view[0] == vmfail(7)
