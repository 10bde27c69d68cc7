"""Compact, readable forms of what L1 and L2 observe, for tests that pin them."""

from __future__ import annotations


def short(o: dict) -> str:
    """'exit EXTERNAL_INTERRUPT @3', 'exit EXTERNAL_INTERRUPT 0x30 @3', 'irq 0x30', 'entry',
    'vmfail 7'; an exit adds 'idt 0x40' for valid IDT-vectoring info and 'hlt' for a halted L2."""
    kind = o["kind"]
    if kind == "vmexit":
        parts = ["exit", o["reason"]]
        if o["intr_info"]:
            parts.append(f"0x{o['intr_info']['vector']:02x}")
        if o["idt_vectoring"]:
            parts.append(f"idt 0x{o['idt_vectoring']['vector']:02x}")
        if o["guest_activity_state"] == "hlt":
            parts.append("hlt")
        parts.append(f"@{o['l2_retired']}")
        return " ".join(parts)
    if kind == "irq":
        return f"irq 0x{o['vector']:02x}"
    if kind == "vmfail":
        return f"vmfail {o['error']}"
    return kind


def shorts(view: list[dict]) -> list[str]:
    return [short(o) for o in view]


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
