"""The vCPU loop of arch/x86/kvm/x86.c, with the state KVM keeps per vCPU.

A policy subclass supplies the parts the designs disagree on: inject_pending_event(), the
vendor's interrupt_allowed()/enable_irq_window(), complete_interrupts() and what
vmx_handle_exit() does before dispatching.
"""

from __future__ import annotations

from functools import cached_property

from ..cpu import ALL_CONTROLS, Cpu, Idle, VmExit, eoi, vmcs12_from
from ..l1 import L1Hypervisor
from ..lapic import Lapic
from ..trace import Fact, Kind
from ..vcpu import Snapshots
from ..vmcs import Vmcs, skip_emulated_instruction
from ..vmx import EventInfo, ExitReason
from ..world import World
from .nested import NestedVmx

RESCHEDULE_VECTOR = 0xFD  # the IPI kvm_vcpu_kick() sends to force a guest out (smp_send_reschedule)
EBUSY = -16


class Kvm(NestedVmx):
    """One vCPU of L0.  `policy` names the design; `bugs` the teaching bugs switched on."""

    policy = ""
    # Does L0 set VM_EXIT_ACK_INTR_ON_EXIT for its own VMCSs?  KVM did from 2013 on.
    host_ack_on_exit = True
    # The VMX controls L0 lets L1 use: the nested VMX capability MSRs (nested_vmx_setup_ctls_msrs).
    nested_caps = ALL_CONTROLS

    def __init__(self, world: World):
        self.world = world
        self.trace = world.trace
        self.bugs = frozenset(world.scenario.bugs)
        self.phys_apic = Lapic("physical local APIC", owner="HW")
        self.cpu = Cpu(world, self.phys_apic)
        self.lapic = Lapic("L1's local APIC (emulated by L0)", owner="L0")  # vcpu->arch.apic
        # vmcs01: how L0 runs L1.  KVM always exits on external interrupts and HLT, acks
        # interrupts on exit, and intercepts the x2APIC EOI register (no APICv here).
        self.vmcs01 = Vmcs("vmcs01", external_interrupt_exiting=True,
                           ack_interrupt_on_exit=self.host_ack_on_exit,
                           hlt_exiting=True, intercept_eoi=True, nmi_exiting=True,
                           virtual_nmis=True)
        self.vmcs02 = Vmcs("vmcs02")
        self.vmcs12 = vmcs12_from(world, ("L1",))  # in L1's memory
        self.guest_mode = False  # is_guest_mode(vcpu)
        # The VMCS loaded for the context that runs next (vmx->loaded_vmcs), and that context.
        self.vmcs, self.guest = self.vmcs01, world.l1
        self.nested_run_pending = False
        self.req_event = False  # KVM_REQ_EVENT
        self.req_immediate_exit = False
        self.halted = False  # vcpu->arch.mp_state == KVM_MP_STATE_HALTED
        self.l0_task, self.exit_from = "vcpu_run", ""  # see VcpuState.l0_task
        self.interrupt: EventInfo | None = None  # vcpu->arch.interrupt: queued for (re)injection
        self.nmi_injected: EventInfo | None = None  # vcpu->arch.nmi_injected
        self.nmi_pending: list[EventInfo] = []  # vcpu->arch.nmi_pending, one entry per NMI
        self.iterations = 0
        world.raise_to_l1 = self.kvm_apic_set_irq
        world.snapshot = self.snapshot
        # The recorded state (vcpu.py): whatever changes one of the fields it is read from
        # sets trace.stale.
        self.snapshots = Snapshots(("vmcs01", "vmcs02", "vmcs12"))
        world.trace.snapshot = self.vcpu_state
        self.l1_hv = L1Hypervisor(world, self.vmcs12, self.lapic)

    # -- helpers ---------------------------------------------------------------------------------
    def step(self, name: str, why: str, data: dict | None = None, kind: Kind = Kind.KVM,
             facts: tuple[Fact, ...] = ()):
        return self.trace.add("L0", kind, name, why, data, (), facts)

    def enter_guest_mode(self) -> None:
        """enter_guest_mode(), with vmx_switch_vmcs() to vmcs02: L2 is the context that runs
        next.  `vmcs` and `guest` follow guest_mode: they are read at most steps of the loop."""
        self.guest_mode = True
        self.vmcs, self.guest = self.vmcs02, self.world.l2

    def leave_guest_mode(self) -> None:
        """leave_guest_mode(), with vmx_switch_vmcs() back to vmcs01: L1 runs next."""
        self.guest_mode = False
        self.vmcs, self.guest = self.vmcs01, self.world.l1

    def nested_exit_on_intr(self) -> bool:
        return self.vmcs12.external_interrupt_exiting

    def nested_exit_intr_ack_set(self) -> bool:
        return self.vmcs12.ack_interrupt_on_exit

    def kvm_cpu_has_interrupt(self) -> bool:
        return self.lapic.has_interrupt()

    def kvm_cpu_get_interrupt(self) -> EventInfo:
        vector, ids = self.lapic.ack()
        self.step("kvm_cpu_get_interrupt", f"{self.lapic.name}: IRR→ISR 0x{vector:02x}",
                  {"vector": vector}, kind=Kind.APIC)
        return EventInfo(vector, ids=tuple(ids), source=self.lapic)

    def make_request_event(self, why: str, facts: tuple[Fact, ...] = ()) -> None:
        self.req_event = True
        self.trace.stale = True
        self.step("kvm_make_request(KVM_REQ_EVENT)", why, kind=Kind.REQUEST, facts=facts)

    def snapshot(self) -> tuple:
        return (self.world.context_state(), tuple(self.lapic.irr), tuple(self.lapic.isr),
                tuple(self.phys_apic.irr), self.vmcs01.snapshot(), self.vmcs02.snapshot(),
                self.vmcs12.snapshot(), self.guest_mode, self.nested_run_pending,
                self.req_event, self.halted, self.interrupt, self.l1_hv.state(),
                self.nmi_injected, tuple(self.nmi_pending), self.extra_state())

    def extra_state(self) -> tuple:
        return ()

    def vcpu_state(self) -> tuple:
        """The state as it lives in the processor, L1, L2, the VMCSes and this vCPU."""
        l1, l2, v01, v02, v12 = self.world.l1, self.world.l2, self.vmcs01, self.vmcs02, \
            self.vmcs12
        return (
            self.cpu.running, self.guest_mode,
            l1.stream, l1.rflags_if, l1.sti_blocking, l1.nmi_blocking, l1.activity,
            l2.stream, l2.rflags_if, l2.sti_blocking, l2.nmi_blocking, l2.activity,
            v01.interrupt_window_exiting, v01.nmi_window_exiting,
            v02.interrupt_window_exiting, v02.nmi_window_exiting,
            v12.interrupt_window_exiting, v12.nmi_window_exiting, self.l1_hv.l2_halted,
            self.nested_run_pending, self.req_event, self.req_immediate_exit, self.halted,
            self.l0_task, self.exit_from)

    # -- interrupts from L1's devices ------------------------------------------------------------
    def kvm_apic_set_irq(self, index: int, ev: EventInfo) -> None:
        """__apic_accept_irq: set IRR in L1's APIC, request event evaluation, kick the vCPU."""
        if ev.type == "nmi":
            self.kvm_inject_nmi(ev)
            return
        coalesced = not self.lapic.set_irr(ev.vector, index)
        self.step("kvm_apic_set_irq", f"{self.lapic.name}: IRR 0x{ev.vector:02x}" +
                  (" (coalesced)" if coalesced else ""), {"vector": ev.vector}, kind=Kind.APIC)
        self.request_event_for_new_irq()
        self.kvm_vcpu_kick()

    def kvm_inject_nmi(self, ev: EventInfo) -> None:
        """kvm_inject_nmi() → process_nmi(): count the NMI, evaluate events, kick.

        "x86 is limited to one NMI running, and one NMI pending after it": at most two
        pending, one if an NMI is already in progress; the rest merge (as on the NMI pin)."""
        # get_nmi_mask() reads the context that runs: L2's NMI blocking in guest mode.
        in_progress = self.guest.nmi_blocking or self.nmi_injected is not None
        limit = 1 if in_progress else 2
        if len(self.nmi_pending) >= limit:
            last = self.nmi_pending[-1]
            self.nmi_pending[-1] = EventInfo(2, "nmi", last.ids + ev.ids)
            self.step("kvm_inject_nmi", f"an NMI for L1: nmi_pending already {limit}, merged",
                      kind=Kind.NMI, facts=(Fact.MERGED,))
        else:
            self.nmi_pending.append(ev)
            self.step("kvm_inject_nmi", "an NMI for L1: nmi_pending++", kind=Kind.NMI)
        self.make_request_event("an NMI became pending for L1")
        self.kvm_vcpu_kick()

    def request_event_for_new_irq(self) -> None:
        self.make_request_event("an interrupt became pending in L1's APIC")

    def kvm_vcpu_kick(self) -> None:
        if self.cpu.in_guest:
            self.phys_apic.set_irr(RESCHEDULE_VECTOR, -1)
            self.step("kvm_vcpu_kick", "the vCPU is in guest mode: send a reschedule IPI to "
                      "force a VM exit", {"vector": RESCHEDULE_VECTOR}, kind=Kind.KICK)
        elif self.halted:
            self.step("kvm_vcpu_kick", "wake the halted vCPU", kind=Kind.KICK)

    # -- the loop --------------------------------------------------------------------------------
    def run(self) -> None:
        """vcpu_run(): enter the guest until something needs user space (never, here)."""
        while True:
            if self.halted:
                self.vcpu_block()
            else:
                self.vcpu_enter_guest()

    def vcpu_enter_guest(self) -> None:
        self.world.checkpoint()
        self.iterations += 1
        self.step("vcpu_enter_guest", "next iteration of the vCPU loop",
                  {"iteration": self.iterations}, kind=Kind.LOOP)
        if self.req_event:
            self.req_event = False
            self.trace.stale = True
            self.step("kvm_check_request(KVM_REQ_EVENT)", "re-evaluate pending events",
                      kind=Kind.REQUEST)
            self.inject_pending_event()
        if self.req_immediate_exit:
            self.req_immediate_exit = False
            self.trace.stale = True
            self.vmcs.preemption_timer_zero = True
            self.step("request_immediate_exit", "enter, but exit again before the guest's "
                      "first instruction (VMX-preemption timer = 0)")
            self.make_request_event("an immediate exit comes back to evaluate events")
        exit_ = self.vendor_run()
        if exit_ is None:
            return
        self.complete_interrupts(exit_)
        self.handle_exit(exit_)

    def vendor_run(self) -> VmExit | None:
        """vmx_vcpu_run(): VM entry into the current VMCS, run until the next exit."""
        vmcs, guest = self.vmcs, self.guest
        self.before_hw_entry()
        # Where L0 resumes after the guest's next VM exit: vcpu_enter_guest → handle_exit.
        self.l0_task, self.exit_from = "handle_exit", guest.level
        self.trace.stale = True
        error = self.cpu.vmentry(vmcs, guest, not vmcs.launched, "L0")
        assert error is None, f"L0's own {vmcs.name} failed VM entry ({error})"
        exit_ = self.cpu.run(vmcs, guest)
        self.after_hw_entry()
        return exit_

    def before_hw_entry(self) -> None:
        pass

    def after_hw_entry(self) -> None:
        pass

    def vcpu_block(self) -> None:
        """The vCPU halted: sleep until kvm_vcpu_has_events(), then leave the halted state."""
        self.world.checkpoint()
        if not self.kvm_vcpu_has_events():
            where = "L2" if self.guest_mode else "L1"
            raise Idle(f"{where} is halted (L0 blocks the vCPU) and no event can wake it")
        self.step("vcpu_block", "an event can be taken: wake the halted vCPU", kind=Kind.LOOP)
        self.wake_from_halt()

    def kvm_vcpu_has_events(self) -> bool:
        """An interrupt the current context could take (in L2 with exit-on-interrupt: any)."""
        if not self.kvm_cpu_has_interrupt():
            return False
        if self.guest_mode and self.nested_exit_on_intr():
            return True
        return not self.guest.interrupts_blocked

    def wake_from_halt(self) -> None:
        self.halted = False
        self.trace.stale = True
        self.make_request_event("woken from HLT")

    # -- after the exit --------------------------------------------------------------------------
    def handle_exit(self, exit_: VmExit) -> None:
        """vmx_handle_exit(): reflect an exit of L2 to L1, or handle it in L0."""
        if self.guest_mode and self.nested_vmx_exit_reflected(exit_):
            self.reflect_to_l1(exit_)
            return
        self.exit_handlers[exit_.reason](exit_)

    @cached_property
    def exit_handlers(self):
        """kvm_vmx_exit_handlers[]: the handler for each exit reason L0 handles itself."""
        return {
            ExitReason.EXTERNAL_INTERRUPT: self.handle_external_interrupt,
            ExitReason.INTERRUPT_WINDOW: self.handle_interrupt_window,
            ExitReason.NMI_WINDOW: self.handle_nmi_window,
            ExitReason.HLT: self.handle_halt,
            ExitReason.VMCALL: self.handle_vmcall,
            ExitReason.VMLAUNCH: self.handle_vmlaunch,
            ExitReason.VMRESUME: self.handle_vmresume,
            ExitReason.MSR_WRITE: self.handle_wrmsr,
            ExitReason.PREEMPTION_TIMER: self.handle_preemption_timer,
            ExitReason.EPT_VIOLATION: self.handle_ept_violation,
        }

    def handle_external_interrupt(self, exit_: VmExit) -> None:
        """A physical interrupt (the kick IPI) exited: L0's own handler takes it."""
        if self.host_ack_on_exit:
            self.phys_apic.eoi()
            self.step("handle_external_interrupt_irqoff", "a host interrupt (the kick), "
                      "acknowledged on exit: L0 calls its handler; nothing for the guest")
            return
        # Before ack-on-exit, L0 re-enabled interrupts and took the IPI through its own IDT.
        self.phys_apic.ack()
        self.phys_apic.eoi()
        self.step("handle_external_interrupt", "a host interrupt (the kick): L0 enables "
                  "interrupts and its own handler takes it; nothing for the guest")

    def handle_interrupt_window(self, exit_: VmExit) -> None:
        exit_.vmcs.interrupt_window_exiting = False
        self.trace.stale = True
        self.step("handle_interrupt_window", f"the guest can take interrupts now: close "
                  f"the window on {exit_.vmcs.name}", {"vmcs": exit_.vmcs.name}, kind=Kind.WINDOW)
        self.make_request_event("interrupt window exit")

    def handle_nmi_window(self, exit_: VmExit) -> None:
        exit_.vmcs.nmi_window_exiting = False
        self.trace.stale = True
        self.step("handle_nmi_window", f"the guest can take an NMI now: close the NMI window "
                  f"on {exit_.vmcs.name}", {"vmcs": exit_.vmcs.name}, kind=Kind.WINDOW)
        self.make_request_event("NMI window exit")

    def handle_halt(self, exit_: VmExit) -> None:
        guest = self.guest
        skip_emulated_instruction(exit_.vmcs, guest, "hlt")  # kvm_emulate_halt(), then wait
        self.halted = True
        self.l0_task = "vcpu_block"  # the vCPU loop blocks a HALTED vCPU (vcpu_block)
        self.trace.stale = True
        self.step("kvm_emulate_halt", f"{guest.level} executed HLT: mp_state = HALTED",
                  {"level": guest.level}, kind=Kind.HALT)
        self.world.retired(guest, "hlt", skipped=True)

    def handle_vmcall(self, exit_: VmExit) -> None:
        guest = self.guest
        skip_emulated_instruction(exit_.vmcs, guest, "vmcall")
        self.step("kvm_emulate_hypercall", f"{guest.level}'s VMCALL: nothing to do; skip it")
        self.world.retired(guest, "vmcall", skipped=True)

    def handle_vmlaunch(self, exit_: VmExit) -> None:
        self.nested_vmx_run(launch=True)

    def handle_vmresume(self, exit_: VmExit) -> None:
        self.nested_vmx_run(launch=False)

    def handle_wrmsr(self, exit_: VmExit) -> None:
        guest = self.guest
        eoi(self.trace, guest)
        self.step("kvm_x2apic_msr_write", "emulate the EOI write to L1's APIC (apic_set_eoi)",
                  kind=Kind.APIC)
        skip_emulated_instruction(exit_.vmcs, guest, "eoi")
        self.world.retired(guest, "eoi", skipped=True)
        if self.kvm_cpu_has_interrupt():
            self.make_request_event("EOI: a pending interrupt may be deliverable now "
                                    "(apic_update_ppr)")

    def handle_preemption_timer(self, exit_: VmExit) -> None:
        self.step("handle_preemption_timer", "the immediate exit L0 asked for")

    def handle_ept_violation(self, exit_: VmExit) -> None:
        self.world.idt_page_missing.discard("L0")
        self.step("handle_ept_violation", "L0 maps the missing page in its own EPT")

    # -- event injection (shared helpers) ---------------------------------------------------------
    def vmx_inject_irq(self, ev: EventInfo, reinjected: bool = False) -> None:
        vmcs = self.vmcs  # a property: read once
        old = vmcs.entry_intr_info
        vmcs.entry_intr_info = ev
        why = (f"{'re-inject' if reinjected else 'inject'} {ev} into {self.guest.level} "
               f"through {vmcs.name}'s VM-entry interruption field")
        data = {"vmcs": vmcs.name, **ev.to_json()}
        # EventInfo compares vector and type only: an event with the same vector from
        # another source (L1's injection versus L1's own interrupt) is still another event.
        if old is not None and old is not ev and (old != ev or old.ids != ev.ids):
            why += f", overwriting {old} that was to be injected there (lost)"
            data["overwrote"] = old.to_json()
        self.step("vmx_inject_irq", why, data, kind=Kind.INJECT,
                  facts=(Fact.REINJECTED,) if reinjected else ())

    def vmx_inject_nmi(self, ev: EventInfo, reinjected: bool = False) -> None:
        vmcs = self.vmcs  # a property: read once
        vmcs.entry_intr_info = ev
        self.step("vmx_inject_nmi", f"{'re-inject' if reinjected else 'inject'} the NMI into "
                  f"{self.guest.level} through {vmcs.name}'s VM-entry interruption field",
                  {"vmcs": vmcs.name, **ev.to_json()}, kind=Kind.INJECT,
                  facts=(Fact.REINJECTED,) if reinjected else ())

    def enable_nmi_window(self) -> None:
        vmcs = self.vmcs  # a property: read once
        vmcs.nmi_window_exiting = True
        self.trace.stale = True
        self.step("enable_nmi_window", f"{self.guest.level} blocks NMIs: NMI-window exiting "
                  f"on {vmcs.name}", {"vmcs": vmcs.name}, kind=Kind.WINDOW)

    def enable_irq_window_on_current(self) -> None:
        vmcs = self.vmcs  # a property: read once
        vmcs.interrupt_window_exiting = True
        self.trace.stale = True
        self.step("enable_irq_window", f"{self.guest.level} cannot take the interrupt now: "
                  f"interrupt-window exiting on {vmcs.name}", {"vmcs": vmcs.name},
                  kind=Kind.WINDOW)

    def vmx_complete_interrupts(self, exit_: VmExit) -> None:
        """__vmx_complete_interrupts: an event cut short by the exit is queued to re-inject."""
        ev = exit_.vmcs.idt_vectoring_info
        if ev is None:
            return
        if ev.type == "nmi":
            self.nmi_injected = ev
        else:
            self.interrupt = ev
        self.step("vmx_complete_interrupts", f"IDT-vectoring info: {ev} was being delivered; "
                  "queue it for re-injection", ev.to_json())
        self.make_request_event("an event needs re-injection")

    # -- what the designs disagree on ----------------------------------------------------------
    def inject_pending_event(self) -> None:
        raise NotImplementedError

    def complete_interrupts(self, exit_: VmExit) -> None:
        raise NotImplementedError
