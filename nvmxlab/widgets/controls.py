"""The control panel: one widget per scenario key (what each value means as scenario edits is
views/settings.py; the lab's state turns values into a scenario, these only show them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as w

from ..bugs import BUGS, POLICIES
from ..scenario import Scenario
from ..views import timing
from ..views.settings import MAX_STI_DELAY, SETTING, Setting, sti_index


@dataclass(frozen=True)
class ControlSpec:
    setting: Setting  # what the control's value means
    make: Callable[[Scenario], w.ValueWidget]  # the widget, at the base scenario's value
    # The traits besides the value that the base scenario decides (options, max, disabled):
    # what `lay_out` sets on a control when another base is shown, without building a widget.
    laid_out: Callable[[Scenario], dict[str, object]] = lambda s: {}

    @property
    def key(self) -> str:
        return self.setting.key


def _checkbox(key: str, tooltip: str) -> ControlSpec:
    setting = SETTING[key]
    return ControlSpec(setting, lambda s: w.Checkbox(
        value=setting.read(s), description=setting.label, tooltip=tooltip, indent=False,
        layout=w.Layout(width="auto")))


def _sti_laid_out(s: Scenario) -> dict[str, object]:
    i = sti_index(s)
    return {"max": max(MAX_STI_DELAY, i or 0), "disabled": i is None}


def _sti_slider(s: Scenario) -> w.IntSlider:
    return w.IntSlider(
        value=sti_index(s) or 0, min=0, **_sti_laid_out(s),
        description=SETTING["l1.sti_delay"].label,
        tooltip="How many instructions L1's exit handler runs (with IF = 0, as every VM exit "
                "leaves it) before STI lets an interrupt in",
        continuous_update=False, style={"description_width": "initial"})


def _policy(s: Scenario) -> w.Dropdown:
    return w.Dropdown(**_policy_laid_out(s), value=s.policy,
                      description=SETTING["policy"].label,
                      tooltip="Which KVM design L0 runs: the 2011 nested VMX patch, the 2011 "
                              "nested SVM shape, or today's KVM",
                      style={"description_width": "initial"})


def _policy_laid_out(s: Scenario) -> dict[str, object]:
    return {"options": list(POLICIES)}


def _bugs_laid_out(s: Scenario) -> dict[str, object]:
    return {"options": list(BUGS)}


def _bugs(s: Scenario) -> w.SelectMultiple:
    # Wide enough for the longest bug's name at a projector's font size: a cut name
    # ("complete-interrupts-in-guest-r…") cannot be looked up in the bug list.
    longest = max(len(name) for name in BUGS)
    return w.SelectMultiple(**_bugs_laid_out(s), value=tuple(s.bugs), rows=len(BUGS),
                            description=SETTING["bugs"].label,
                            tooltip="Mistakes real KVM made; ctrl-click to switch several on",
                            style={"description_width": "initial"},
                            layout=w.Layout(width=f"calc({longest}ch + 9em)", max_width="100%"))


def _timing_laid_out(s: Scenario) -> dict[str, object]:
    return {"options": timing.options(s), "disabled": not s.interrupts}


def _timing(s: Scenario) -> w.Dropdown:
    return w.Dropdown(**_timing_laid_out(s), value=timing.current(s),
                      description=SETTING["timing"].label,
                      tooltip="When the scenario's first interrupt is raised",
                      style={"description_width": "initial"})


SPECS: tuple[ControlSpec, ...] = (
    _checkbox("vmcs12.external_interrupt_exiting",
              "External-interrupt exiting: an interrupt for L1 makes L2 exit to L1, whatever "
              "L2's IF. Off: the interrupt goes straight into L2 through L2's IDT."),
    _checkbox("vmcs12.ack_interrupt_on_exit",
              "Acknowledge interrupt on exit: the exit carries the vector and the interrupt "
              "is taken out of the APIC. Off: no vector, L1 gets the interrupt after STI."),
    _checkbox("l2.rflags_if",
              "L2's interrupt flag when it starts: with IF = 0 L2 cannot take interrupts "
              "through its own IDT."),
    ControlSpec(SETTING["timing"], _timing, _timing_laid_out),
    ControlSpec(SETTING["l1.sti_delay"], _sti_slider, _sti_laid_out),
    ControlSpec(SETTING["policy"], _policy, _policy_laid_out),
    ControlSpec(SETTING["bugs"], _bugs, _bugs_laid_out),
)


def make_controls(base: Scenario) -> dict[str, w.ValueWidget]:
    return {spec.key: spec.make(base) for spec in SPECS}


def values(controls: dict[str, w.ValueWidget]) -> dict[str, object]:
    """Every control's value, by key."""
    return {key: widget.value for key, widget in controls.items()}


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


def lay_out(controls: dict[str, w.ValueWidget], base: Scenario) -> None:
    """Lay the controls out for another base scenario (a share string restored): the options,
    bounds and enabled states it decides.  Only traits that differ are set: setting a
    dropdown's options resets its value."""
    for spec in SPECS:
        widget = controls[spec.key]
        for trait, value in spec.laid_out(base).items():
            if _shown(widget, trait) != _shown_as(trait, value):
                setattr(widget, trait, value)


def _shown(widget: w.ValueWidget, trait: str) -> object:
    return _shown_as(trait, getattr(widget, trait))


def _shown_as(trait: str, value: object) -> object:
    # A widget keeps its options as a tuple of what it was given: compare them as tuples.
    return tuple(value) if trait == "options" else value  # type: ignore[arg-type]


def set_values(controls: dict[str, w.ValueWidget], values: dict[str, object]) -> None:
    """Show `values` (by key) on the controls as laid out: after a share string is restored,
    or when a refused change is set back to the run shown."""
    for key, widget in controls.items():
        widget.value = values[key]
