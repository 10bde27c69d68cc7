"""The hypervisor code that L1's little programs stand for: KVM running inside L1.

The same code runs in both worlds - it is L1's software.  Before each VMLAUNCH/VMRESUME it
programs vmcs12 the way KVM programs a VMCS for its own guest (vmx_complete_interrupts,
inject_pending_event, enable_irq_window); after each exit it reads the exit information.
"""

from __future__ import annotations

from .lapic import Lapic
from .observations import VIA_EXIT, delivered
from .trace import Fact, Kind
from .vmcs import Vmcs, skip_emulated_instruction
from .vmx import EventInfo, ExitReason
from .world import World


class L1Hypervisor:
    def __init__(self, world: World, vmcs12: Vmcs, l1_apic: Lapic):
        self.world = world
        self.vmcs12 = vmcs12
        self.l1_apic = l1_apic  # L1's own local APIC: physical on bare metal, L0's otherwise
        self.window_requested = vmcs12.interrupt_window_exiting  # L1's static choices
        self.nmi_window_requested = vmcs12.nmi_window_exiting
        self.reinject: EventInfo | None = None
        self.skip: str | None = None  # an L2 instruction that exited and must be skipped
        # L2's vCPU is HALTED (mp_state) after an HLT L1 intercepted: L1 does not enter L2
        # until kvm_vcpu_has_events(); `l1_if` is L1's IF to enter with once it is runnable.
        self.l2_halted = False
        self.l1_if = True
        world.l1.on_vmx_instruction = self.before_entry
        world.l1.on_vmexit = self.after_exit

    def before_entry(self, instr: str) -> bool:
        """Program vmcs12's VM-entry interruption field before VMLAUNCH/VMRESUME.  False: L1
        does not execute the instruction, because L2's vCPU is blocked (L1 idles instead)."""
        v, trace = self.vmcs12, self.world.trace
        if self.skip:
            # kvm_skip_emulated_instruction(): advance L2's RIP past the VMCALL/HLT it emulated.
            l2, instr, self.skip = self.world.l2, self.skip, None
            skip_emulated_instruction(v, l2, instr)
            trace.add("L1", Kind.SKIP, "kvm_skip_emulated_instruction",
                      f"L1 handled L2's {instr.upper()}: advance L2's RIP past it")
            self.world.retired(l2, instr, skipped=True)
            if instr == "hlt":
                self.kvm_emulate_halt()
        if self.l2_halted and not self.vcpu_block():
            return False
        # vcpu_enter_guest(): kvm_check_request(KVM_REQ_NMI) → process_nmi() turns the queued
        # NMIs into pending ones (world.l2_nmis) before inject_pending_event().
        self.world.l2_req_nmi = False
        v.interrupt_window_exiting = self.window_requested
        v.nmi_window_exiting = self.nmi_window_requested
        trace.stale = True  # the windows L1 programs are part of the recorded state
        if self.reinject is not None:
            # vmx_complete_interrupts: an event whose delivery was cut short by the exit
            # (IDT-vectoring information) is injected again.
            v.entry_intr_info, self.reinject = self.reinject, None
            trace.add("L1", Kind.INJECT, "vmx_complete_interrupts",
                      "re-inject the event the exit interrupted (IDT-vectoring info)",
                      {"field": "vmcs12.VM_ENTRY_INTR_INFO", **v.entry_intr_info.to_json()},
                      facts=(Fact.REINJECTED,))
            return True
        if self.world.l2_nmis and self.inject_nmi(v):
            return True
        if not self.world.l2_vapic.has_interrupt():
            return True
        if v.guest_if and not v.guest_sti_blocking:
            vector, ids = self.world.l2_vapic.ack()
            v.entry_intr_info = EventInfo(vector, ids=tuple(ids), source=self.world.l2_vapic)
            trace.add("L1", Kind.INJECT, "vmx_inject_irq",
                      f"L2 can take interrupts: inject 0x{vector:02x} at VM entry",
                      {"field": "vmcs12.VM_ENTRY_INTR_INFO", "vector": vector})
        else:
            v.interrupt_window_exiting = True
            trace.stale = True
            trace.add("L1", Kind.WINDOW, "enable_irq_window",
                      "L2 has IF = 0 or STI blocking: ask for an interrupt-window exit",
                      {"field": "vmcs12.CPU_BASED_INTR_WINDOW_EXITING", "value": True})
        return True

    # -- L2's HLT: handle_halt() → kvm_emulate_halt() (vmx.c, x86.c) ---------------------------
    def kvm_emulate_halt(self) -> None:
        """After the skip, __kvm_emulate_halt() sets L2's vCPU to KVM_MP_STATE_HALTED unless
        kvm_vcpu_has_events() already holds; vcpu_run() then calls vcpu_block() instead of
        vcpu_enter_guest() for as long as kvm_vcpu_running() is false."""
        trace = self.world.trace
        if self.l2_has_events():
            trace.add("L1", Kind.KVM, "kvm_emulate_halt", "L2's HLT, with an event for L2 already "
                      "pending (kvm_vcpu_has_events): its vCPU stays runnable",
                      {"level": "L2", "mp_state": "RUNNABLE"})
            return
        # Kind "kvm", not "halt": L1 runs on; it is L2's vCPU that L1 marks halted.
        self.l2_halted, self.l1_if = True, self.world.l1.rflags_if
        trace.stale = True  # l2_halted is recorded (vcpu.py)
        trace.add("L1", Kind.KVM, "kvm_emulate_halt", "L2's HLT and no event for L2: "
                  "mp_state = HALTED, L1 does not resume L2 until it has one",
                  {"level": "L2", "mp_state": "HALTED"})

    def vcpu_block(self) -> bool:
        """vcpu_block() → kvm_vcpu_halt(): L2's vCPU thread sleeps until
        kvm_arch_vcpu_runnable().  Meanwhile L1 idles (sti; hlt) and takes its own interrupts
        and NMIs; after each it checks again.  True: L2's vCPU is runnable."""
        l1, trace = self.world.l1, self.world.trace
        if not self.l2_has_events():
            l1.idle_loop()
            trace.add("L1", Kind.LOOP, "kvm_vcpu_block", "no interrupt or NMI for L2: its vCPU "
                      "stays blocked; L1 idles (sti; hlt) until an event of its own",
                      {"level": "L2"})
            return False
        only_req_nmi = not self.l2_has_events(requests=False)
        self.l2_halted = False
        l1.rflags_if = self.l1_if  # vcpu_enter_guest() runs with L1's IF as before the block
        trace.stale = True  # l2_halted and L1's IF (vcpu.py)
        why = ("kvm_vcpu_has_events(): KVM_REQ_NMI, an NMI queued for L2 (though L2 blocks "
               "NMIs): its vCPU is runnable again (mp_state = RUNNABLE), to re-enter L2 after "
               "its HLT" if only_req_nmi else
               "kvm_vcpu_has_events(): an event for L2, its vCPU is runnable again "
               "(mp_state = RUNNABLE)")
        trace.add("L1", Kind.LOOP, "vcpu_block", why, {"level": "L2", "mp_state": "RUNNABLE"})
        return True

    def l2_has_events(self, requests: bool = True) -> bool:
        """kvm_vcpu_has_events() for L2's vCPU, in L1: KVM_REQ_NMI (an NMI queued since L1
        last entered L2, whether or not L2 blocks NMIs: process_nmi() has not run yet), an
        NMI L2 can take (vmx_nmi_allowed()), or an interrupt in L1's APIC model for L2 with L2
        able to take it (kvm_arch_interrupt_allowed(): IF = 1; the skip has cleared the STI
        shadow).  `requests=False`: leave KVM_REQ_NMI out."""
        v, world = self.vmcs12, self.world
        if requests and world.l2_req_nmi:
            return True
        if world.l2_nmis and not v.guest_nmi_blocking:
            return True
        return v.guest_if and world.l2_vapic.has_interrupt()

    def state(self) -> tuple:
        """What of L1's software state a snapshot must hold (the loop checks)."""
        return self.reinject, self.l2_halted, self.l1_if

    def inject_nmi(self, v) -> bool:
        """inject_pending_event for an NMI: inject it, or ask for an NMI-window exit."""
        trace = self.world.trace
        # vmx_nmi_allowed(): no blocking by NMI, nor by STI (this processor holds NMIs off
        # during STI blocking, and VM entry may refuse to inject an NMI then: SDM 27.3.1.5).
        if not v.guest_nmi_blocking and not v.guest_sti_blocking:
            v.entry_intr_info = self.world.l2_nmis.pop(0)
            trace.add("L1", Kind.INJECT, "vmx_inject_nmi", "L2 is not blocking NMIs: inject the "
                      "NMI at VM entry", {"field": "vmcs12.VM_ENTRY_INTR_INFO", "vector": 2})
            return True
        if v.virtual_nmis:
            v.nmi_window_exiting = True
            trace.stale = True
            trace.add("L1", Kind.WINDOW, "enable_nmi_window", "L2 blocks NMIs: ask for an "
                      "NMI-window exit", {"field": "vmcs12.CPU_BASED_NMI_WINDOW_EXITING"})
        return False

    def after_exit(self) -> None:
        """Read the exit information (runs as L1 resumes at its exit handler)."""
        v, world = self.vmcs12, self.world
        self.reinject = v.idt_vectoring_info
        if v.exit_reason in (ExitReason.VMCALL, ExitReason.HLT):
            self.skip = v.exit_reason._name_.lower()
        if v.exit_reason == ExitReason.EPT_VIOLATION and "L1" in world.idt_page_missing:
            world.idt_page_missing.discard("L1")
            world.trace.add("L1", Kind.EPT, "handle_ept_violation",
                            "L1 maps the missing page in its EPT for L2")
        if v.exit_reason == ExitReason.EXCEPTION_NMI and v.exit_intr_info:
            # handle_exception_nmi_irqoff: an NMI that exited is handed to L1's own NMI
            # handler (vmx_do_nmi_irqoff), which runs with NMIs blocked until its IRET.
            world.l1.deliver(2, None, nmi=True)
            world.trace.add("L1", Kind.DELIVER, "vmx_do_nmi_irqoff", "the NMI came in the exit: "
                            "call L1's NMI handler", {"vector": 2},
                            views=(("L1", delivered(v.exit_intr_info, VIA_EXIT)),))
        if v.exit_reason == ExitReason.EXTERNAL_INTERRUPT and v.exit_intr_info:
            # handle_external_interrupt_irqoff: with ack-on-exit the vector arrived in the
            # exit, and L1 calls its own IDT handler for it.
            vector = v.exit_intr_info.vector
            world.l1.deliver(vector, self.l1_apic)
            world.trace.add("L1", Kind.DELIVER, "handle_external_interrupt_irqoff",
                            f"vector 0x{vector:02x} came in the exit: call L1's handler",
                            {"vector": vector},
                            # The exit delivered it, not L1's IDT (SDM §25.9.2).
                            views=(("L1", delivered(v.exit_intr_info, VIA_EXIT)),))
