"""The trace: one immutable, ordered record of every step at every level.

Every view (L1/L2 views, deliveries, statistics, text, JSON, diagrams) is derived from it.
"""

from __future__ import annotations

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
    """Append-only while the engine runs; frozen into a tuple for the result."""

    events: list[Event] = field(default_factory=list)

    def add(self, level: str, kind: str, name: str, why: str = "", data: dict | None = None,
            views: Views = ()) -> Event:
        events = self.events
        ev = Event(len(events), level, kind, name, why, data, views)
        events.append(ev)
        return ev

    def __len__(self) -> int:
        return len(self.events)
