"""One logical processor with VMX: VM entry, VMX non-root execution, VM exit.

The same hardware serves both worlds.  On bare metal L1 is the host and its VMCS is vmcs12;
in the nested world L0 is the host and runs L1 in vmcs01 and L2 in vmcs02.  What happens is
decided by the VMCS controls and the local APIC, never by who is running.
"""

from __future__ import annotations

from typing import NamedTuple

from .guest import Context
from .lapic import Lapic
from .observations import Views
from .trace import Kind
from .vmcs import Vmcs
from .vmx import (
    ACTIVE,
    CONTROLS,
    HLT,
    VMX_ERROR_TEXT,
    VMXERR_ENTRY_INVALID_CONTROL_FIELD,
    VMXERR_VMLAUNCH_NONCLEAR_VMCS,
    VMXERR_VMRESUME_NONLAUNCHED_VMCS,
    EventInfo,
    ExitReason,
)
from .world import World, rip


class Idle(Exception):
    """Nothing can happen any more: the running level waits and no event is pending."""


class VmExit(NamedTuple):
    """A VM exit as the processor hands it back (a NamedTuple: one is made per exit, at half
    a frozen dataclass's cost)."""

    reason: ExitReason
    vmcs: Vmcs


ALL_CONTROLS = frozenset(CONTROLS)
SIMPLE = frozenset(("nop", "cli", "sti"))
# What _boundary() returns when it delivered an event through the guest's IDT.
DELIVERED = object()  # instructions that only change the running context


def vmcs12_from(world: World, owners: tuple[str, ...]) -> Vmcs:
    """vmcs12 as L1 programs it from the scenario, with L2's initial guest state: the VMCS the
    processor runs L2 with on bare metal, and the one L0 reads in L1's memory when nested."""
    v = Vmcs("vmcs12", **world.scenario.vmcs12, ept_owners=owners)
    v.guest_if = world.l2.rflags_if
    return v


class Cpu:
    def __init__(self, world: World, apic: Lapic, caps: frozenset[str] = ALL_CONTROLS,
                 host: str = "L0"):
        self.world = world
        self.host = host  # the level in VMX root operation: L0, or L1 on bare metal
        self.running = host  # the level executing: the host, or the guest after a VM entry
        self.apic = apic  # the physical local APIC
        self.caps = caps  # the controls the VMX capability MSRs allow (SDM A.3-A.5)
        self.trace = world.trace
        self.in_guest = False  # vcpu->mode == IN_GUEST_MODE, for kicks
        self.nmi: EventInfo | None = None  # a pending NMI on the NMI pin (latched, one deep)

    # -- VM entry (SDM ch. 27) ---------------------------------------------------------------
    def vmentry(self, vmcs: Vmcs, guest: Context, launch: bool, level: str,
                views: Views = ()) -> int | None:
        """VMLAUNCH/VMRESUME: returns a VM-instruction error (VMfailValid) or None."""
        error = vm_entry_error(vmcs, launch, self.caps)
        if error is not None:
            vmcs.vm_instruction_error = error
            return error
        vmcs.launched = True
        vmcs.load_guest(guest)
        self.running = guest.level  # VMX non-root operation
        data = {"vmcs": vmcs.name, "to": guest.level, "rip": rip(guest),
                "inject": vmcs.entry_intr_info and vmcs.entry_intr_info.to_json()}
        if vmcs.preemption_timer_zero:
            data["immediate_exit"] = True
        self.trace.add(level, Kind.VMENTRY, "VMLAUNCH" if launch else "VMRESUME",
                       f"checks passed; enter {guest.level} with {vmcs.name}", data, views)
        return None

    @staticmethod
    def error_text(error: int) -> str:
        return f"VMfailValid, VM-instruction error {error} ({VMX_ERROR_TEXT[error]})"

    # -- VMX non-root operation (SDM ch. 26) -------------------------------------------------------
    def run(self, vmcs: Vmcs, guest: Context) -> VmExit:
        """Run `guest` under `vmcs` from a successful VM entry until the next VM exit."""
        guest.resume()
        injected = vmcs.entry_intr_info
        if injected is not None:
            # Event injection completes the VM entry, before any instruction (SDM 27.6).
            vmcs.entry_intr_info = None
            exit_ = self.deliver(vmcs, guest, injected, "VM-entry event injection")
            if exit_:
                return exit_
        if vmcs.preemption_timer_zero:
            vmcs.preemption_timer_zero = False
            return self.vmexit(vmcs, guest, ExitReason.PREEMPTION_TIMER,
                               why="VMX-preemption timer was 0 at VM entry: immediate exit")
        self.in_guest = True
        # Bound once: most of a run's instructions go round this loop.
        apic, fetch, execute_simple, retired = (self.apic, guest.fetch, guest.execute_simple,
                                                self.world.retired)
        try:
            while True:
                # Only a window request, a requested interrupt or HLT can stop the guest at
                # a boundary: test those cheaply before the full priority check.
                if vmcs.interrupt_window_exiting or apic.irr or guest.activity == HLT or \
                        self.nmi or vmcs.nmi_window_exiting:
                    exit_ = self._boundary(vmcs, guest)
                    if exit_ is DELIVERED:
                        continue  # the handler's first instruction is a new boundary
                    if exit_:
                        return exit_
                instr = fetch()
                if instr in SIMPLE:
                    execute_simple(instr)
                    retired(guest, instr)
                    continue
                exit_ = self._execute(vmcs, guest, instr)
                if exit_:
                    return exit_
        finally:
            self.in_guest = False

    def _boundary(self, vmcs: Vmcs, guest: Context) -> VmExit | object | None:
        """Events recognised at an instruction boundary, by priority (SDM 6.9, 26.7.5):
        NMI-window exits, NMIs, interrupt-window exits, then external interrupts."""
        # This processor is one of those that also hold off NMIs - and NMI-window exits - while
        # blocking by STI is in effect (SDM 25.4.2, 26.7.6: "a logical processor may also
        # prevent such a VM exit if there is blocking of events by STI"); KVM's
        # vmx_nmi_blocked() assumes the same.
        if vmcs.nmi_window_exiting and not guest.nmi_blocking and not guest.sti_blocking:
            wake(guest)
            return self.vmexit(vmcs, guest, ExitReason.NMI_WINDOW,
                               why="NMI-window exiting and no virtual-NMI blocking")
        if self.nmi is not None:
            ev, self.nmi = self.nmi, None
            if vmcs.nmi_exiting:
                # The NMI exits whatever the guest's blocking; NMIs are blocked in the host
                # "only after the VM exit completes" (SDM 26.2, 28.5).
                exit_ = self.vmexit(vmcs, guest, ExitReason.EXCEPTION_NMI, intr_info=ev,
                                    why="NMI exiting: the NMI causes a VM exit")
                self.nmi_blocked_after_exit = True
                return exit_
            if not guest.nmi_blocking and not guest.sti_blocking:
                return self.deliver(vmcs, guest, ev, "NMI, NMI exiting = 0: through the "
                                    "guest's IDT, vector 2") or DELIVERED
            self.nmi = ev  # blocked by NMI: stays latched
        if vmcs.interrupt_window_exiting and not guest.interrupts_blocked:
            wake(guest)
            return self.vmexit(vmcs, guest, ExitReason.INTERRUPT_WINDOW,
                               why="interrupt-window exiting and the guest can take "
                                   "interrupts (IF = 1, no STI blocking)")
        if self.apic.irr and self.apic.has_interrupt():
            if vmcs.external_interrupt_exiting:
                return self._external_interrupt_exit(vmcs, guest)
            if not guest.interrupts_blocked:
                vector, ids = self.apic.ack()
                ev = EventInfo(vector, ids=tuple(ids), source=self.apic)
                return self.deliver(vmcs, guest, ev, "external interrupt, external-interrupt "
                                    "exiting = 0: through the guest's IDT") or DELIVERED
        if guest.activity == HLT:
            raise Idle(f"{guest.level} is halted in VMX non-root operation and no event is "
                       "pending")
        return None

    def _external_interrupt_exit(self, vmcs: Vmcs, guest: Context) -> VmExit:
        # With external-interrupt exiting the interrupt causes a VM exit whatever the guest's
        # RFLAGS.IF (SDM 26.2).  Whether blocking by STI or MOV SS holds such an exit off is
        # implementation-specific (SDM ch. 26, "Event Blocking"): this processor does not
        # let it, as KVM's vmx_interrupt_blocked() assumes for L2 when L1 exits on
        # interrupts.  Acknowledge only if "acknowledge interrupt on exit".
        if vmcs.ack_interrupt_on_exit:
            vector, ids = self.apic.ack()
            self.trace.add("HW", Kind.APIC, "acknowledge", f"acknowledge interrupt on exit: "
                           f"{self.apic.name} IRR→ISR 0x{vector:02x}", {"vector": vector})
            return self.vmexit(vmcs, guest, ExitReason.EXTERNAL_INTERRUPT,
                               intr_info=EventInfo(vector, ids=tuple(ids), source=self.apic),
                               why="external-interrupt exiting: the interrupt exits whatever "
                                   "the guest's IF; acknowledged, vector in the exit")
        return self.vmexit(vmcs, guest, ExitReason.EXTERNAL_INTERRUPT,
                           why="external-interrupt exiting: the interrupt exits whatever the "
                               "guest's IF; not acknowledged, it stays pending in the APIC")

    def _execute(self, vmcs: Vmcs, guest: Context, instr: str) -> VmExit | None:
        if instr == "iret":
            # "If the 'NMI exiting' VM-execution control is 1, IRET does not affect blocking
            # of NMIs.  If, in addition, the 'virtual NMIs' VM-execution control is 1, ...
            # IRET removes any virtual-NMI blocking" (SDM 26.3, "IRET").
            self._iret(guest, unblock_nmi=not vmcs.nmi_exiting or vmcs.virtual_nmis)
            return None
        if instr == "eoi":
            return self._eoi(vmcs, guest)
        if instr == "hlt":
            if vmcs.hlt_exiting and not guest.at_end:
                return self._instruction_exit(vmcs, guest, instr, ExitReason.HLT, "HLT exiting")
            self._hlt(guest, "activity state HLT until an event")
            return None
        if instr == "vmcall":
            return self._instruction_exit(vmcs, guest, instr, ExitReason.VMCALL,
                                          "VMCALL always exits in VMX non-root operation")
        # vmlaunch/vmresume in VMX non-root operation always exit (SDM 26.1.2).
        if guest.on_vmx_instruction and not guest.on_vmx_instruction(instr):
            return None  # L1's software idles instead (l1.py): its HLT comes next
        reason = ExitReason.VMLAUNCH if instr == "vmlaunch" else ExitReason.VMRESUME
        return self.vmexit(vmcs, guest, reason,
                           why=f"{instr.upper()} always exits in VMX non-root operation")

    def _instruction_exit(self, vmcs, guest, instr, reason, why) -> VmExit:
        # The exit happens instead of the instruction: guest RIP still points at it, and the
        # hypervisor that handles the exit skips it (see L1Hypervisor.before_entry).
        return self.vmexit(vmcs, guest, reason, why=why)

    def _eoi(self, vmcs: Vmcs, guest: Context) -> VmExit | None:
        apic = guest.in_service[-1][0] if guest.in_service else None
        if apic is not None and vmcs.intercept_eoi and apic.owner == "L0":
            # A write to the x2APIC EOI MSR of an APIC that L0 emulates exits to L0.
            return self.vmexit(vmcs, guest, ExitReason.MSR_WRITE, qualification="x2APIC EOI",
                               why="the MSR bitmap intercepts the x2APIC EOI register")
        self._eoi_write(guest)
        return None

    # -- an instruction's own effect, where nothing intercepts it (both VMX operations) ---------
    def _hlt(self, ctx: Context, why: str) -> None:
        ctx.halt()
        self.world.retired(ctx, "hlt")
        self.trace.add(ctx.level, Kind.HALT, "HLT", why)

    def _iret(self, ctx: Context, unblock_nmi: bool = True) -> None:
        ctx.iret(unblock_nmi=unblock_nmi)
        self.world.retired(ctx, "iret")

    def _eoi_write(self, ctx: Context) -> None:
        eoi(self.trace, ctx)
        ctx.retire("eoi")
        self.world.retired(ctx, "eoi")

    # -- event delivery through the guest's IDT ------------------------------------------------
    def deliver(self, vmcs: Vmcs, guest: Context, ev: EventInfo, why: str) -> VmExit | None:
        owner = self.world.idt_fault_owner(guest, vmcs)
        if owner:
            # Delivery itself faults (the handler's page is missing in an EPT): the exit
            # records the event in the IDT-vectoring information (SDM 28.2.4).
            return self.vmexit(vmcs, guest, ExitReason.EPT_VIOLATION, idt_vectoring=ev,
                               qualification=f"{guest.level}'s IDT handler not mapped in "
                                             f"{owner}'s EPT",
                               why=f"delivering {ev} faulted: EPT violation during delivery")
        self.world.delivered(guest, ev, why)
        return None

    # -- VM exit (SDM ch. 28) --------------------------------------------------------------------
    # Set by an NMI-induced exit; the host's NMI blocking starts once its state is loaded.
    nmi_blocked_after_exit = False

    def vmexit(self, vmcs: Vmcs, guest: Context, reason: ExitReason, *, why: str,
               intr_info: EventInfo | None = None, idt_vectoring: EventInfo | None = None,
               qualification: str = "") -> VmExit:
        self.in_guest = False
        self.running = self.host  # back in VMX root operation
        self.trace.stale = True
        vmcs.save_guest(guest)
        vmcs.exit_reason = reason
        vmcs.exit_intr_info = intr_info
        vmcs.idt_vectoring_info = idt_vectoring
        vmcs.exit_qualification = qualification
        vmcs.entry_intr_info = None  # the valid bit is cleared on every VM exit (SDM 28.2.3)
        self.world.hw_vmexit(vmcs, guest, reason, why)
        return VmExit(reason, vmcs)

    # -- VMX root operation (bare metal only: L1 is the host) ------------------------------------
    def run_root(self, host: Context) -> str:
        """Run `host` until it executes VMLAUNCH or VMRESUME; returns which."""
        host.resume()
        while True:
            if self.nmi is not None and not host.nmi_blocking and not host.sti_blocking:
                ev, self.nmi = self.nmi, None
                self.world.delivered(host, ev, "NMI: through the host's IDT, vector 2")
                continue
            if self.apic.irr and not host.interrupts_blocked and self.apic.has_interrupt():
                vector, ids = self.apic.ack()
                ev = EventInfo(vector, ids=tuple(ids), source=self.apic)
                self.world.delivered(host, ev, "external interrupt, IF = 1: through the "
                                     "host's IDT")
                continue
            # The HLT activity state holds before any instruction, VMLAUNCH/VMRESUME
            # included: only an event wakes the processor (SDM 6.10 "HLT", 26.6.2).
            if host.activity == HLT:
                raise Idle(f"{host.level} is halted with no event pending")
            instr = host.fetch()
            if instr in ("vmlaunch", "vmresume"):
                if host.on_vmx_instruction and not host.on_vmx_instruction(instr):
                    continue  # L1's software idles instead (l1.py): its HLT comes next
                return instr
            # The same instructions as in VMX non-root operation (_execute), with nothing to
            # intercept them.
            if instr == "hlt":
                self._hlt(host, "activity state HLT until an interrupt")
            elif instr == "iret":
                self._iret(host)
            elif instr == "eoi":
                self._eoi_write(host)
            elif instr == "vmcall":
                # VMCALL in VMX root operation outside SMM fails (VMfailInvalid, SDM 31.3).
                host.retire(instr)
                self.world.retired(host, instr)
            else:
                host.execute_simple(instr)
                self.world.retired(host, instr)


def wake(guest: Context) -> None:
    """A window exit wakes a halted guest before it exits, so the exit saves the active
    state: interrupt-window and NMI-window exits wake the processor from HLT (SDM 26.7.5,
    26.7.6; after VM entry, "VM exits caused by this control wake the logical processor if
    it just entered the HLT state because of a VM entry", SDM 27.7.5, 27.7.6) - unlike an
    event that causes a VM exit directly, after which "a return to the active state occurs
    only after the VM exit completes" (SDM 28.1).  kvm-unit-tests expects the same
    (x86/vmx_tests.c, verify_intr_window_exit() and verify_nmi_window_exit(): activity
    state 'ACTIVE')."""
    guest.activity = ACTIVE
    guest.trace.stale = True


def vm_entry_error(vmcs: Vmcs, launch: bool, caps: frozenset[str]) -> int | None:
    """The VM-instruction error VMLAUNCH/VMRESUME fails with (VMfailValid), or None: the
    launch state first (the instructions' operation in the SDM), then the VM-execution
    controls (SDM 27.2.1.1).  The processor makes these checks on bare metal; L0 makes them
    for L1's vmcs12 against the capabilities it offers (nested_vmx_run)."""
    if launch and vmcs.launched:
        return VMXERR_VMLAUNCH_NONCLEAR_VMCS
    if not launch and not vmcs.launched:
        return VMXERR_VMRESUME_NONLAUNCHED_VMCS
    if invalid_controls(vmcs, caps):
        return VMXERR_ENTRY_INVALID_CONTROL_FIELD
    return None


def invalid_controls(vmcs: Vmcs, caps: frozenset[str]) -> bool:
    """VM-entry checks on the VM-execution controls (SDM 27.2.1.1): each control must be
    allowed by the capability MSRs, and the NMI controls must be consistent."""
    # At every emulated VM entry: the controls outside `caps` read one by one, no dict built.
    if caps is not ALL_CONTROLS and any(getattr(vmcs, c) for c in CONTROLS if c not in caps):
        return True
    # "If the 'NMI exiting' VM-execution control is 0, the 'virtual NMIs' VM-execution
    # control must be 0.  If the 'virtual NMIs' VM-execution control is 0, the 'NMI-window
    # exiting' VM-execution control must be 0."
    return (vmcs.virtual_nmis and not vmcs.nmi_exiting) or (
        vmcs.nmi_window_exiting and not vmcs.virtual_nmis)


def eoi(trace, guest: Context) -> None:
    """EOI: clear the highest in-service vector of the APIC that delivered it (SDM 11.8.5)."""
    if not guest.in_service:
        trace.add(guest.level, Kind.APIC, "EOI", "no interrupt in service: ignored")
        return
    apic, _ = guest.in_service.pop()
    vector = apic.eoi()
    if vector is None:
        trace.add(guest.level, Kind.APIC, "EOI", f"{apic.name}: nothing in service: ignored")
        return
    trace.add(guest.level, Kind.APIC, "EOI", f"{apic.name}: ISR 0x{vector:02x} cleared",
              {"apic": apic.name, "vector": vector})
