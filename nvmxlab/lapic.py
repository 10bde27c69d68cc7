"""A local APIC reduced to what interrupt delivery needs: IRR, ISR, priority and EOI
(SDM Vol. 3A 11.8)."""

from __future__ import annotations


class Lapic:
    """IRR and ISR as dicts vector -> raise ids.

    Raising a vector that is already requested sets the same IRR bit again: the requests
    coalesce (SDM 11.8.4), so one delivery serves every raise id it carries.
    """

    def __init__(self, name: str, owner: str):
        self.name = name
        self.owner = owner  # who implements it: "HW", or the level that emulates it ("L0", "L1")
        self.irr: dict[int, list[int]] = {}
        self.isr: dict[int, list[int]] = {}

    def set_irr(self, vector: int, raise_id: int) -> bool:
        """Request `vector`; returns False when it coalesced with a pending request."""
        ids = self.irr.get(vector)
        if ids is None:
            self.irr[vector] = [raise_id]
            return True
        ids.append(raise_id)
        return False

    def _ppr_class(self) -> int:
        return max(self.isr) >> 4 if self.isr else -1

    def highest_irr(self) -> int | None:
        """The vector the APIC would present to the processor now, if any (SDM 11.8.3.1)."""
        if not self.irr:
            return None
        vector = max(self.irr)
        return vector if vector >> 4 > self._ppr_class() else None

    def has_interrupt(self) -> bool:
        # Asked at most steps of L0's event loop, nearly always with an empty IRR.
        return bool(self.irr) and self.highest_irr() is not None

    def ack(self) -> tuple[int, list[int]]:
        """INTA: move the highest deliverable vector from IRR to ISR (kvm_cpu_get_interrupt)."""
        vector = self.highest_irr()
        assert vector is not None, "ack with nothing deliverable"
        ids = self.irr.pop(vector)
        self.isr[vector] = ids
        return vector, ids

    def eoi(self) -> int | None:
        """Clear the highest in-service vector; returns it."""
        if not self.isr:
            return None
        vector = max(self.isr)
        del self.isr[vector]
        return vector
