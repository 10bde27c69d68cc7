"""Words for one step: the hover text on the diagram and the explanation under it."""

from __future__ import annotations

import html

from ..trace import Event, Kind
from .states import StepState

WORLD_NAMES = {"nested": "nested", "bare": "bare metal"}
KIND_NAMES: dict[Kind, str] = {
    Kind.VMEXIT: "VM exit (hardware)",
    Kind.NESTED_VMEXIT: "VM exit emulated by L0",
    Kind.VMENTRY: "VM entry (hardware)",
    Kind.NESTED_VMENTER: "VMLAUNCH/VMRESUME emulated by L0",
    Kind.ENTERED: "L1's VM entry took effect",
    Kind.INJECT: "event injection",
    Kind.DELIVER: "delivery through the IDT",
    Kind.WINDOW: "interrupt or NMI window",
    Kind.REQUEST: "KVM request",
    Kind.KVM: "KVM function",
    Kind.LOOP: "vCPU loop",
    Kind.APIC: "local APIC",
    Kind.NMI: "NMI pending",
    Kind.RAISE: "a device raises an interrupt or an NMI",
    Kind.KICK: "kick",
    Kind.HALT: "halt",
    Kind.SKIP: "skip an emulated instruction",
    Kind.EPT: "EPT",
    Kind.RETIRE: "instruction retired",
    Kind.VMFAIL: "VM entry failed",
}
# Fields that hold an interruption-information style value: None means "not valid".
EVENT_FIELDS = ("intr_info", "idt_vectoring", "inject")
HEX_FIELDS = ("vector", "rip")


def format_value(key: str, value: object) -> str:
    if value is None:
        return "not valid" if key in EVENT_FIELDS else "none"
    if isinstance(value, dict) and "vector" in value:
        return " ".join([f"0x{value['vector']:02x}"] +
                        [str(v) for k, v in value.items() if k != "vector"])
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int) and key in HEX_FIELDS:
        return f"0x{value:02x}" if key == "vector" else f"0x{value:x}"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)


def field_lines(e: Event) -> list[tuple[str, str]]:
    return [(key, format_value(key, value)) for key, value in (e.data or {}).items()]


def wrap(text: str, width: int = 70) -> list[str]:
    """Greedy word wrap, whole words only (textwrap's regular expressions cost more than the
    whole diagram).  Not formats.wrap: that one breaks after hyphens, as the text outputs'
    golden files pin."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, line] if line else lines


def title(world: str, e: Event, total: int | None = None) -> str:
    # Steps are numbered from 0, as the trace's seq (which the notebooks cite): "step 94 of
    # 95" would read as one step short of the end.
    of = f" (steps 0–{total - 1})" if total is not None else ""
    return (f"{WORLD_NAMES.get(world, world)} · step {e.seq}{of} · {e.level} · "
            f"{KIND_NAMES.get(e.kind, e.kind)}")


def hover(world: str, e: Event, state: StepState) -> str:
    """Plotly hover text: the full step, HTML-escaped, wrapped for a tooltip."""
    lines = [f"<b>{html.escape(title(world, e))}</b>", f"<b>{html.escape(e.name)}</b>"]
    if e.why:
        lines += [f"<i>{html.escape(part)}</i>" for part in wrap(e.why)]
    lines += [f"{html.escape(k)}: {html.escape(v)}" for k, v in field_lines(e)]
    lines += [f"{lvl} sees: {html.escape(v.describe())}" for lvl, v in e.views]
    lines.append(f"then: {html.escape(state.label)}")
    return "<br>".join(lines)


def step_html(world: str, e: Event, state: StepState, total: int) -> str:
    """The explanation shown under the diagram for the current step."""
    esc = html.escape
    parts = [f"<div class='nvmx-step-title'><b>{esc(title(world, e, total))}</b></div>",
             f"<div class='nvmx-step-name' style='font-size:1.25em'><code>{esc(e.name)}</code>"
             f"</div>"]
    if e.why:
        parts.append(f"<div class='nvmx-step-why'>{esc(e.why)}</div>")
    fields = field_lines(e)
    if fields:
        rows = "".join(f"<tr><td><code>{esc(k)}</code></td><td>{esc(v)}</td></tr>"
                       for k, v in fields)
        parts.append(f"<table class='nvmx-step-fields'>{rows}</table>")
    for level, view in e.views:
        parts.append(f"<div class='nvmx-step-view'><b>{esc(level)} observes</b> "
                     f"{esc(view.describe())}</div>")
    parts.append(f"<div class='nvmx-step-state'>vCPU state now: <b>{esc(state.label)}</b></div>")
    return "\n".join(parts)
