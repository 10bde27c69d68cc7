"""The trace: one immutable, ordered record of every step at every level.

Every view (L1/L2 views, deliveries, statistics, text, JSON, diagrams) is derived from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

LEVELS = ("HW", "L0", "L1", "L2")


class Event(NamedTuple):
    """One step (immutable).  `name` is the SDM or KVM name of the step, `why` the reason it
    happened.

    `views` holds what a guest level observes of the step: (("L1", {...}), ("L2", {...})).
    """

    seq: int
    level: str
    kind: str
    name: str
    why: str = ""
    data: dict | None = None
    views: tuple[tuple[str, dict], ...] = ()

    def to_json(self) -> dict:
        out = {"seq": self.seq, "level": self.level, "kind": self.kind, "name": self.name}
        if self.data:
            out.update(self.data)
        if self.why:
            out["why"] = self.why
        return out


# Event(...) goes through the NamedTuple's Python-level __new__; the engine makes one per step,
# so it builds the tuple directly (what that __new__ does, one call less).
new_event = tuple.__new__


@dataclass
class Trace:
    """Append-only while the engine runs; frozen into a tuple for the result."""

    events: list[Event] = field(default_factory=list)

    def add(self, level: str, kind: str, name: str, why: str = "", data: dict | None = None,
            views: tuple[tuple[str, dict], ...] = ()) -> Event:
        events = self.events
        ev = new_event(Event, (len(events), level, kind, name, why, data, views))
        events.append(ev)
        return ev

    def __len__(self) -> int:
        return len(self.events)
