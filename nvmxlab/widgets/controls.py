"""The control panel: one widget per scenario key, and what each value means as scenario edits.

Each control reads its starting value from the scenario the lab opened with, and contributes
edits only while its value differs from that, so a scenario's own details (an unusual exit
handler, a second interrupt) survive until the learner changes the control that owns them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as w

from ..bugs import BUGS, POLICIES
from ..scenario import Scenario
from . import timing

MAX_STI_DELAY = 8


@dataclass(frozen=True)
class ControlSpec:
    key: str  # the scenario key the control sets (the key of `Lab.controls`)
    read: Callable[[Scenario], object]  # the value `scenario` implies
    edits: Callable[[Scenario, object], dict]  # overrides of the base scenario for a value
    make: Callable[[Scenario], w.ValueWidget]  # the widget, at the base scenario's value


def _checkbox(key: str, label: str, tooltip: str) -> ControlSpec:
    section, name = key.split(".")
    return ControlSpec(
        key,
        read=lambda s: bool(getattr(s, section)[name]),
        edits=lambda s, v: {key: bool(v)},
        make=lambda s: w.Checkbox(value=bool(getattr(s, section)[name]), description=label,
                                  tooltip=tooltip, indent=False,
                                  layout=w.Layout(width="auto")),
    )


def _sti_index(s: Scenario) -> int | None:
    handler = s.l1["exit_handler"]
    return handler.index("sti") if "sti" in handler else None


def _sti_edits(s: Scenario, delay: object) -> dict:
    handler = s.l1["exit_handler"]
    i = _sti_index(s)
    tail = handler[i:] if i is not None else ["sti", *handler]
    return {"l1.exit_handler": ["nop"] * int(delay) + tail}


def _sti_slider(s: Scenario) -> w.IntSlider:
    i = _sti_index(s)
    return w.IntSlider(
        value=i or 0, min=0, max=max(MAX_STI_DELAY, i or 0), description="L1's STI delay",
        tooltip="How many instructions L1's exit handler runs (with IF = 0, as every VM exit "
                "leaves it) before STI lets an interrupt in",
        disabled=i is None, continuous_update=False, style={"description_width": "initial"})


def _policy(s: Scenario) -> w.Dropdown:
    return w.Dropdown(options=list(POLICIES), value=s.policy, description="L0 policy",
                      tooltip="Which KVM design L0 runs: the 2011 nested VMX patch, the 2011 "
                              "nested SVM shape, or today's KVM",
                      style={"description_width": "initial"})


def _bugs(s: Scenario) -> w.SelectMultiple:
    return w.SelectMultiple(options=list(BUGS), value=tuple(s.bugs), rows=len(BUGS),
                            description="teaching bugs",
                            tooltip="Mistakes real KVM made; ctrl-click to switch several on",
                            style={"description_width": "initial"})


def _timing(s: Scenario) -> w.Dropdown:
    return w.Dropdown(options=timing.options(s), value=timing.current(s),
                      description="interrupt arrives", disabled=not s.interrupts,
                      tooltip="When the scenario's first interrupt is raised",
                      style={"description_width": "initial"})


SPECS: tuple[ControlSpec, ...] = (
    _checkbox("vmcs12.external_interrupt_exiting", "PIN_BASED_EXT_INTR_MASK",
              "External-interrupt exiting: an interrupt for L1 makes L2 exit to L1, whatever "
              "L2's IF. Off: the interrupt goes straight into L2 through L2's IDT."),
    _checkbox("vmcs12.ack_interrupt_on_exit", "VM_EXIT_ACK_INTR_ON_EXIT",
              "Acknowledge interrupt on exit: the exit carries the vector and the interrupt "
              "is taken out of the APIC. Off: no vector, L1 gets the interrupt after STI."),
    _checkbox("l2.rflags_if", "L2 RFLAGS.IF",
              "L2's interrupt flag when it starts: with IF = 0 L2 cannot take interrupts "
              "through its own IDT."),
    ControlSpec("timing", timing.current, timing.edits, _timing),
    ControlSpec("l1.sti_delay", lambda s: _sti_index(s) or 0, _sti_edits, _sti_slider),
    ControlSpec("policy", lambda s: s.policy, lambda s, v: {"policy": v}, _policy),
    ControlSpec("bugs", lambda s: tuple(s.bugs), lambda s, v: {"bugs": list(v)}, _bugs),
)
SPEC = {spec.key: spec for spec in SPECS}


def make_controls(base: Scenario) -> dict[str, w.ValueWidget]:
    return {spec.key: spec.make(base) for spec in SPECS}


def edits_by_control(base: Scenario, values: dict[str, object]) -> dict[str, dict]:
    """The scenario edits each control's value asks for, by control key (none for a value
    left as it was), so that a refused edit can name the control that asked for it."""
    return {key: SPEC[key].edits(base, value) for key, value in values.items()
            if value != SPEC[key].read(base)}


def panel(controls: dict[str, w.ValueWidget]) -> w.Widget:
    """The controls laid out in three columns: vmcs12 and L2, timing, L0."""
    def column(title: str, keys: list[str]) -> w.VBox:
        return w.VBox([w.HTML(f"<b>{title}</b>"), *(controls[k] for k in keys)],
                      layout=w.Layout(margin="0 24px 0 0"))

    return w.HBox([
        column("vmcs12: what L1 asks for", ["vmcs12.external_interrupt_exiting",
                                             "vmcs12.ack_interrupt_on_exit", "l2.rflags_if"]),
        column("timing", ["timing", "l1.sti_delay"]),
        column("L0 = KVM", ["policy", "bugs"]),
    ], layout=w.Layout(flex_flow="row wrap"))


def sync(controls: dict[str, w.ValueWidget], base: Scenario) -> None:
    """Set every control to what a new base scenario says (after restoring a share string)."""
    for spec in SPECS:
        fresh = spec.make(base)
        widget = controls[spec.key]
        if hasattr(fresh, "options"):
            widget.options = fresh.options
        for trait in ("max", "disabled"):
            if hasattr(fresh, trait):
                setattr(widget, trait, getattr(fresh, trait))
        widget.value = fresh.value
