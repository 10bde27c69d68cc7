"""The trace: one immutable, ordered record of every step at every level.

Every view (L1/L2 views, deliveries, statistics, text, JSON, diagrams) is derived from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from .observations import Views

LEVELS = ("HW", "L0", "L1", "L2")


class Event(NamedTuple):
    """One step (immutable).  `name` is the SDM or KVM name of the step, `why` the reason it
    happened.

    `views` holds what a guest level observes of the step: (("L1", ENTRY), ("L2", ENTRY))
    (see observations.py).
    """

    seq: int
    level: str
    kind: str
    name: str
    why: str = ""
    data: dict | None = None
    views: Views = ()

    def to_json(self) -> dict:
        out = {"seq": self.seq, "level": self.level, "kind": self.kind, "name": self.name}
        if self.data:
            out.update(self.data)
        if self.why:
            out["why"] = self.why
        return out


@dataclass
class Trace:
    """Append-only while the engine runs; frozen into a tuple for the result.

    It also records the vCPU state each step leaves (vcpu.py): `snapshot()` reads it from the
    machine; code that changes it sets `stale`, and the next step recorded takes a snapshot.
    Only the steps that changed it are kept, in `changes`: (seq, state)."""

    events: list[Event] = field(default_factory=list)
    # (seq, raw state) at each step that changed the state; the first entry only ends the list.
    changes: list[tuple[int, object]] = field(default_factory=lambda: [(-1, None)])
    stale: bool = True
    snapshot: Callable[[], object] = lambda: None

    def add(self, level: str, kind: str, name: str, why: str = "", data: dict | None = None,
            views: Views = ()) -> Event:
        events = self.events
        seq = len(events)
        ev = Event(seq, level, kind, name, why, data, views)
        events.append(ev)
        if self.stale:  # restate(), inline: about half of all steps change the state
            self.stale = False
            self.changes.append((seq, self.snapshot()))
        return ev

    def restate(self) -> None:
        """Take the state the last step recorded leaves (again, if part of the step's effect
        came after it was recorded)."""
        self.stale = False
        seq, changes = len(self.events) - 1, self.changes
        if changes[-1][0] == seq >= 0:
            changes.pop()
        changes.append((seq, self.snapshot()))

    def __len__(self) -> int:
        return len(self.events)
