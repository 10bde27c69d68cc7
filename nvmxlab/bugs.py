"""Teaching bugs: mistakes real KVM made or nearly made, switchable per scenario.

The checker never looks at these names; it catches each bug by its effect.
"""

from __future__ import annotations

from dataclasses import dataclass

POLICIES = ("kvm-2011-vmx", "kvm-2011-svm", "kvm-modern")


@dataclass(frozen=True)
class Bug:
    name: str
    policies: tuple[str, ...]  # the policies whose code can express the mistake
    summary: str
    refusal: str  # why the other policies cannot express it


BUGS = {
    b.name: b
    for b in (
        Bug(
            "no-req-event-rearm",
            ("kvm-2011-vmx",),
            "vmx_handle_exit does not re-arm KVM_REQ_EVENT while nested_run_pending: the "
            "deferred interrupt waits for an unrelated event.",
            "only the 2011 VMX code defers with nested_run_pending and re-arms KVM_REQ_EVENT "
            "in vmx_handle_exit",
        ),
        Bug(
            "ignore-nested-run-pending",
            ("kvm-2011-vmx", "kvm-modern"),
            "L0 exits to L1 before L2 has run the VMLAUNCH/VMRESUME's entry: an event L1 "
            "injected into L2 through vmcs12 is lost.",
            "the 2011 SVM code has no nested_run_pending to ignore",
        ),
        Bug(
            "complete-interrupts-in-guest-mode",
            ("kvm-2011-vmx",),
            "vmx_complete_interrupts runs in guest mode: an event that was being delivered "
            "to L2 is re-injected into the wrong level.",
            "only the 2011 VMX code skips vmx_complete_interrupts in guest mode; modern KVM "
            "runs it always and moves the event into vmcs12 on a nested VM exit",
        ),
        Bug(
            "no-event-check-on-nested-entry",
            ("kvm-modern",),
            "On VMLAUNCH/VMRESUME L0 does not re-evaluate an interrupt already pending for "
            "L1: L2 runs before the exit the SDM requires (fixed in KVM in 2018).",
            "the 2011 code predates the 2018 fix and already behaves this way",
        ),
        Bug(
            "kick-without-req-event",
            ("kvm-modern",),
            "An interrupt for L1 arriving while L2 runs only kicks the vCPU out of the guest "
            "without setting KVM_REQ_EVENT: the exit to L1 waits (fixed in KVM in 2021).",
            "the mistake lived in the modern vmx_sync_pir_to_irr path",
        ),
        Bug(
            "ack-before-exit",
            ("kvm-modern",),
            "With ack-on-exit, L0 acknowledges the interrupt but the exit it emulates carries "
            "no vector: the interrupt is lost.",
            "the 2011 policies do not offer VM_EXIT_ACK_INTR_ON_EXIT to L1 at all",
        ),
    )
}
