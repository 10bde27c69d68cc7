"""The architectural state of one guest level's instruction stream.

A level (L1 or L2) runs little programs: `program`, `exit_handler` (L1), `irq_handler` and
`nmi_handler`.  This is its RIP (stream + pc), RFLAGS.IF, interruptibility state (blocking by
STI, blocking by NMI), activity state and the frames that IRET returns to.
"""

from __future__ import annotations

from .lapic import Lapic
from .vmx import ACTIVE, HLT


class _Unrecorded:
    """Where a context outside a run (a test of the hardware alone) reports its changes."""

    stale = False


class Context:
    # The trace whose recorded vCPU state (vcpu.py) each change of this context makes stale.
    trace = _Unrecorded()

    def __init__(self, level: str, programs: dict[str, list[str]], rflags_if: bool,
                 repeat: bool):
        self.level = level
        self.programs = programs
        self.repeat = repeat  # L2's program repeats forever; L1's runs once
        self.stream = "program"
        self.pc = 0
        self.rflags_if = rflags_if
        self.sti_blocking = False  # interruptibility bit 0: blocking by STI (SDM 25.4.2)
        self.nmi_blocking = False  # interruptibility bit 3: blocking by NMI
        self.activity = ACTIVE
        # L1's software blocked a vCPU and idles (sti; hlt) where RIP points: the next
        # instruction is that HLT, and RIP stays at the VMRESUME it will check again (l1.py).
        self.idle = False
        self.frames: list[tuple[str, int, bool]] = []  # what IRET pops: stream, pc, IF
        self.in_service: list[tuple[Lapic, int]] = []  # whose ISR an EOI clears
        self.retired = 0
        # L1's software runs here just before VMLAUNCH/VMRESUME, and after each VM exit.
        self.on_vmx_instruction = None
        self.on_vmexit = None
        self.exit_work_pending = False  # an exit happened; its handler has not run yet

    # -- fetch -------------------------------------------------------------------------------
    def fetch(self) -> str:
        """The instruction at RIP.  Falling off the end of a stream behaves like HLT (but
        retires nothing)."""
        if self.idle:
            return "hlt"
        prog = self.programs[self.stream]
        if self.pc >= len(prog):
            if self.repeat and self.stream == "program":
                self.pc = 0
            else:
                return "hlt"
        return prog[self.pc]

    @property
    def at_end(self) -> bool:
        return self.pc >= len(self.programs[self.stream]) and not (
            self.repeat and self.stream == "program")

    @property
    def interrupts_blocked(self) -> bool:
        """RFLAGS.IF = 0 or blocking by STI: a maskable interrupt is not recognised."""
        return not self.rflags_if or self.sti_blocking

    def where(self) -> str:
        return f"{self.stream}[{self.pc}]"

    # -- architectural transitions --------------------------------------------------------------
    def retire(self, instr: str) -> None:
        """Complete an instruction other than STI: advance RIP, count it, and end blocking
        by STI (SDM 6.8.3)."""
        if not self.at_end:
            self.pc += 1
        self.retired += 1
        if self.sti_blocking:
            self.sti_blocking = False
            self.trace.stale = True

    def execute_simple(self, instr: str) -> None:
        """nop, cli, sti: the instructions whose effect is purely on this context.  They
        exist in the stream (fetch returned them), so RIP simply advances."""
        self.pc += 1
        self.retired += 1
        if instr == "sti":
            # STI blocks interrupts for one instruction only when it changes IF from 0 to 1.
            self.sti_blocking = not self.rflags_if
            self.rflags_if = True
            self.trace.stale = True
            return
        if self.sti_blocking or instr == "cli":
            self.trace.stale = True
        self.sti_blocking = False
        if instr == "cli":
            self.rflags_if = False

    def halt(self) -> None:
        """HLT completes (it counts as retired) and the level waits in the HLT activity state,
        RIP already past the HLT.  Falling off the end of a stream halts without retiring.
        The idle loop's HLT retires and leaves RIP where the idle loop was entered."""
        if self.idle:
            self.idle = False
            self.retired += 1
        elif not self.at_end:
            self.pc += 1
            self.retired += 1
        self.sti_blocking = False
        self.activity = HLT
        self.trace.stale = True

    def idle_loop(self) -> None:
        """sti; hlt where RIP points, as an idle loop does (safe_halt()): IF = 1, blocking by
        STI only if IF was 0 (SDM 6.8.3), and the next instruction is the HLT."""
        self.sti_blocking = not self.rflags_if
        self.rflags_if = True
        self.idle = True
        self.trace.stale = True

    def deliver(self, vector: int, apic: Lapic | None, nmi: bool = False) -> None:
        """Deliver an event through this level's IDT (interrupt gate): push, IF = 0, jump."""
        self.activity = ACTIVE  # an event wakes the level from HLT
        self.idle = False  # after the handler, the idle loop's caller checks again
        self.trace.stale = True
        self.frames.append((self.stream, self.pc, self.rflags_if))
        self.rflags_if = False
        self.sti_blocking = False
        if nmi:
            self.nmi_blocking = True
            self.stream = "nmi_handler"
        else:
            self.stream = "irq_handler"
            if apic is not None:
                self.in_service.append((apic, vector))
        self.pc = 0

    def iret(self, unblock_nmi: bool = True) -> None:
        """`unblock_nmi`: False in VMX non-root operation with NMI exiting and no virtual
        NMIs, where IRET leaves NMI blocking alone (SDM 26.3)."""
        if self.stream == "nmi_handler" and unblock_nmi:
            self.nmi_blocking = False  # IRET unblocks NMIs (SDM 6.7.1)
        if self.frames:
            self.stream, self.pc, self.rflags_if = self.frames.pop()
        else:
            self.pc += 1
        self.retired += 1
        self.sti_blocking = False
        self.trace.stale = True

    def load_host_state(self, block_nmi: bool = False) -> None:
        """VM exit: RIP = exit handler, RFLAGS = 0x2 (IF = 0), no blocking by STI (SDM 28.5.3).
        After an NMI-induced exit, NMIs are blocked in the host (SDM 28.5)."""
        if block_nmi:
            self.nmi_blocking = True
        self.stream = "exit_handler"
        self.pc = 0
        self.rflags_if = False
        self.sti_blocking = False
        self.activity = ACTIVE
        self.frames.clear()
        self.trace.stale = True
        self.exit_work_pending = self.on_vmexit is not None

    def resume(self) -> None:
        """The level runs again: first, the software that reads the last exit's information."""
        if self.exit_work_pending:
            self.exit_work_pending = False
            self.on_vmexit()
