"""The reference world: L1 runs directly on the hardware, with no L0.

L1 is the host in VMX root operation and vmcs12 is a real VMCS.  An interrupt for L1 comes
from a device through the physical local APIC.
"""

from __future__ import annotations

from .cpu import ALL_CONTROLS, Cpu, vmcs12_from
from .l1 import L1Hypervisor
from .lapic import Lapic
from .observations import ENTRY_VIEWS, ObservedVmFail
from .trace import Fact, Kind
from .vcpu import Snapshots
from .vmx import EventInfo
from .world import World


class BareMetal:
    def __init__(self, world: World):
        self.world = world
        self.apic = Lapic("local APIC", owner="HW")
        self.cpu = Cpu(world, self.apic, ALL_CONTROLS, host="L1")
        self.vmcs12 = vmcs12_from(world, ("L1",))
        self.l1_hv = L1Hypervisor(world, self.vmcs12, self.apic)
        world.raise_to_l1 = self.raise_to_l1
        world.snapshot = self.snapshot
        self.snapshots = Snapshots(("vmcs12",))
        world.trace.snapshot = self.vcpu_state

    def raise_to_l1(self, index: int, ev: EventInfo) -> None:
        if ev.type == "nmi":
            # The NMI pin latches one NMI; a second one while it is pending merges with it.
            pending = self.cpu.nmi
            self.cpu.nmi = EventInfo(2, "nmi", (pending.ids if pending else ()) + ev.ids)
            self.world.trace.add("HW", Kind.NMI, "NMI", "NMI pending on the NMI pin"
                                 + (" (merged)" if pending else ""),
                                 facts=(Fact.MERGED,) if pending else ())
            return
        coalesced = not self.apic.set_irr(ev.vector, index)
        self.world.trace.add("HW", Kind.APIC, "IRR", f"{self.apic.name}: IRR 0x{ev.vector:02x}"
                             + (" (coalesced)" if coalesced else ""), {"vector": ev.vector})

    def snapshot(self) -> tuple:
        return (self.world.context_state(), tuple(self.apic.irr), tuple(self.apic.isr),
                self.vmcs12.snapshot(), self.l1_hv.state(), self.cpu.nmi)

    def vcpu_state(self) -> tuple:
        """The state as it lives in the processor, L1, L2 and vmcs12 (see Snapshots)."""
        l1, l2, v, running = self.world.l1, self.world.l2, self.vmcs12, self.cpu.running
        return (
            running, running == "L2",
            l1.stream, l1.rflags_if, l1.sti_blocking, l1.nmi_blocking, l1.activity,
            l2.stream, l2.rflags_if, l2.sti_blocking, l2.nmi_blocking, l2.activity,
            v.interrupt_window_exiting, v.nmi_window_exiting, self.l1_hv.l2_halted)

    def run(self) -> None:
        world, cpu, l1, l2, v = self.world, self.cpu, self.world.l1, self.world.l2, self.vmcs12
        while True:
            instr = cpu.run_root(l1)
            error = cpu.vmentry(v, l2, instr == "vmlaunch", "HW", ENTRY_VIEWS)
            if error is not None:
                self.vmfail(instr, error)
                continue
            world.l1_vmx_instruction(instr)
            world.checkpoint()
            cpu.run(v, l2)
            # The VM exit loads L1's host state (SDM 28.5).
            l1.load_host_state(block_nmi=cpu.nmi_blocked_after_exit)
            cpu.nmi_blocked_after_exit = False
            world.trace.restate()  # the exit step's state: L1's host state is loaded

    def vmfail(self, instr: str, error: int) -> None:
        l1 = self.world.l1
        self.world.trace.add("HW", Kind.VMFAIL, instr.upper(), Cpu.error_text(error),
                             {"error": error},
                             views=(("L1", ObservedVmFail(error)),))
        l1.retire(instr)
        self.world.retired(l1, instr)
        self.world.l1_vmx_instruction(instr)
