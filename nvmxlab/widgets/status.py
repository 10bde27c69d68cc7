"""The verdict panel: does nested match bare metal, what L1 saw when it did not, and why."""

from __future__ import annotations

import html

from ..bugs import BUGS
from ..limits import counted
from ..result import Result
from ..trace import Kind
from ..views.snapshot import Snapshot
from ..views.style import OKABE_ITO

GOOD, BAD = OKABE_ITO["bluish_green"], OKABE_ITO["vermillion"]


def _box(color: str, body: str) -> str:
    return (f"<div class='nvmx-status' style='border-left:5px solid {color};padding:4px 10px;"
            f"margin:4px 0'>{body}</div>")


def _items(lines: list[str]) -> str:
    if not lines:
        return ""
    return "<ul style='margin:2px 0'>" + "".join(f"<li>{html.escape(t)}</li>" for t in lines) \
        + "</ul>"


def failed_entries(result: Result) -> list[str]:
    """What L1 saw of each failed VMLAUNCH/VMRESUME, in the words of the SDM."""
    return [f"L1's {e.name} failed: {e.why}" for e in result.events if e.kind == Kind.VMFAIL]


def costs(result: Result) -> str:
    s = result.stats
    l1 = s.get("l1_exits", 0)
    parts = [f"{counted(l1, 'exit')} {'reaches' if l1 == 1 else 'reach'} L1",
             counted(s.get("steps", 0), "step")]
    if result.mode == "nested":
        parts[1:1] = [f"{counted(s.get('l0_exits', 0), 'hardware exit')} to L0",
                      counted(s.get("loop_iterations", 0), "vcpu_enter_guest iteration")]
    return ", ".join(parts)


def verdict(snap: Snapshot, notice: str | None = None) -> str:
    c = snap.comparison
    if c.ok and not c.delays:
        head = "✓ L1 and L2 observe exactly what they observe on bare metal."
    elif c.ok:
        head = "✓ L1 and L2 observe the same events as on bare metal, at other times:"
    else:
        head = "✗ The nested run differs from bare metal:"
    body = f"<b>{html.escape(head)}</b>" + _items(c.mismatches + c.delays)
    body += _items(failed_entries(snap.nested))
    body += _items([f"violation: {v}" for v in snap.nested.violations])
    body += _items([f"why: {n}" for n in c.notes])
    if snap.nested.status not in ("settled",):
        body += _items([f"nested run ended {snap.nested.status}: {snap.nested.detail}"])
    body += _items([f"bug on, {b}: {BUGS[b].summary}" for b in snap.scenario.bugs if b in BUGS])
    body += (f"<div style='color:#555'>cost: nested {html.escape(costs(snap.nested))}; "
             f"bare metal {html.escape(costs(snap.bare))}</div>")
    if notice:
        body += f"<div><b>Note:</b> {html.escape(notice)}.</div>"
    return _box(GOOD if c.ok else BAD, body)


def refused(message: str, what: str, set_back: bool) -> str:
    """`what` refused, and whether the controls went back to the run shown (`set_back`) or
    the lab was left as it was."""
    kept = ("the controls are set back to the run the lab still shows" if set_back
            else "the lab still shows the last run")
    return _box(BAD, f"<b>✗ {html.escape(what)} is refused</b> ({kept}):<br>"
                     f"<code>{html.escape(message)}</code>")


def paste_refused(message: str) -> str:
    """Beside the paste box: why the string pasted there was not loaded."""
    return _box(BAD, "<b>✗ Not loaded: this share string is refused</b> (mend it in the box "
                     f"and press Enter again):<br><code>{html.escape(message)}</code>")


def paste_loaded(name: str, step: int, world: str, notice: str | None) -> str:
    """Beside the paste box: what the pasted string loaded, and what the lab made of its
    step if it had to."""
    where = "bare metal" if world == "bare" else "nested"
    body = f"<b>✓ Loaded</b> “{html.escape(name)}”, at step {step}, {where}."
    if notice:
        body += f"<br><b>Note:</b> {html.escape(notice)}."
    return _box(GOOD, body)


def cannot_open(message: str) -> str:
    return _box(BAD, "<b>✗ The lab cannot open this</b> (fix the argument and run the cell "
                     f"again):<br><code>{html.escape(message)}</code>")


def engine_failed(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    return _box(BAD, "<b>✗ The engine could not run this combination</b> (a bug in nvmxlab, "
                     "please report it with the share string below; the diagram still shows "
                     f"the last run):<br><code>{html.escape(text)}</code>")
