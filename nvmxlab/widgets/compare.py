"""The comparison view: the lab's configuration (A) beside one variation of it (B).

It lines up what L1 observed in each (exits, their interruption info, interrupts through its
IDT, failed entries) and marks the rows that differ, then puts the costs side by side: exits
to L0, exits reaching L1, vCPU loop iterations, steps, and each one's verdict against bare
metal.
"""

from __future__ import annotations

import difflib
import html
from collections.abc import Callable

import ipywidgets as w

from .. import engine
from ..bugs import POLICIES
from ..checker import Comparison
from ..observations import Observation
from ..scenario import Scenario, ScenarioError
from .status import BAD, costs, counted, failed_entries


def _flip(key: str, label: str) -> Callable[[Scenario], tuple[str, dict]]:
    section, name = key.split(".")

    def variant(s: Scenario) -> tuple[str, dict]:
        value = not getattr(s, section)[name]
        return f"{label} = {int(value)}", {key: value}
    return variant


def _policy(policy: str) -> Callable[[Scenario], tuple[str, dict]]:
    return lambda s: (f"policy {policy}", {"policy": policy})


VARIANTS: dict[str, Callable[[Scenario], tuple[str, dict]]] = {
    "ack": _flip("vmcs12.ack_interrupt_on_exit", "VM_EXIT_ACK_INTR_ON_EXIT"),
    "pin": _flip("vmcs12.external_interrupt_exiting", "PIN_BASED_EXT_INTR_MASK"),
    **{f"policy:{p}": _policy(p) for p in POLICIES},
    "bugs-off": lambda s: ("no teaching bugs", {"bugs": []}),
}


def run_variant(scenario: Scenario, overrides: dict) -> Comparison:
    """B's nested run against its own bare-metal reference."""
    b = scenario.with_overrides(overrides)
    return engine.check(b)


SAME_SHOWN = 2  # agreeing observations shown around a difference; longer runs are folded


def l1_rows(a: list[Observation], b: list[Observation]) -> list[tuple[str, str, bool]]:
    """(A's observation, B's observation, differs) rows, aligned where they agree; a long run
    of agreeing rows is folded into one "… n the same …" row."""
    da, db = [o.describe() for o in a], [o.describe() for o in b]
    rows: list[tuple[str, str, bool]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=da, b=db, autojunk=False).get_opcodes():
        if op == "equal":
            rows += _fold([(x, x, False) for x in da[i1:i2]])
            continue
        left, right = da[i1:i2], db[j1:j2]
        for k in range(max(len(left), len(right))):
            rows.append((left[k] if k < len(left) else "", right[k] if k < len(right) else "",
                         True))
    return rows


def _fold(same: list[tuple[str, str, bool]]) -> list[tuple[str, str, bool]]:
    if len(same) <= 2 * SAME_SHOWN + 1:
        return same
    hidden = len(same) - 2 * SAME_SHOWN
    fold = (f"… {hidden} observations the same …",) * 2 + (False,)
    return [*same[:SAME_SHOWN], fold, *same[-SAME_SHOWN:]]


def _verdict(c: Comparison) -> str:
    """Against bare metal: what the verdict panel counts, not the rows marked ≠ below
    (those are where A and B differ)."""
    if not c.ok:
        return f"✗ differs from bare metal ({counted(len(c.mismatches), 'mismatch', 'mismatches')})"
    return "✓ matches bare metal" + (f" ({counted(len(c.delays), 'delay')})" if c.delays else "")


def _why(c: Comparison) -> str:
    """Why a side's VM entry failed, in plain words: its failed entries and the documented
    reason (notebook 04 explains VM-instruction error 7)."""
    failed = failed_entries(c.nested)
    if not failed:
        return ""
    notes = [c.refused_entry.removeprefix("documented: ")] if c.refused_entry else []
    return " ".join(f"{line}." for line in [*failed, *notes])


def table(a: Comparison, b: Comparison, label_a: str, label_b: str) -> str:
    esc = html.escape
    head = (f"<tr><th></th><th>A: {esc(label_a)}</th><th>B: {esc(label_b)}</th></tr>")
    body = [f"<tr><td>verdict</td><td>{esc(_verdict(a))}</td><td>{esc(_verdict(b))}</td></tr>",
            f"<tr><td>cost</td><td>{esc(costs(a.nested))}</td><td>{esc(costs(b.nested))}</td>"
            "</tr>"]
    why_a, why_b = _why(a), _why(b)
    if why_a or why_b:
        body.append(f"<tr class='nvmx-compare-why'><td>why</td><td>{esc(why_a)}</td>"
                    f"<td>{esc(why_b)}</td></tr>")
    rows = l1_rows(a.nested.l1_view, b.nested.l1_view)
    marked = sum(differs for _, _, differs in rows)
    legend = (f"≠ marks the {counted(marked, 'row')} where A and B differ" if marked
              else "A and B agree throughout")
    body.append(f"<tr><td colspan='3'><b>what L1 observed</b> ({legend})</td></tr>")
    for x, y, differs in rows:
        style = f" style='background:#FBE3D6;color:{BAD};font-weight:bold'" if differs else ""
        body.append(f"<tr{style}><td>{'≠' if differs else ''}</td><td>{esc(x)}</td>"
                    f"<td>{esc(y)}</td></tr>")
    return ("<table class='nvmx-compare-table' style='border-collapse:collapse'>"
            + head + "".join(body) + "</table>")


class CompareView(w.VBox):
    def __init__(self, variant: str = "ack"):
        # Wide enough for the longest variation ("VM_EXIT_ACK_INTR_ON_EXIT = 1") whole.
        self.choice = w.Dropdown(options=[], description="compare A with B:",
                                 style={"description_width": "initial"},
                                 layout=w.Layout(width="calc(30ch + 11em)", max_width="100%"))
        self.output = w.HTML()
        self._snapshot_comparison: Comparison | None = None
        self._scenario: Scenario | None = None
        self._variant = variant
        self._chosen = False  # the learner picked B: keep it; until then B is a default
        self._relabelling = False
        self.choice.observe(self._on_choice, "value")
        super().__init__([w.HTML("<b>Compare two configurations</b> (nested runs; A is the "
                                 "configuration above)"), self.choice, self.output])
        self.add_class("nvmx-compare")

    def show(self, scenario: Scenario, comparison: Comparison) -> None:
        """A new configuration A: relabel the variations of it and redraw."""
        self._scenario, self._snapshot_comparison = scenario, comparison
        current = self.choice.value or self._variant
        options = [(VARIANTS[k](scenario)[0], k) for k in VARIANTS
                   if k != f"policy:{scenario.policy}" and (k != "bugs-off" or scenario.bugs)]
        values = [v for _, v in options]
        self._relabelling = True  # new labels are not a new choice: refresh once, below
        try:
            self.choice.options = options
            self.choice.value = current if current in values else values[0]
        finally:
            self._relabelling = False
        self.refresh()

    def _on_choice(self, change: dict) -> None:
        if not self._relabelling:
            self._chosen = True
            self.refresh()

    def refresh(self) -> None:
        if self._scenario is None or not self.choice.value:
            return
        self._variant = self.choice.value
        label_b, overrides = VARIANTS[self._variant](self._scenario)
        try:
            b = run_variant(self._scenario, overrides)
            if not self._chosen and failed_entries(b.nested) and \
                    not failed_entries(self._snapshot_comparison.nested):
                # A default B whose VM entry fails (VM_EXIT_ACK_INTR_ON_EXIT = 1 under a
                # 2011 policy) shows error 7 before any notebook has explained it: the
                # default is the next variation whose entries succeed, if there is one.
                found = self._valid_default()
                if found is not None:
                    self._variant, (label_b, b) = found
                    self._relabelling = True
                    try:
                        self.choice.value = self._variant
                    finally:
                        self._relabelling = False
        except ScenarioError as refusal:
            self.output.value = (f"<div style='color:{BAD}'>B is refused: "
                                 f"<code>{html.escape(str(refusal))}</code></div>")
            return
        except Exception as error:  # noqa: BLE001 - the panel shows it, never a traceback
            self.output.value = (f"<div style='color:{BAD}'>B could not run: "
                                 f"<code>{html.escape(f'{type(error).__name__}: {error}')}"
                                 "</code></div>")
            return
        self.output.value = table(self._snapshot_comparison, b, "this lab", label_b)

    def _valid_default(self) -> tuple[str, tuple[str, Comparison]] | None:
        """The first other variation offered whose VM entries all succeed, and its run."""
        for _, key in self.choice.options:
            if key == self._variant:
                continue
            label, overrides = VARIANTS[key](self._scenario)
            try:
                b = run_variant(self._scenario, overrides)
            except ScenarioError:
                continue
            if not failed_entries(b.nested):
                return key, (label, b)
        return None
