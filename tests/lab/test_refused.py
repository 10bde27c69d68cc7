"""Combinations that hardware or a policy refuses are explained in the panel, never raised."""

from __future__ import annotations

import nvmxlab.engine
from nvmxlab.observations import ObservedVmFail


def test_a_bug_the_policy_cannot_express_shows_the_scenario_error_text(lab):
    lab.controls["policy"].value = "kvm-modern"
    before = lab.result
    lab.controls["bugs"].value = ("no-req-event-rearm",)  # only the 2011 VMX code has it
    assert "cannot be expressed under policy 'kvm-modern'" in lab.error
    assert "refused" in lab.status.value
    assert "no-req-event-rearm" in lab.status.value
    assert lab.result is before  # the diagram keeps the last run that worked


def test_changing_the_policy_under_a_selected_bug_is_refused_the_same_way(lab):
    lab.controls["bugs"].value = ("no-req-event-rearm",)
    lab.controls["policy"].value = "kvm-2011-svm"
    assert "cannot be expressed" in lab.error


def test_a_refused_bug_is_unticked_at_once(lab):
    lab.controls["policy"].value = "kvm-2011-svm"
    lab.controls["bugs"].value = ("no-req-event-rearm",)  # only the 2011 VMX code has it
    assert lab.controls["bugs"].value == ()  # the diagram shows no bug: neither does the list
    assert lab.controls["policy"].value == "kvm-2011-svm"
    assert "set back" in lab.status.value


def test_the_next_change_after_a_refusal_clears_the_error(lab):
    lab.controls["policy"].value = "kvm-modern"
    lab.controls["bugs"].value = ("no-req-event-rearm",)
    lab.controls["l2.rflags_if"].value = False
    assert lab.error is None
    assert lab.scenario.policy == "kvm-modern"


def test_ack_on_exit_under_the_2011_code_shows_the_failed_vmlaunch_l1_sees(lab):
    lab.controls["vmcs12.ack_interrupt_on_exit"].value = True
    assert lab.error is None  # not refused: L1 learns it from the VM entry
    assert ObservedVmFail(7) in lab.result.l1_view
    assert "VM-instruction error 7" in lab.status.value
    assert "does not offer VM_EXIT_ACK_INTR_ON_EXIT" in lab.status.value  # the reason


def test_an_engine_failure_is_a_message_in_the_panel_not_a_traceback(lab, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("model bug")

    monkeypatch.setattr(nvmxlab.engine, "run", broken)
    lab.controls["l2.rflags_if"].value = False
    assert lab.error == "RuntimeError: model bug"
    assert "could not run" in lab.status.value
    assert "Traceback" not in lab.status.value
