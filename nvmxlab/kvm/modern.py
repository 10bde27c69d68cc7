"""Today's KVM (kvm-modern): nested events are checked in common code before injection.

kvm_check_and_inject_events() calls kvm_check_nested_events() → vmx_check_nested_events(),
which performs the exit to L1, or answers -EBUSY while nested_run_pending - and then L0
requests an immediate exit so the deferred interrupt is not left waiting.
"""

from __future__ import annotations

from ..cpu import VmExit
from ..trace import Fact, Kind
from ..vmx import HLT, EventInfo, ExitReason
from .x86 import EBUSY, Kvm

# Where today's KVM re-evaluates events at a nested VM entry (see on_nested_entry()).
ENTRY_CHECK = "nested_vmx_enter_non_root_mode"


class KvmModern(Kvm):
    policy = "kvm-modern"

    def extra_state(self) -> tuple:
        return (self.req_immediate_exit,)

    @property
    def before_2024(self) -> bool:
        """A teaching bug from before the 2024/2025 fixes of nested entry and exit is on."""
        return bool(self.bugs & {"no-event-check-on-nested-entry", "kick-without-req-event"})

    # -- x86.c -----------------------------------------------------------------------------------
    def inject_pending_event(self) -> None:
        """kvm_check_and_inject_events()."""
        r = self.kvm_check_nested_events() if self.guest_mode else 0
        # "Re-inject exceptions and events *especially* if immediate entry+exit to/from L2
        # is needed."
        if self.nmi_injected is not None:
            self.vmx_inject_nmi(self.nmi_injected, reinjected=True)
        elif self.interrupt is not None:
            self.vmx_inject_irq(self.interrupt, reinjected=True)
        if r == EBUSY:
            self.request_immediate_exit("-EBUSY: an immediate entry and exit is needed first")
            return
        # !kvm_event_needs_reinjection()
        can_inject = self.interrupt is None and self.nmi_injected is None
        if self.nmi_pending:
            r = self.vmx_nmi_allowed(for_injection=True) if can_inject else EBUSY
            if r == EBUSY:
                self.request_immediate_exit("nmi_allowed() = -EBUSY")
                return
            if r:
                self.nmi_injected = self.nmi_pending.pop(0)
                self.vmx_inject_nmi(self.nmi_injected)
                can_inject = False
            if self.nmi_pending:
                self.enable_nmi_window()
        if not self.kvm_cpu_has_interrupt():
            return
        r = self.vmx_interrupt_allowed(for_injection=True) if can_inject else EBUSY
        if r == EBUSY:
            self.request_immediate_exit("interrupt_allowed() = -EBUSY")
            return
        if r:
            self.interrupt = self.kvm_cpu_get_interrupt()
            self.vmx_inject_irq(self.interrupt)
        if self.kvm_cpu_has_interrupt():
            self.enable_irq_window_on_current()

    def request_immediate_exit(self, why: str) -> None:
        """"Sometimes an event is pending and can architecturally be injected, but we cannot
        do it right now ... In that case we request an immediate exit in order to make
        progress and get back here for another iteration." (kvm_check_and_inject_events)"""
        self.step("kvm_check_and_inject_events", f"{why} → req_immediate_exit")
        self.req_immediate_exit = True
        self.trace.stale = True

    def kvm_check_nested_events(self) -> int:
        return self.vmx_check_nested_events()

    # -- vmx/nested.c ----------------------------------------------------------------------------
    def vmx_check_nested_events(self) -> int:
        run_pending = self.nested_run_pending and "ignore-nested-run-pending" not in self.bugs
        needs_reinjection = self.interrupt is not None or self.nmi_injected is not None
        block_nested_events = run_pending or needs_reinjection
        if self.nmi_pending and not self.vmx_nmi_blocked():
            return self.nested_nmi(block_nested_events, run_pending)
        if not (self.kvm_cpu_has_interrupt() and not self.vmx_interrupt_blocked()):
            return 0
        if block_nested_events:
            why = "nested_run_pending" if run_pending else "an event needs re-injection"
            self.step("vmx_check_nested_events", f"interrupt for L1, but {why} → -EBUSY",
                      facts=(Fact.NESTED_RUN_PENDING,) if run_pending else ())
            return EBUSY
        if not self.nested_exit_on_intr():
            self.step("vmx_check_nested_events", "L1 does not exit on interrupts: L0 will "
                      "inject into L2 (no_vmexit)")
            return 0
        if not self.nested_exit_intr_ack_set():
            self.step("vmx_check_nested_events", "interrupt for L1, L1 exits on interrupts → "
                      "nested_vmx_vmexit(EXTERNAL_INTERRUPT), no vector")
            self.nested_vmx_vmexit(ExitReason.EXTERNAL_INTERRUPT,
                                   why="exit to L1 as hardware would: interruption info "
                                       "not valid, the interrupt stays pending")
            return 0
        vector = self.lapic.highest_irr()
        if "ack-before-exit" in self.bugs:
            self.kvm_cpu_get_interrupt()
            self.nested_vmx_vmexit(ExitReason.EXTERNAL_INTERRUPT,
                                   why="ack-on-exit, but the exit is emulated without "
                                       "the vector")
            return 0
        self.step("vmx_check_nested_events", f"interrupt for L1, L1 exits on interrupts with "
                  f"ack-on-exit → nested_vmx_vmexit(EXTERNAL_INTERRUPT, 0x{vector:02x})")
        info = EventInfo(vector, ids=tuple(self.lapic.irr[vector]), source=self.lapic)
        self.nested_vmx_vmexit(ExitReason.EXTERNAL_INTERRUPT, info,
                               why="exit to L1 with the vector, as hardware with "
                                   "acknowledge-interrupt-on-exit would")
        # "ACK the interrupt _after_ emulating VM-Exit" (kvm_apic_ack_interrupt).
        self.lapic.ack()
        self.step("kvm_apic_ack_interrupt", f"{self.lapic.name}: IRR→ISR 0x{vector:02x}",
                  {"vector": vector}, kind=Kind.APIC)
        return 0

    def nested_nmi(self, block_nested_events: bool, run_pending: bool) -> int:
        """The NMI branch of vmx_check_nested_events(), ahead of interrupts by priority."""
        if block_nested_events:
            why = "nested_run_pending" if run_pending else "an event needs re-injection"
            self.step("vmx_check_nested_events", f"NMI for L1, but {why} → -EBUSY",
                      facts=(Fact.NESTED_RUN_PENDING,) if run_pending else ())
            return EBUSY
        if not self.vmcs12.nmi_exiting:
            self.step("vmx_check_nested_events", "L1 does not exit on NMIs: L0 will inject "
                      "it into L2 (no_vmexit)")
            return 0
        ev = self.nmi_pending.pop(0)
        ids = ev.ids + tuple(i for e in self.nmi_pending for i in e.ids)
        self.nmi_pending.clear()  # "The NMI-triggered VM exit counts as injection"
        self.step("vmx_check_nested_events", "NMI for L1, L1 exits on NMIs → "
                  "nested_vmx_vmexit(EXCEPTION_NMI, NMI_VECTOR | INTR_TYPE_NMI_INTR)")
        self.nested_vmx_vmexit(ExitReason.EXCEPTION_NMI, EventInfo(2, "nmi", ids),
                               why="exit to L1 as hardware would: NMI, vector 2 in the exit")
        return 0

    def on_nested_entry(self) -> None:
        # nested_vmx_enter_non_root_mode(): "Re-evaluate pending events if L1 had a pending
        # IRQ/NMI/INIT/SIPI when it executed VMLAUNCH/VMRESUME, as entering non-root mode can
        # effectively unblock various events" - a window open on vmcs01 (Liran Alon, 2018)
        # or, since 2024, any interrupt pending in L1's APIC (kvm_apic_has_interrupt(); Sean
        # Christopherson, "KVM: nVMX: Explicitly update vPPR on successful nested VM-Enter").
        # Today the test is inline, on __exec_controls_get(&vmx->vmcs01) ("KVM: nVMX: Use
        # vmcs01's controls shadow to check for IRQ/NMI windows at VM-Enter"); the 2018 code
        # kept it in a local variable, evaluate_pending_interrupts, snapshot before the switch
        # to vmcs02.  The trace names the function.
        # A teaching bug stands for KVM before its fix, and so before the later ones too.
        if "no-event-check-on-nested-entry" not in self.bugs:
            window = [name for name, on in (("interrupt", self.vmcs01.interrupt_window_exiting),
                                            ("NMI", self.vmcs01.nmi_window_exiting)) if on]
            if window:
                self.make_request_event(f"{ENTRY_CHECK}: vmcs01 had an {' and '.join(window)} "
                                        "window open for L1 (__exec_controls_get(&vmx->vmcs01))")
            elif self.kvm_cpu_has_interrupt() and not self.before_2024:
                self.make_request_event(f"{ENTRY_CHECK}: an interrupt is pending in L1's APIC "
                                        "(kvm_apic_has_interrupt)")
        v12 = self.vmcs12
        if v12.guest_activity == HLT and v12.entry_intr_info is None and \
                not v12.nmi_window_exiting and not (
                v12.interrupt_window_exiting and v12.guest_if):
            # "If we're entering a halted L2 vcpu and the L2 vcpu won't be awakened by event
            # injection ... halt the vcpu."
            self.nested_run_pending = False
            self.halted = True
            self.l0_task = "vcpu_block"
            self.trace.stale = True
            self.step("kvm_emulate_halt_noskip", "vmcs12 says L2 is halted and nothing will "
                      "wake it: halt the vCPU in guest mode", {"level": "L2"}, kind=Kind.HALT)

    def after_nested_vmexit(self) -> None:
        # __nested_vmx_vmexit(), after load_vmcs12_host_state(): "Process events if an
        # injectable IRQ or NMI is pending, even if the event is blocked (RFLAGS.IF is
        # cleared on VM-Exit)" - Sean Christopherson, "KVM: nVMX: Process events on nested
        # VM-Exit if injectable IRQ or NMI is pending" (February 2025, Cc: stable).  Before
        # it, an interrupt L1 had let through to L2 could wait for an unrelated event.
        if (self.kvm_cpu_has_interrupt() or self.nmi_pending) and not self.before_2024:
            self.make_request_event("nested VM exit: kvm_cpu_has_injectable_intr() or "
                                    "nmi_pending", (Fact.ON_NESTED_VMEXIT,))

    def pending_event_for_vmcs12(self) -> EventInfo | None:
        """vmcs12_save_pending_event(): an injected-but-undelivered event goes to L1."""
        ev = self.nmi_injected or self.interrupt
        self.nmi_injected = self.interrupt = None
        return ev

    # -- vmx.c -----------------------------------------------------------------------------------
    def vmx_interrupt_blocked(self) -> bool:
        if self.guest_mode and self.nested_exit_on_intr():
            return False  # the interrupt exits whatever L2's IF
        return self.guest.interrupts_blocked

    def vmx_nmi_blocked(self) -> bool:
        if self.guest_mode and self.vmcs12.nmi_exiting:
            return False  # the NMI exits whatever L2's blocking
        return self.guest.nmi_blocking or self.guest.sti_blocking

    def vmx_nmi_allowed(self, for_injection: bool) -> int:
        if self.nested_run_pending:
            return EBUSY
        if for_injection and self.guest_mode and self.vmcs12.nmi_exiting:
            return EBUSY  # "An NMI must not be injected into L2 if it's supposed to VM-Exit."
        ok = not self.vmx_nmi_blocked()
        self.step("vmx_nmi_allowed", f"{self.guest.level}: "
                  f"{'NMIs blocked' if not ok else 'NMIs not blocked'} → {int(ok)}")
        return int(ok)

    def vmx_interrupt_allowed(self, for_injection: bool) -> int:
        if self.nested_run_pending:
            return EBUSY
        if for_injection and self.guest_mode and self.nested_exit_on_intr():
            # "An IRQ must not be injected into L2 if it's supposed to VM-Exit."
            return EBUSY
        ok = not self.vmx_interrupt_blocked()
        guest = self.guest
        blocking = ", STI blocking" if guest.sti_blocking else ""
        self.step("vmx_interrupt_allowed",
                  f"{guest.level}: IF = {int(guest.rflags_if)}{blocking} → {int(ok)}")
        return int(ok)

    def request_event_for_new_irq(self) -> None:
        if "kick-without-req-event" in self.bugs and self.guest_mode and \
                self.nested_exit_on_intr():
            # The pre-2021 vmx_sync_pir_to_irr(): kvm_vcpu_exiting_guest_mode() only.  That was
            # the posted-interrupt (APICv) path; the model's L0 has no APICv, so the bug stands
            # in at __apic_accept_irq, which otherwise always requests KVM_REQ_EVENT.
            self.step("vmx_sync_pir_to_irr", "(as before 2021, with posted interrupts) L2 runs "
                      "and L1 exits on interrupts: only kick, no KVM_REQ_EVENT", kind=Kind.REQUEST)
            return
        super().request_event_for_new_irq()

    def kvm_vcpu_has_events(self) -> bool:
        if self.nmi_pending and not self.vmx_nmi_blocked():
            return True
        return self.kvm_cpu_has_interrupt() and not self.vmx_interrupt_blocked()

    def wake_from_halt(self) -> None:
        # vcpu_block(): "Evaluate nested events before exiting the halted state", so that
        # vmcs12 records the HLT activity state.
        if self.guest_mode:
            self.vmx_check_nested_events()
        super().wake_from_halt()

    def after_hw_entry(self) -> None:
        self.nested_run_pending = False  # cleared after the first entry into L2
        self.trace.stale = True
        self.interrupt = self.nmi_injected = None

    def complete_interrupts(self, exit_: VmExit) -> None:
        self.vmx_complete_interrupts(exit_)
