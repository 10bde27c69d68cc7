"""Emulating VMX for L1: VMLAUNCH/VMRESUME into L2 and VM exits from L2 to L1.

Mirrors arch/x86/kvm/vmx/nested.c: nested_vmx_run(), prepare_vmcs02(),
nested_vmx_exit_reflected(), nested_vmx_vmexit(), prepare_vmcs12().
"""

from __future__ import annotations

from ..cpu import Cpu, VmExit, vm_entry_error
from ..observations import ENTRY_VIEWS, ObservedVmFail
from ..trace import Kind
from ..vmcs import Vmcs, skip_emulated_instruction
from ..vmx import (
    ACTIVE,
    HLT,
    EventInfo,
    ExitReason,
)


class NestedVmx:
    """The nested half of L0's vCPU (mixed into x86.Kvm)."""

    # The names a design gives its emulated VM entry and exit (nested SVM: nested_svm_*).
    nested_run_name = "nested_vmx_run"
    nested_exit_name = "nested_vmx_vmexit"
    has_nested_run_pending = True

    # -- VMLAUNCH / VMRESUME ---------------------------------------------------------------------
    def nested_vmx_run(self, launch: bool) -> None:
        instr = "vmlaunch" if launch else "vmresume"
        v12 = self.vmcs12
        error = self.nested_vmx_check(v12, launch)
        if error is not None:
            self.nested_vmx_failValid(instr, error)
            return
        v12.launched = True
        self.prepare_vmcs02(v12)
        self.enter_guest_mode()
        self.nested_run_pending = True
        self.l0_task = "nested_vmx_run"
        self.trace.stale = True  # and guest_mode, nested_run_pending, vmcs02 (vcpu.py)
        pending = "; nested_run_pending = 1" if self.has_nested_run_pending else ""
        self.step(self.nested_run_name, f"emulate L1's {instr.upper()}: vmcs02 built from "
                  f"vmcs12, L2 runs next{pending}",
                  {"inject": v12.entry_intr_info and v12.entry_intr_info.to_json()},
                  kind=Kind.NESTED_VMENTER)
        self.trace.add("L0", Kind.ENTERED, "nested VM entry", "L1 entered L2", views=ENTRY_VIEWS)
        self.on_nested_entry()
        self.world.l1_vmx_instruction(instr)

    def nested_vmx_check(self, v12: Vmcs, launch: bool) -> int | None:
        """The checks hardware would make, against the capabilities L0 offers L1."""
        return vm_entry_error(v12, launch, self.nested_caps)

    def nested_vmx_failValid(self, instr: str, error: int) -> None:
        l1 = self.world.l1
        self.vmcs12.vm_instruction_error = error
        self.step("nested_vmx_failValid", Cpu.error_text(error) + ": the control is not in "
                  "the VMX capability MSRs L0 offers",
                  {"error": error, "check": failed_check(self.vmcs12, self.nested_caps)})
        self.trace.add("L0", Kind.VMFAIL, instr.upper(), Cpu.error_text(error), {"error": error},
                       views=(("L1", ObservedVmFail(error)),))
        skip_emulated_instruction(self.vmcs01, l1, instr)  # L1 continues after it
        self.world.retired(l1, instr, skipped=True)
        self.world.l1_vmx_instruction(instr)

    def prepare_vmcs02(self, v12: Vmcs) -> None:
        """Merge L0's needs (vmcs01) with what L1 asked for (vmcs12) into vmcs02: one VMCS
        (vmx->nested.vmcs02), written again at each emulated entry (prepare_vmcs02_early(),
        prepare_vmcs02()).  What it does not write carries over from the last entry and exit:
        the launch state, the exit information, the guest's progress (the preemption timer
        is cleared when an entry uses it, Cpu.run)."""
        v02 = self.vmcs02
        # Physical interrupts always exit to L0; what L1 sees is emulated.
        v02.external_interrupt_exiting = v02.hlt_exiting = v02.intercept_eoi = True
        v02.ack_interrupt_on_exit = self.host_ack_on_exit
        v02.nmi_exiting = v02.virtual_nmis = True
        v02.interrupt_window_exiting = v12.interrupt_window_exiting
        v02.nmi_window_exiting = v12.nmi_window_exiting
        v02.ept_owners = ("L0", "L1")
        v02.entry_intr_info = v12.entry_intr_info
        v02.guest_if, v02.guest_sti_blocking = v12.guest_if, v12.guest_sti_blocking
        v02.guest_nmi_blocking, v02.guest_activity = v12.guest_nmi_blocking, v12.guest_activity

    def on_nested_entry(self) -> None:
        """Policy hook: what L0 does after switching to vmcs02."""

    # -- exits of L2 -----------------------------------------------------------------------------
    def nested_vmx_exit_reflected(self, exit_: VmExit) -> bool:
        """Does L1 want this exit of L2?  Physical interrupts and L0's own needs stay in L0."""
        v12, reason = self.vmcs12, exit_.reason
        if reason == ExitReason.VMCALL:
            return True
        if reason == ExitReason.HLT:
            return v12.hlt_exiting
        if reason == ExitReason.INTERRUPT_WINDOW:
            return v12.interrupt_window_exiting
        if reason == ExitReason.NMI_WINDOW:
            return v12.nmi_window_exiting
        if reason == ExitReason.EPT_VIOLATION:
            return "L1" in self.world.idt_page_missing and "L0" not in self.world.idt_page_missing
        return False

    def reflect_to_l1(self, exit_: VmExit) -> None:
        v02, name = exit_.vmcs, exit_.reason._name_  # not .name (vmx.ExitReason)
        why = (f"the fault is in L1's EPT: {name} goes to L1"
               if exit_.reason == ExitReason.EPT_VIOLATION
               else f"L1 wants {name} exits: reflect it to L1")
        self.step("nested_vmx_exit_reflected", why, {"reason": name})
        self.nested_vmx_vmexit(exit_.reason, v02.exit_intr_info, v02.exit_qualification)

    def nested_vmx_vmexit(self, reason: ExitReason, intr_info: EventInfo | None = None,
                          qualification: str = "", why: str = "") -> None:
        """Emulate a VM exit from L2 to L1: vmcs12 gets the exit information, L1 its host state."""
        world, v12 = self.world, self.vmcs12
        self.leave_guest_mode()
        self.prepare_vmcs12(reason, intr_info, qualification)
        self.halted = False  # "in case we halted in L2"
        self.l0_task = "nested_vmx_vmexit"
        self.trace.stale = True  # and guest_mode, halted (vcpu.py)
        name = reason._name_  # not .name (vmx.ExitReason)
        e = self.trace.add("L0", Kind.NESTED_VMEXIT, self.nested_exit_name,
                           why or f"emulate an exit from L2 to L1: {name}",
                           {"reason": name,
                            "intr_info": intr_info and intr_info.to_json(),
                            "idt_vectoring": v12.idt_vectoring_info and
                            v12.idt_vectoring_info.to_json()},
                           views=(("L1", world.l1_exit_view(v12)),))
        if intr_info:
            world.delivered_in_exit(intr_info, e.seq)
        # load_vmcs12_host_state(): L1 resumes at its exit handler with RFLAGS = 0x2.
        world.l1.load_host_state(block_nmi=reason == ExitReason.EXCEPTION_NMI)
        self.vmcs01.save_guest(world.l1)
        self.trace.restate()  # the emulated exit's state: L1's host state is loaded
        self.after_nested_vmexit()

    def after_nested_vmexit(self) -> None:
        """Policy hook: what L0 does once L1's host state is loaded."""

    def prepare_vmcs12(self, reason: ExitReason, intr_info: EventInfo | None,
                       qualification: str) -> None:
        v12, l2 = self.vmcs12, self.world.l2
        v12.save_guest(l2)  # sync_vmcs02_to_vmcs12()
        v12.guest_activity = self.l2_activity_state()
        v12.exit_reason = reason
        v12.exit_intr_info = intr_info
        v12.exit_qualification = qualification
        v12.idt_vectoring_info = self.pending_event_for_vmcs12()
        v12.entry_intr_info = None  # the valid bit is cleared on exit

    def l2_activity_state(self) -> str:
        """What vmcs12's guest activity state says after the exit (policy hook)."""
        return HLT if self.halted else ACTIVE

    def pending_event_for_vmcs12(self) -> EventInfo | None:
        """The event to report in vmcs12's IDT-vectoring info (policy hook)."""
        raise NotImplementedError


# The consistency check that fails, as KVM's CC() macro stringifies it for the
# kvm_nested_vmenter_failed tracepoint (nested_check_vm_execution_controls() and friends).
_CONTROL_FIELDS = {
    "external_interrupt_exiting": "pinbased", "nmi_exiting": "pinbased",
    "virtual_nmis": "pinbased", "interrupt_window_exiting": "procbased",
    "hlt_exiting": "procbased", "nmi_window_exiting": "procbased",
    "ack_interrupt_on_exit": "exit",
}
_VERIFY = {
    "pinbased": "!vmx_control_verify(vmcs12->pin_based_vm_exec_control, "
                "vmx->nested.msrs.pinbased_ctls_low, vmx->nested.msrs.pinbased_ctls_high)",
    "procbased": "!vmx_control_verify(vmcs12->cpu_based_vm_exec_control, "
                 "vmx->nested.msrs.procbased_ctls_low, vmx->nested.msrs.procbased_ctls_high)",
    "exit": "!vmx_control_verify(vmcs12->vm_exit_controls, vmx->nested.msrs.exit_ctls_low, "
            "vmx->nested.msrs.exit_ctls_high)",
}


def failed_check(v12: Vmcs, caps: frozenset[str]) -> str:
    for name, on in v12.controls().items():
        if on and name not in caps:
            return _VERIFY[_CONTROL_FIELDS[name]]
    if v12.virtual_nmis and not v12.nmi_exiting:
        return "!nested_cpu_has_nmi_exiting(vmcs12) && nested_cpu_has_virtual_nmis(vmcs12)"
    if v12.nmi_window_exiting and not v12.virtual_nmis:
        return ("!nested_cpu_has_virtual_nmis(vmcs12) && "
                "nested_cpu_has(vmcs12, CPU_BASED_NMI_WINDOW_EXITING)")
    return ""
