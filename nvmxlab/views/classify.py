"""How each trace event is drawn: its category, the lane of its mark, and its arrow.

Every event becomes exactly one mark.  A transition (an exit, an entry, an injection, a kick, a
failed entry) also gets one arrow, from the lane where it starts to the mark, which sits where
it lands.  Kinds this module does not know yet are still drawn, as a plain step on their own
lane, so new engine events never vanish from the diagram.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..trace import Event, Kind

KEY_INSTRUCTIONS = ("sti", "cli", "eoi", "iret", "hlt")
# Which level a VMCS runs, and which level is its host (who handles its exits).
VMCS_GUEST = {"vmcs01": "L1", "vmcs02": "L2", "vmcs12": "L2"}
VMCS_HOST = {"vmcs01": "L0", "vmcs02": "L0", "vmcs12": "L1"}


@dataclass(frozen=True)
class Mark:
    category: str
    lane: str  # where the mark is drawn
    source: str | None = None  # the arrow starts on this lane (None: no arrow)
    label: str = ""  # short text drawn next to the mark

    @property
    def has_arrow(self) -> bool:
        return self.source is not None and self.source != self.lane


def _data(e: Event) -> dict:
    return e.data or {}


def _vector(value: object) -> str:
    return f"0x{value:02x}" if isinstance(value, int) else "?"


def _vmexit(e: Event) -> Mark:
    d = _data(e)
    vmcs = d.get("vmcs", "")
    source = d.get("from") or VMCS_GUEST.get(vmcs, "L2")
    return Mark("exit", VMCS_HOST.get(vmcs, "L0"), source, str(d.get("reason", e.name)))


def _vmentry(e: Event) -> Mark:
    d = _data(e)
    vmcs = d.get("vmcs", "")
    target = d.get("to") or VMCS_GUEST.get(vmcs, "L2")
    return Mark("entry", target, VMCS_HOST.get(vmcs, e.level))


def _inject(e: Event) -> Mark:
    d = _data(e)
    target = VMCS_GUEST.get(d.get("vmcs", ""))
    if target is None and str(d.get("field", "")).startswith("vmcs12"):
        target = "L2"
    if target is None:
        return Mark("inject", e.level, label=_vector_label(e, "inject"))
    return Mark("inject", target, e.level, _vector_label(e, "inject"))


def _retire(e: Event) -> Mark:
    if e.name in KEY_INSTRUCTIONS:
        return Mark("key_instr", e.level, label=e.name.upper())
    return Mark("instr", e.level)


def is_nmi(e: Event) -> bool:
    """Does `e` concern an NMI rather than a maskable interrupt?"""
    d = _data(e)
    return d.get("type") == "nmi" or "nmi" in e.name.lower() or "NMI" in str(d.get("field", ""))


def _window(e: Event) -> Mark:
    if "enable" not in e.name:
        return Mark("window", e.level)
    return Mark("window", e.level, label="NMI window" if is_nmi(e) else "window")


def _vector_label(e: Event, verb: str) -> str:
    return f"{verb} NMI" if is_nmi(e) else f"{verb} {_vector(_data(e).get('vector'))}"


def _kick(e: Event) -> Mark:
    if _data(e).get("vector") is not None:
        return Mark("source", "HW", e.level, "kick IPI")
    return Mark("source", e.level, label="wake")


def _vmfail(e: Event) -> Mark:
    return Mark("fail", "L1", e.level, f"VMfailValid {_data(e).get('error', '?')}")


def _apic(e: Event) -> Mark:
    # Unlabelled: the EOI instruction that causes an APIC EOI step is labelled already.
    return Mark("apic", e.level)


_BY_KIND = {
    Kind.VMEXIT: _vmexit,
    Kind.VMENTRY: _vmentry,
    Kind.NESTED_VMEXIT: lambda e: Mark("exit_emulated", "L1", "L2",
                                       str(_data(e).get("reason", e.name))),
    Kind.NESTED_VMENTER: lambda e: Mark("entry_emulated", "L2", "L1"),
    Kind.ENTERED: lambda e: Mark("entry_emulated", e.level),
    Kind.INJECT: _inject,
    Kind.DELIVER: lambda e: Mark("deliver", e.level, label=_vector_label(e, "IDT")),
    Kind.WINDOW: _window,
    Kind.RAISE: lambda e: Mark("source", "HW", label=_vector_label(e, "raise")),
    Kind.NMI: lambda e: Mark("apic", e.level, label="NMI pending"),
    Kind.KICK: _kick,
    Kind.APIC: _apic,
    Kind.RETIRE: _retire,
    Kind.HALT: lambda e: Mark("key_instr", e.level, label="halted"),
    Kind.VMFAIL: _vmfail,
}


def classify(e: Event) -> Mark:
    """The mark (and arrow) that draws `e`."""
    handler = _BY_KIND.get(e.kind)
    return handler(e) if handler else Mark("step", e.level)
