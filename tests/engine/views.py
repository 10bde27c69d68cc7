"""Observations as the tests write them: short constructors for the typed observations of
nvmxlab.observations (what L1 and L2 see), and L0's steps by name."""

from __future__ import annotations

from nvmxlab.observations import (
    ENTRY,
    VIA_EXIT,
    VIA_IDT,
    Observation,
    ObservedExit,
    ObservedInterrupt,
    ObservedNmi,
    ObservedVmFail,
)
from nvmxlab.vmx import ACTIVE, HLT, NMI_VECTOR, EventInfo, ExitReason

__all__ = ["ENTRY", "VIA_EXIT", "exit_", "exit_reasons", "irq", "l0_steps", "nmi", "nmis",
           "vmfail"]


def exit_(reason: str, at: int, *, vector: int | None = None, idt: int | None = None,
          hlt: bool = False) -> ObservedExit:
    """An exit L1 reads from vmcs12 after L2 retired `at` instructions: `vector` in the VM-exit
    interruption information (an NMI's for EXCEPTION_NMI), `idt` an external interrupt in the
    IDT-vectoring information, `hlt` for L2 halted."""
    kind = "nmi" if reason == "EXCEPTION_NMI" else "external"
    return ObservedExit(ExitReason[reason],
                        None if vector is None else EventInfo(vector, kind),
                        None if idt is None else EventInfo(idt),
                        HLT if hlt else ACTIVE, at)


def irq(vector: int, via: str = VIA_IDT) -> ObservedInterrupt:
    return ObservedInterrupt(vector, via)


def nmi(via: str = VIA_IDT) -> ObservedNmi:
    return ObservedNmi(NMI_VECTOR, via)


def vmfail(error: int) -> ObservedVmFail:
    return ObservedVmFail(error)


def exit_reasons(view: list[Observation]) -> list[str]:
    """The reasons of the exits in a view, in order."""
    return [o.exit_reason.name for o in view if isinstance(o, ObservedExit)]


def nmis(view: list[Observation]) -> int:
    """How many NMIs a level took (through its IDT or in an exit)."""
    return sum(isinstance(o, ObservedNmi) for o in view)


def l0_steps(result, *names: str) -> list[str]:
    """The names of L0's steps (and hardware exits, as 'vmexit REASON on vmcsNN'), filtered."""
    out = []
    for e in result.events:
        if e.kind == "vmexit":
            label = f"vmexit {e.name} on {e.data['vmcs']}"
        elif e.level == "L0":
            label = e.name
        else:
            continue
        if not names or any(label.startswith(n) for n in names):
            out.append(label)
    return out
