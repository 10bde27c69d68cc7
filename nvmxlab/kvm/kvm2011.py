"""KVM as of May 2011: the seed patch (kvm-2011-vmx) and the nested-SVM shape (kvm-2011-svm).

Both use the 2011 x86.c: inject_pending_event() asks the vendor's interrupt_allowed() and,
if an interrupt is still pending, calls enable_irq_window().  Each design bends those two
vendor hooks so that, in guest mode, they produce an exit to L1 instead.
"""

from __future__ import annotations

from ..cpu import VmExit
from ..trace import Fact, Kind
from ..vmx import ACTIVE, EventInfo, ExitReason
from .x86 import Kvm

# VM_EXIT_ACK_INTR_ON_EXIT is not in the exit controls L0 offers L1 (the seed patch).
NESTED_CAPS_2011 = frozenset({
    "external_interrupt_exiting", "nmi_exiting", "virtual_nmis", "interrupt_window_exiting",
    "hlt_exiting", "nmi_window_exiting",
})


VMX_ENTRY_EXITS = (ExitReason.VMLAUNCH, ExitReason.VMRESUME)


class Kvm2011(Kvm):
    nested_caps = NESTED_CAPS_2011
    host_ack_on_exit = False  # KVM set it for its own VMCSs only from 2013 (a547c6db4d2f)

    def inject_pending_event(self) -> None:
        """x86.c (2011): re-inject a queued event, else inject a new one if allowed; then
        open an interrupt window if an interrupt is still pending (vcpu_enter_guest)."""
        if self.nmi_injected is not None:
            self.vmx_inject_nmi(self.nmi_injected, reinjected=True)
        elif self.interrupt is not None:
            self.vmx_inject_irq(self.interrupt, reinjected=True)
        elif self.kvm_cpu_has_interrupt():
            if self.interrupt_allowed():
                self.interrupt = self.kvm_cpu_get_interrupt()  # kvm_queue_interrupt()
                self.vmx_inject_irq(self.interrupt)
        if self.kvm_cpu_has_interrupt():
            self.enable_irq_window()

    def interrupt_allowed(self) -> bool:
        raise NotImplementedError

    def enable_irq_window(self) -> None:
        raise NotImplementedError

    def l2_activity_state(self) -> str:
        # HLT activity state for L2 came to nested VMX in 2013; in 2011 vmcs12 reports
        # what vmcs02 holds, and L0 emulates L2's HLT without it.
        return ACTIVE

    def after_hw_entry(self) -> None:
        # A queued event went into the VM-entry field and was delivered (or came back in
        # IDT-vectoring info, which complete_interrupts() queues again).
        self.interrupt = self.nmi_injected = None


class Kvm2011Vmx(Kvm2011):
    """The seed patch, "[PATCH 23/31] nVMX: Correct handling of interrupt injection"."""

    policy = "kvm-2011-vmx"

    def __init__(self, world):
        super().__init__(world)
        self.l2_idt_vectoring: EventInfo | None = None  # vmcs12->idt_vectoring_info_field

    def extra_state(self) -> tuple:
        return (self.l2_idt_vectoring,)

    def interrupt_allowed(self) -> bool:
        """vmx_interrupt_allowed(), seed version: in guest mode with exit-on-interrupt it
        performs the exit to L1, then answers for L1."""
        if self.guest_mode and self.nested_exit_on_intr():
            if self.nested_run_pending and "ignore-nested-run-pending" not in self.bugs:
                self.step("vmx_interrupt_allowed", "L2 runs and L1 exits on interrupts, but "
                          "nested_run_pending: L2 must run its VMLAUNCH/VMRESUME first → 0",
                          facts=(Fact.NESTED_RUN_PENDING,))
                return False
            self.step("vmx_interrupt_allowed", "L2 runs and L1 exits on interrupts → "
                      "nested_vmx_vmexit(EXTERNAL_INTERRUPT), no vector")
            self.nested_vmx_vmexit(ExitReason.EXTERNAL_INTERRUPT,
                                   why="exit to L1 as hardware would: external interrupt, "
                                       "interruption info not valid")
            # fall through to normal code, but now in L1, not L2
        guest = self.guest  # a property (L1 now, if the exit above happened): read once
        ok = not guest.interrupts_blocked
        self.step("vmx_interrupt_allowed", f"{guest.level}: IF = {int(guest.rflags_if)}"
                  f"{', STI blocking' if guest.sti_blocking else ''} → {int(ok)}")
        return ok

    def enable_irq_window(self) -> None:
        if self.guest_mode and self.nested_exit_on_intr():
            self.step("enable_irq_window", "guest mode and L1 exits on interrupts: do nothing "
                      "- the interrupt will be injected later", kind=Kind.WINDOW)
            return
        self.enable_irq_window_on_current()

    def handle_exit(self, exit_: VmExit) -> None:
        """vmx_handle_exit(): the seed's KVM_REQ_EVENT re-arm, then nested_run_pending."""
        if self.nested_run_pending and "no-req-event-rearm" not in self.bugs:
            self.make_request_event("nested_run_pending: a deferred event may be waiting, and "
                                    "KVM_REQ_EVENT is only on for one entry")
        self.nested_run_pending = exit_.reason in VMX_ENTRY_EXITS and not self.guest_mode
        self.trace.stale = True
        super().handle_exit(exit_)

    def complete_interrupts(self, exit_: VmExit) -> None:
        if self.guest_mode:
            # The nested IDT-vectoring path of the 2011 series (in vmx_vcpu_run): the event
            # goes to vmcs12, for L1 if the exit is reflected, or back into vmcs02 if not.
            self.l2_idt_vectoring = exit_.vmcs.idt_vectoring_info
            if "complete-interrupts-in-guest-mode" not in self.bugs:
                return
        self.vmx_complete_interrupts(exit_)

    def before_hw_entry(self) -> None:
        ev = self.l2_idt_vectoring
        if self.guest_mode and not self.nested_run_pending and ev is not None:
            self.l2_idt_vectoring = None
            self.vmcs02.entry_intr_info = ev
            self.step("vmx_vcpu_run", f"vmcs12 IDT-vectoring info holds {ev}: L0 handled the "
                      "exit itself, so re-inject it into L2 through vmcs02", ev.to_json(),
                      kind=Kind.INJECT, facts=(Fact.REINJECTED,))

    def pending_event_for_vmcs12(self) -> EventInfo | None:
        ev, self.l2_idt_vectoring = self.l2_idt_vectoring, None
        return ev


class Kvm2011Svm(Kvm2011):
    """The nested SVM shape of 2011, on the same VMX hardware model.

    interrupt_allowed() is false while nested; enable_irq_window() flags the exit to L1
    (exit_required); the next loop iteration enters no guest and performs the exit."""

    policy = "kvm-2011-svm"
    nested_run_name = "nested_svm_vmrun"
    nested_exit_name = "nested_svm_vmexit"
    has_nested_run_pending = False

    def __init__(self, world):
        super().__init__(world)
        self.exit_required = False

    def extra_state(self) -> tuple:
        return (self.exit_required,)

    def interrupt_allowed(self) -> bool:
        if self.guest_mode and self.nested_exit_on_intr():
            self.step("svm_interrupt_allowed", "nested and L1 intercepts interrupts → false")
            return False
        guest = self.guest  # a property: read once
        ok = not guest.interrupts_blocked
        self.step("svm_interrupt_allowed", f"{guest.level}: IF = {int(guest.rflags_if)}"
                  f"{', interrupt shadow' if guest.sti_blocking else ''} → {int(ok)}")
        return ok

    def enable_irq_window(self) -> None:
        if self.guest_mode and self.nested_exit_on_intr():
            # nested_svm_intr(): the #VMEXIT can't be emulated here (atomic context).
            if not self.exit_required:
                self.exit_required = True
                self.step("nested_svm_intr", "flag the exit to L1 for later: exit_required = "
                          "true", kind=Kind.WINDOW)
            return
        self.enable_irq_window_on_current()

    def on_nested_entry(self) -> None:
        self.nested_run_pending = False  # 2011 nested SVM had no such flag
        self.trace.stale = True
        # The model re-evaluates L1's pending interrupt when L2 is entered (2011 SVM relied
        # on GIF and its STGI intercept for this, which the VMX hardware model lacks).
        if self.kvm_cpu_has_interrupt():
            self.make_request_event("nested entry with an interrupt pending for L1")

    def vendor_run(self) -> VmExit | None:
        if not self.exit_required:
            return super().vendor_run()
        # svm_vcpu_run(): "A vmexit emulation is required before the vcpu can be executed
        # again" - no VMRUN this iteration; handle_exit() performs nested_svm_vmexit().
        self.step("svm_vcpu_run", "exit_required: return without entering the guest",
                  kind=Kind.LOOP)
        self.exit_required = False
        self.nested_vmx_vmexit(ExitReason.EXTERNAL_INTERRUPT,
                               why="handle_exit: exit_required → nested_svm_vmexit(INTR), "
                                   "no vector")
        # L1 resumes with interrupts off; on SVM its STGI is intercepted and re-evaluates
        # the pending interrupt.  The VMX model has no STGI, so L0 asks at once.
        self.make_request_event("L1's interrupt is still pending: open a window in L1")
        return None

    def complete_interrupts(self, exit_: VmExit) -> None:
        # svm_complete_interrupts(): the event goes to exit_int_info if the exit is
        # reflected (nested_svm_vmexit copies it), else it is re-injected by L0.
        self.vmx_complete_interrupts(exit_)

    def pending_event_for_vmcs12(self) -> EventInfo | None:
        # nested_svm_vmexit(): a queued event, or an event L1 asked to inject that was never
        # delivered ("we do not lose injected events": event_inj → exit_int_info).
        ev = self.nmi_injected or self.interrupt or self.vmcs02.entry_intr_info
        self.interrupt = self.nmi_injected = None
        self.vmcs02.entry_intr_info = None
        return ev
