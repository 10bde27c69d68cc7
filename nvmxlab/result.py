"""The result of one run: the immutable trace and everything derived from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from itertools import compress
from operator import itemgetter

from .observations import Observation
from .scenario import Scenario
from .trace import Event, Kind
from .vcpu import StateRecord, VcpuState

FORMAT = 1


@dataclass(frozen=True)
class Delivery:
    """One raised interrupt and where it went (`delivered` lists every delivery of it)."""

    index: int
    vector: int
    to: str
    type: str
    at: str
    raised_seq: int
    delivered: tuple[tuple[int, str, str], ...]  # (seq, level, "IDT" | "exit")

    @property
    def delivered_seq(self) -> int | None:
        return self.delivered[0][0] if self.delivered else None

    @property
    def delivered_to(self) -> str | None:
        return self.delivered[0][1] if self.delivered else None

    def to_json(self) -> dict:
        return {"vector": self.vector, "to": self.to, "type": self.type, "at": self.at,
                "raised_seq": self.raised_seq, "delivered_seq": self.delivered_seq,
                "delivered_to": self.delivered_to, "times": len(self.delivered)}


_VIEWS = itemgetter(Event._fields.index("views"))  # a step's views, as a C call


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    mode: str
    policy: str
    events: tuple[Event, ...]
    deliveries: tuple[Delivery, ...]
    status: str  # "settled", "idle", "max_steps" or "livelock"
    detail: str = ""
    loop: str = ""
    stats: dict = field(default_factory=dict)
    never_raised: tuple[str, ...] = ()
    # The vCPU state the run recorded (vcpu.py), if it was asked to (run(record_states=True));
    # if not, `replay` runs it again recording, the first time `states` is read.
    state_record: StateRecord | None = field(default=None, compare=False, repr=False)
    replay: Callable[[], Result] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def build(cls, world, machine, status: str, detail: str, loop: str,
              replay: Callable[[], Result] | None = None) -> Result:
        raised = {r.id: r for r in world.raises}
        deliveries = tuple(
            Delivery(i, r.irq.vector, r.irq.to, r.irq.type, str(r.irq.at), r.seq,
                     tuple(world.deliveries[i]))
            for i, r in sorted(raised.items()))
        events = tuple(world.trace.events)
        nested = world.mode == "nested"
        stats = {
            "steps": len(events),
            "l0_exits": world.hw_exits if nested else 0,
            "l1_exits": world.l1_exits,
            "loop_iterations": getattr(machine, "iterations", 0),
            "l1_retired": world.l1.retired,
            "l2_retired": world.l2.retired,
        }
        stats["l0_exits_per_l1_exit"] = (
            round(stats["l0_exits"] / stats["l1_exits"], 2) if stats["l1_exits"] else None)
        never = tuple(f"0x{i.vector:02x} for {i.to} at {i.at}" for i in world.pending_triggers())
        return cls(world.scenario, world.mode, world.scenario.policy if nested else "bare",
                   events, deliveries, status, detail, loop, stats, never,
                   world.trace.state_record(machine.snapshots), replay)

    # -- views ----------------------------------------------------------------------------------
    @cached_property
    def states(self) -> tuple[VcpuState, ...]:
        """The vCPU state after each event (vcpu.py).  A run that did not record it
        (run(record_states=False), the default) runs once more, the first time this is read:
        the same scenario, world and policy, recording.  The engine is deterministic, so that
        run makes the same steps and leaves the same states."""
        record = self.state_record
        if record is None and self.replay:
            record = self.replay().state_record
        return record.states(len(self.events)) if record else ()

    @cached_property
    def observed(self) -> tuple[Event, ...]:
        """The steps a guest level observes something of: a few in a hundred, found once (in
        C: compress() over the steps' views) for every view of the run."""
        return tuple(compress(self.events, map(_VIEWS, self.events)))

    def view(self, level: str) -> list[Observation]:
        return [v for e in self.observed for lvl, v in e.views if lvl == level]

    @cached_property
    def l1_view(self) -> list[Observation]:
        return self.view("L1")

    @cached_property
    def l2_view(self) -> list[Observation]:
        return self.view("L2")

    def view_events(self, level: str) -> list[tuple[Event, Observation]]:
        """Each observation with the step that produced it (for pointing into the trace)."""
        return [(e, v) for e in self.observed for lvl, v in e.views if lvl == level]

    @cached_property
    def violations(self) -> list[str]:
        return invariant_violations(self)

    @property
    def ok(self) -> bool:
        return not self.violations

    def to_json(self, *, events: bool = True) -> dict:
        """The result as plain data (README, "JSON").  `events=False` puts None in place of the
        trace, for a writer that encodes the trace itself (formats.to_json)."""
        return {
            "format": FORMAT,
            "scenario": self.scenario.name,
            "mode": self.mode,
            "policy": self.policy,
            "bugs": list(self.scenario.bugs),
            "status": self.status,
            "detail": self.detail,
            "loop": self.loop or None,
            "events": [e.to_json() for e in self.events] if events else None,
            "l1_view": [o.to_json() for o in self.l1_view],
            "l2_view": [o.to_json() for o in self.l2_view],
            "deliveries": [d.to_json() for d in self.deliveries],
            "never_raised": list(self.never_raised),
            "violations": self.violations,
            "stats": self.stats,
        }


def invariant_violations(result: Result) -> list[str]:
    """Every raised interrupt delivered exactly once, to its level, only when allowed."""
    out: list[str] = []
    vmcs12 = result.scenario.vmcs12
    for d in result.deliveries:
        name = f"interrupt 0x{d.vector:02x} for {d.to} (raised at {d.at})"
        if not d.delivered:
            out.append(f"{name} was never delivered: lost")
            continue
        if len(d.delivered) > 1:
            levels = ", ".join(lvl for _, lvl, _ in d.delivered)
            out.append(f"{name} was delivered {len(d.delivered)} times (to {levels})")
        for _, level, _ in d.delivered:
            if level == d.to:
                continue
            # An event for L1 reaches L2's IDT only when L1 let it (pin-based control 0).
            exiting = "nmi_exiting" if d.type == "nmi" else "external_interrupt_exiting"
            if d.to == "L1" and level == "L2" and not vmcs12[exiting]:
                continue
            out.append(f"{name} was delivered to {level}: the wrong level")
    # A delivery is always observed by the level it enters: only those steps are read.
    deliver = Kind.DELIVER  # once, not at each step: an enum member's lookup is slow in 3.11
    for e in result.observed:
        if e.kind == deliver and e.data and not e.data.get("allowed", True):
            out.append(f"vector 0x{e.data['vector']:02x} was delivered to {e.level} while "
                       f"{e.level} had interrupts blocked (IF = 0 or STI blocking), step {e.seq}")
    if result.status == "livelock":
        out.append(f"livelock: {result.detail}; stuck in: {result.loop}")
    for text in result.never_raised:
        out.append(f"interrupt {text} was never raised: the run never got there")
    return out
