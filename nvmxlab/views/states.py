"""The vCPU's state after every step of a run, read back from the trace.

The engine records steps, not states; the state graph, the "who runs" bars and the step text
need states ("L1 exit handler, IF = 0", "L0 handles an exit from L2").  This replays the
events with the few rules a learner would use, so it depends only on the trace.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..result import Result
from ..trace import Event
from .classify import VMCS_GUEST, is_nmi

NMI = ":nmi"  # suffix of a VMCS name in `windows` for its NMI window


@dataclass(frozen=True)
class StepState:
    label: str  # the state, as the state graph names it
    running: str  # the level executing: "L0", "L1" or "L2"
    windows: frozenset[str]  # VMCSes with interrupt-window exiting on ("vmcs12:nmi": NMI window)
    interrupts_off: bool = False  # the guest level running has RFLAGS.IF = 0


@dataclass
class _Level:
    """What one guest level is doing: its code stream and RFLAGS.IF."""

    mode: str
    rflags_if: bool
    stack: list[tuple[str, bool]] = field(default_factory=list)  # what IRET returns to

    def interrupt(self) -> None:
        self.stack.append((self.mode, self.rflags_if))
        self.mode, self.rflags_if = "IRQ handler", False

    def iret(self) -> None:
        if self.stack:
            self.mode, self.rflags_if = self.stack.pop()
            if self.mode == "halted":
                self.mode = "running"  # an interrupt ends the HLT state


class Tracker:
    def __init__(self, nested: bool, l2_if: bool):
        self.nested = nested
        self.running = "L0" if nested else "L1"
        self.l1 = _Level("program", True)
        self.l2 = _Level("running", l2_if)
        self.windows: set[str] = set()
        self.l0_task = "starts the vCPU"
        self.exit_vmcs = ""
        self.exit_from = "L1"
        self.previous_kind = ""

    def level(self, name: str) -> _Level:
        return self.l1 if name == "L1" else self.l2

    # -- one event ----------------------------------------------------------------------------
    def feed(self, e: Event) -> StepState:
        handler = getattr(self, f"_on_{e.kind}", None)
        if handler is not None:
            handler(e, e.data or {})
        self.previous_kind = e.kind
        off = self.running in ("L1", "L2") and not self.level(self.running).rflags_if
        return StepState(self.label(), self.running, frozenset(self.windows), off)

    def _on_vmexit(self, e: Event, d: dict) -> None:
        self.exit_vmcs, self.exit_from = d.get("vmcs", ""), d.get("from", "L2")
        if d.get("reason") == "INTERRUPT_WINDOW":
            self.windows.discard(self.exit_vmcs)
        elif d.get("reason") == "NMI_WINDOW":
            self.windows.discard(self.exit_vmcs + NMI)
        if self.exit_vmcs == "vmcs12":  # bare metal: L1 handles the exit itself
            self._enter_exit_handler()
        else:
            self.running, self.l0_task = "L0", f"handles an exit from {self.exit_from}"

    def _enter_exit_handler(self) -> None:
        # A VM exit loads the host's RFLAGS (0x2): L1 runs its exit handler with IF = 0.
        self.running = "L1"
        self.l1.mode, self.l1.rflags_if, self.l1.stack = "exit handler", False, []

    def _on_nested_vmexit(self, e: Event, d: dict) -> None:
        self._enter_exit_handler()
        self.running, self.l0_task = "L0", "emulates an exit to L1"
        self.windows -= {"vmcs02", "vmcs02" + NMI}
        # The window exit L1 asked for in vmcs12 reaches L1: its window has done its job.
        closed = {"INTERRUPT_WINDOW": "vmcs12", "NMI_WINDOW": "vmcs12" + NMI}
        self.windows.discard(closed.get(d.get("reason"), ""))

    def _on_nested_vmenter(self, e: Event, d: dict) -> None:
        self.l0_task = "emulates VMLAUNCH/VMRESUME (nested_run_pending)"

    def _on_vmentry(self, e: Event, d: dict) -> None:
        self.running = d.get("to") or VMCS_GUEST.get(d.get("vmcs", ""), "L2")

    def _on_vmfail(self, e: Event, d: dict) -> None:
        self.running = "L1"

    def _on_retire(self, e: Event, d: dict) -> None:
        if e.level not in ("L1", "L2"):
            return
        if self.previous_kind == "skip":
            # L1 skipped an instruction of L2 that it emulated (VMCALL, HLT): L2 does not run,
            # and a skipped HLT does not halt it.
            return
        self.running = e.level
        level = self.level(e.level)
        if e.name in ("sti", "cli"):
            level.rflags_if = e.name == "sti"
        elif e.name == "iret":
            level.iret()
        elif e.name == "hlt":
            level.mode = "halted"

    def _on_deliver(self, e: Event, d: dict) -> None:
        if e.level in ("L1", "L2"):
            self.running = e.level
            self.level(e.level).interrupt()

    def _on_halt(self, e: Event, d: dict) -> None:
        halted = self.exit_from if e.level == "L0" else e.level
        if halted in ("L1", "L2"):
            self.level(halted).mode = "halted"
        if e.level == "L0":
            self.l0_task = "blocks the halted vCPU"

    def _on_window(self, e: Event, d: dict) -> None:
        suffix = NMI if is_nmi(e) else ""
        if e.name.startswith("handle_"):  # handle_interrupt_window, handle_nmi_window
            self.windows.discard(self.exit_vmcs + suffix)
        elif d.get("vmcs"):
            self.windows.add(d["vmcs"] + suffix)
        elif str(d.get("field", "")).startswith("vmcs12"):
            self.windows.add("vmcs12" + suffix)

    # -- the state's name ---------------------------------------------------------------------
    def label(self) -> str:
        if self.running == "L0":
            return f"L0 {self.l0_task}"
        if self.running == "L1":
            return self._l1_label() + self._window_note(("vmcs01",))
        return self._l2_label() + self._window_note(("vmcs02", "vmcs12"))

    def _window_note(self, vmcses: tuple[str, ...]) -> str:
        note = ""
        if any(v in self.windows for v in vmcses):
            note += " · window open"
        if any(v + NMI in self.windows for v in vmcses):
            note += " · NMI window open"
        return note

    def _l1_label(self) -> str:
        mode = self.l1.mode
        if mode == "exit handler":
            return f"L1 exit handler, IF = {int(self.l1.rflags_if)}"
        return {"program": "L1 runs (before VMLAUNCH)", "IRQ handler": "L1 IRQ handler",
                "halted": "L1 halted"}.get(mode, f"L1 {mode}")

    def _l2_label(self) -> str:
        mode = self.l2.mode
        if mode == "running":
            return "L2 runs" + ("" if self.l2.rflags_if else ", IF = 0")
        return {"IRQ handler": "L2 IRQ handler", "halted": "L2 halted (HLT)"}.get(mode,
                                                                               f"L2 {mode}")


def step_states(result: Result, limit: int | None = None) -> tuple[StepState, ...]:
    """The state after each event of `result` (the first `limit` events)."""
    tracker = Tracker(result.mode == "nested", bool(result.scenario.l2.get("rflags_if", True)))
    events = result.events if limit is None else result.events[:limit]
    return tuple(tracker.feed(e) for e in events)
