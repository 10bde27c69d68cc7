"""The moments of a run that the course points at, found in the trace by their steps.

An instructor says "step to the emulated exit" and needs its step number in the lab; the
notebooks name the same moments.  The numbers change whenever the engine does, so they are
always read off a run here, never written down by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .observations import ObservedExit
from .result import Result
from .trace import Event, Kind


@dataclass(frozen=True)
class Moment:
    label: str
    seq: int
    step: str  # the step's level and name, as the printed trace shows them


def _hw_exit(reason: str) -> Callable[[Event], bool]:
    return lambda e: e.level == "HW" and e.kind == Kind.VMEXIT and e.name == reason


def _l1_exit_with_vector(e: Event) -> bool:
    return any(level == "L1" and isinstance(v, ObservedExit) and v.exit_intr_info is not None
               for level, v in e.views)


# In the order they happen to the seed's interrupt; a run shows those its design takes.
MOMENTS: tuple[tuple[str, Callable[[Event], bool]], ...] = (
    ("the interrupt for L1 is raised", lambda e: e.kind == Kind.RAISE),
    ("the kick: L0's own EXTERNAL_INTERRUPT exit", _hw_exit("EXTERNAL_INTERRUPT")),
    ("L0 emulates the exit to L1", lambda e: e.kind == Kind.NESTED_VMEXIT),
    ("the exit L1 sees carries the vector", _l1_exit_with_vector),
    ("L0 opens the interrupt window", lambda e: e.kind == Kind.WINDOW),
    ("the interrupt-window exit, after L1's STI", _hw_exit("INTERRUPT_WINDOW")),
    ("L0 injects the interrupt into L1", lambda e: e.kind == Kind.INJECT and e.level == "L0"),
    ("L1's handler runs", lambda e: e.kind == Kind.DELIVER and e.level == "L1"),
)


def moments(result: Result, index: int = 0) -> list[Moment]:
    """The moments of interrupt `index` (the first by default), from its raise to L1's
    handler, each at the first step after the raise that shows it."""
    raise_seq = next(e.seq for e in result.events
                     if e.kind == Kind.RAISE and e.data["irq"] == index)
    found = []
    for label, test in MOMENTS:
        e = next((e for e in result.events if e.seq >= raise_seq and test(e)), None)
        if e is not None:
            found.append(Moment(label, e.seq, f"{e.level} {e.name}"))
    return sorted(found, key=lambda m: m.seq)


def markdown(results: dict[str, Result]) -> str:
    """A table of the moments of several runs, for the instructor guide."""
    rows = ["| scenario | moment | lab step | the step |", "|---|---|---|---|"]
    for name, result in results.items():
        for m in moments(result):
            rows.append(f"| `{name}` | {m.label} | {m.seq} | `{m.step}` |")
    return "\n".join(rows)


def text(result: Result) -> str:
    return "\n".join(f"step {m.seq:>3}  {m.label}  ({m.step})" for m in moments(result))
