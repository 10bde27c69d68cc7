"""A time axis that both worlds share: guest-visible progress, aligned.

Time on the diagram is what L1 and L2 can see: instructions they retired.  Each world's trace
is cut into groups, one per guest instruction retired (the instruction, then every step until
the next one).  A group is as wide as the busier world needs, one unit per step, so the k-th
guest instruction sits at the same x in both worlds and the extra work L0 does between two
guest instructions shows up as a gap on the bare-metal side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..trace import Event, Kind

TICK_EVERY = 5  # a labelled tick every this many guest instructions


@dataclass(frozen=True)
class Timeline:
    x: Mapping[str, tuple[float, ...]]  # per world: the x of each event, in trace order
    width: float  # x of the last slot + 1
    tickvals: tuple[float, ...]
    ticktext: tuple[str, ...]


def _is_guest_instruction(e: Event) -> bool:
    return e.kind == Kind.RETIRE and e.level in ("L1", "L2")


def groups(events: Sequence[Event]) -> list[int]:
    """How many events each group holds; group 0 is everything before the first retirement."""
    sizes = [0]
    for e in events:
        if _is_guest_instruction(e):
            sizes.append(0)
        sizes[-1] += 1
    return sizes


def align(worlds: Mapping[str, Sequence[Event]]) -> Timeline:
    sizes = {world: groups(events) for world, events in worlds.items()}
    count = max((len(s) for s in sizes.values()), default=1)
    widths = [max((s[g] if g < len(s) else 0) for s in sizes.values()) for g in range(count)]
    starts = [0] * count
    for g in range(1, count):
        starts[g] = starts[g - 1] + widths[g - 1]
    xs = {world: _positions(s, starts) for world, s in sizes.items()}
    ticks = [g for g in range(1, count) if g == 1 or g % TICK_EVERY == 0]
    return Timeline(xs, float(starts[-1] + widths[-1]), tuple(float(starts[g]) for g in ticks),
                    tuple(str(g) for g in ticks))


def _positions(sizes: list[int], starts: list[int]) -> tuple[float, ...]:
    return tuple(float(starts[g] + i) for g, n in enumerate(sizes) for i in range(n))
