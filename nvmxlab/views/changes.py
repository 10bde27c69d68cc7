"""What the learner changed: the controls whose values differ from the scenario the lab was
opened with (or the share string last pasted), in the controls' own words, and the scenario
the lab then shows and shares, named for those changes.

A scenario's name, description and explanation describe it as written.  Once a control moves,
they may no longer hold ("…while L2 runs" after "interrupt arrives" was set to "while L2
halts"), so the configuration shown is renamed for its changes and its texts are marked as
describing the scenario before them.  An unchanged scenario is left exactly as it was, so its
share string is the same, byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..limits import MAX_NAME
from ..scenario import Scenario
from . import timing
from .settings import SETTINGS, edits_by_control

CHANGED = ", changed: "
THEN = "; then "
BEFORE = "Before the changes in its name: "
NAMING = "the lab's name for the changed scenario"  # the source of `naming`'s overrides


@dataclass(frozen=True)
class Change:
    key: str  # the control's key (views/settings.py)
    label: str  # the control's name on the page
    value: str  # its value, as the page shows it

    def __str__(self) -> str:
        if self.key == "timing":
            return f"{self.label} {self.value}"
        return f"{self.label} = {self.value}"


def _shown(key: str, value: object) -> str:
    if isinstance(value, bool):  # a VMCS control bit or RFLAGS.IF, as the SDM writes it
        return str(int(value))
    if key == "timing":
        return timing.CHOICES.get(str(value), str(value))
    if key == "bugs":
        return ", ".join(value) if value else "none"  # type: ignore[arg-type]
    return str(value)


def changes(base: Scenario, values: Mapping[str, object]) -> tuple[Change, ...]:
    """Each control whose value edits `base`, in the panel's order (see `changes_of`)."""
    return changes_of(edits_by_control(base, values), values)


def changes_of(by_control: Mapping[str, dict], values: Mapping[str, object]
               ) -> tuple[Change, ...]:
    """The changes `edits_by_control` found: each control whose value asks for an edit
    ("as the scenario says" differs from no value, yet asks for none), in the panel's order."""
    return tuple(Change(s.key, s.label, _shown(s.key, values[s.key])) for s in SETTINGS
                 if by_control.get(s.key))


def name_for(base: Scenario, made: tuple[Change, ...]) -> str:
    """`base`'s name followed by its changes, within the name's length limit (MAX_NAME):
    past it, the changed controls' names alone, then only how many."""
    joiner = THEN if CHANGED in base.name else CHANGED
    for tail in (", ".join(str(c) for c in made),
                 f"{len(made)} settings ({', '.join(c.label for c in made)})",
                 f"{len(made)} settings"):
        name = f"{base.name}{joiner}{tail}"
        if len(name) <= MAX_NAME:
            return name
    keep = MAX_NAME - len(joiner) - len(tail)
    return f"{base.name[:keep - 1]}…{joiner}{tail}"


def _before(text: str) -> str:
    return text if not text or text.startswith(BEFORE) else BEFORE + text


def naming(base: Scenario, made: tuple[Change, ...]) -> dict[str, str]:
    """The overrides (from NAMING) that name the scenario with the changes `made` for them,
    its description and explanation marked as describing it before them; unchanged, none."""
    if not made:
        return {}
    return {
        "name": name_for(base, made),
        "description": _before(base.description),
        "explain": _before(base.explain.strip()) if base.explain else "",
    }
