"""The hypervisor code that L1's little programs stand for: KVM running inside L1.

The same code runs in both worlds - it is L1's software.  Before each VMLAUNCH/VMRESUME it
programs vmcs12 the way KVM programs a VMCS for its own guest (vmx_complete_interrupts,
inject_pending_event, enable_irq_window); after each exit it reads the exit information.
"""

from __future__ import annotations

from .lapic import Lapic
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
        world.l1.on_vmx_instruction = self.before_entry
        world.l1.on_vmexit = self.after_exit

    def before_entry(self, instr: str) -> None:
        """Program vmcs12's VM-entry interruption field before VMLAUNCH/VMRESUME."""
        v, trace = self.vmcs12, self.world.trace
        if self.skip:
            # kvm_skip_emulated_instruction(): advance L2's RIP past the VMCALL/HLT it emulated.
            l2, instr, self.skip = self.world.l2, self.skip, None
            skip_emulated_instruction(v, l2, instr)
            trace.add("L1", Kind.SKIP, "kvm_skip_emulated_instruction",
                      f"L1 handled L2's {instr.upper()}: advance L2's RIP past it")
            self.world.retired(l2, instr, skipped=True)
        v.interrupt_window_exiting = self.window_requested
        v.nmi_window_exiting = self.nmi_window_requested
        if self.reinject is not None:
            # vmx_complete_interrupts: an event whose delivery was cut short by the exit
            # (IDT-vectoring information) is injected again.
            v.entry_intr_info, self.reinject = self.reinject, None
            trace.add("L1", Kind.INJECT, "vmx_complete_interrupts",
                      "re-inject the event the exit interrupted (IDT-vectoring info)",
                      {"field": "vmcs12.VM_ENTRY_INTR_INFO", **v.entry_intr_info.to_json()},
                      facts=(Fact.REINJECTED,))
            return
        if self.world.l2_nmis and self.inject_nmi(v):
            return
        if not self.world.l2_vapic.has_interrupt():
            return
        if v.guest_if and not v.guest_sti_blocking:
            vector, ids = self.world.l2_vapic.ack()
            v.entry_intr_info = EventInfo(vector, ids=tuple(ids), source=self.world.l2_vapic)
            trace.add("L1", Kind.INJECT, "vmx_inject_irq",
                      f"L2 can take interrupts: inject 0x{vector:02x} at VM entry",
                      {"field": "vmcs12.VM_ENTRY_INTR_INFO", "vector": vector})
        else:
            v.interrupt_window_exiting = True
            trace.add("L1", Kind.WINDOW, "enable_irq_window",
                      "L2 has IF = 0 or STI blocking: ask for an interrupt-window exit",
                      {"field": "vmcs12.CPU_BASED_INTR_WINDOW_EXITING", "value": True})

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
            trace.add("L1", Kind.WINDOW, "enable_nmi_window", "L2 blocks NMIs: ask for an "
                      "NMI-window exit", {"field": "vmcs12.CPU_BASED_NMI_WINDOW_EXITING"})
        return False

    def after_exit(self) -> None:
        """Read the exit information (runs as L1 resumes at its exit handler)."""
        v, world = self.vmcs12, self.world
        self.reinject = v.idt_vectoring_info
        if v.exit_reason in (ExitReason.VMCALL, ExitReason.HLT):
            self.skip = v.exit_reason.name.lower()
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
                            views=(("L1", {"kind": "nmi", "vector": 2, "via": "exit"}),))
        if v.exit_reason == ExitReason.EXTERNAL_INTERRUPT and v.exit_intr_info:
            # handle_external_interrupt_irqoff: with ack-on-exit the vector arrived in the
            # exit, and L1 calls its own IDT handler for it.
            vector = v.exit_intr_info.vector
            world.l1.deliver(vector, self.l1_apic)
            world.trace.add("L1", Kind.DELIVER, "handle_external_interrupt_irqoff",
                            f"vector 0x{vector:02x} came in the exit: call L1's handler",
                            {"vector": vector},
                            # "via": the exit delivered it, not L1's IDT (SDM §25.9.2).
                            views=(("L1", {"kind": "irq", "vector": vector, "via": "exit"}),))
