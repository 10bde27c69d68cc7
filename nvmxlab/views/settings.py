"""What each of the lab's controls means: the scenario key it sets, the value a scenario
implies, and the scenario edits a value asks for.  No widgets here (see widgets/controls.py):
the lab's state (labstate.py) turns the controls' values into a scenario with these alone.

Each control reads its starting value from the scenario the lab was opened with, and
contributes edits only while its value differs from that, so a scenario's own details (an
unusual exit handler, a second interrupt) survive until the learner changes the control that
owns them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..scenario import Scenario
from . import timing

MAX_STI_DELAY = 8


@dataclass(frozen=True)
class Setting:
    key: str  # the scenario key the control sets (the key of `Lab.controls`)
    label: str  # the control's name on the page, which a refusal names
    read: Callable[[Scenario], object]  # the value `scenario` implies
    edits: Callable[[Scenario, object], dict]  # overrides of the base scenario for a value


def _flag(key: str, label: str) -> Setting:
    section, name = key.split(".")
    return Setting(key, label, read=lambda s: bool(getattr(s, section)[name]),
                   edits=lambda s, v: {key: bool(v)})


def sti_index(s: Scenario) -> int | None:
    """Where L1's exit handler has its STI (None: it has none, and the delay is fixed)."""
    handler = s.l1["exit_handler"]
    return handler.index("sti") if "sti" in handler else None


def _sti_edits(s: Scenario, delay: object) -> dict:
    handler = s.l1["exit_handler"]
    i = sti_index(s)
    tail = handler[i:] if i is not None else ["sti", *handler]
    return {"l1.exit_handler": ["nop"] * int(delay) + tail}


SETTINGS: tuple[Setting, ...] = (
    _flag("vmcs12.external_interrupt_exiting", "PIN_BASED_EXT_INTR_MASK"),
    _flag("vmcs12.ack_interrupt_on_exit", "VM_EXIT_ACK_INTR_ON_EXIT"),
    _flag("l2.rflags_if", "L2 RFLAGS.IF"),
    Setting("timing", "interrupt arrives", timing.current, timing.edits),
    Setting("l1.sti_delay", "L1's STI delay", lambda s: sti_index(s) or 0, _sti_edits),
    Setting("policy", "L0 policy", lambda s: s.policy, lambda s, v: {"policy": v}),
    Setting("bugs", "teaching bugs", lambda s: tuple(s.bugs), lambda s, v: {"bugs": list(v)}),
)
SETTING = {setting.key: setting for setting in SETTINGS}


def values_of(scenario: Scenario) -> dict[str, object]:
    """Every control's value as `scenario` implies it, by key."""
    return {s.key: s.read(scenario) for s in SETTINGS}


def edits_by_control(base: Scenario, values: Mapping[str, object]) -> dict[str, dict]:
    """The scenario edits each control's value asks for, by control key (none for a value
    left as it was), so that a refused edit can name the control that asked for it."""
    return {key: SETTING[key].edits(base, value) for key, value in values.items()
            if value != SETTING[key].read(base)}
