"""What the lab must show for a configuration, worked out without the page.

The share string the page shows names the configuration (scenario, step, world); from it the
public API computes the verdict (`nvmxlab.check`), the runs and their costs (`nvmxlab.run`),
the step and its state (`step_states`, `state_graph`), and a comparison's other side.  The
diagram the page draws must equal, trace by trace, the figure a fresh lab opened on the same
share string at the same width holds (its marks, labels and arrows: nothing of an earlier run).

`differences(shown)` lists every panel that disagrees, in words, so one failure tells all.
"""

from __future__ import annotations

import nvmxlab
from nvmxlab import share
from nvmxlab.views.changes import BEFORE
from nvmxlab.views.explain import WORLD_NAMES
from nvmxlab.views.sequence import MAX_EVENTS
from nvmxlab.views.stategraph import node_lines, state_graph
from nvmxlab.views.states import step_states
from nvmxlab.widgets import Lab
from nvmxlab.widgets.compare import VARIANTS

from .labview import highlighted_state, trace_names


def drawn_counts(fig, names: dict[str, int]) -> dict[str, dict]:
    """What each trace of a Python figure puts on a page: its line segments, its markers and
    its texts, by the trace's mode."""
    out = {}
    for name, index in names.items():
        trace = fig.data[index]
        xs, ys = list(trace.x or ()), list(trace.y or ())
        points = [(x, y) for x, y in zip(xs, ys, strict=True) if x is not None and y is not None]
        texts = trace.text if isinstance(trace.text, list | tuple) else [trace.text] * len(xs)
        mode = trace.mode or ""
        counts: dict = {}
        if "lines" in mode:
            counts["segments"] = sum(1 for k, x in enumerate(xs)
                                     if x is not None and (k + 1 == len(xs) or xs[k + 1] is None))
        if "markers" in mode:
            counts["points"] = len(points)
        if "text" in mode:
            counts["texts"] = sorted(t.replace("<br>", " ") for t, x in zip(texts, xs, strict=False)
                                     if t and x is not None)
        out[name] = counts
    return out


def page_counts(shown_traces: dict, expected: dict[str, dict]) -> dict[str, dict]:
    """The page's traces, counted as `drawn_counts` counts the expected ones."""
    out = {}
    for name, want in expected.items():
        got = shown_traces[name]
        counts = {"segments": got["segments"], "points": len(got["points"]),
                  "texts": sorted(got["texts"])}
        out[name] = {k: v for k, v in counts.items() if k in want}
    return out


def _exits(n: int, what: str = "exit") -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def differences(shown: dict) -> list[str]:
    """Every way the page `shown` (labview.read_lab) differs from what its own share string's
    configuration must show."""
    found: list[str] = []

    def expect(what: str, ok: bool, detail: str) -> None:
        if not ok:
            found.append(f"{what}: {detail}")

    shared = share.decode(shown["share"])
    scenario, world, step = shared.scenario, shared.mode, shared.step
    report = nvmxlab.check(scenario)
    result = report.nested if world == "nested" else report.bare
    steps = min(len(result.events), MAX_EVENTS)

    expect("header", shown["header"] == scenario.name, f"{shown['header']!r}")
    _description(shown, scenario, expect)
    verdict = shown["verdict"] or ""
    expect("verdict", verdict.startswith("✓" if report.ok else "✗"),
           f"check() says ok={report.ok}, the page says {verdict[:120]!r}")
    l1 = report.nested.stats["l1_exits"]
    costs = (f"nested {_exits(l1)} {'reaches' if l1 == 1 else 'reach'} L1, "
             f"{_exits(report.nested.stats['l0_exits'], 'hardware exit')} to L0")
    expect("costs", costs in verdict, f"{costs!r} not in {verdict[-200:]!r}")
    expect("world toggle", shown["world"] == ("nested" if world == "nested" else "bare metal"),
           f"{shown['world']!r} for mode {world!r}")
    head = f"{WORLD_NAMES[world]} · step {step} (steps 0–{steps - 1})"
    expect("step text", (shown["step_text"] or "").startswith(head),
           f"{shown['step_text']!r} does not start with {head!r}")
    expect("player", shown["player"] == {"value": step, "max": steps - 1},
           f"{shown['player']} for step {step} of {steps}")

    # The controls show the configuration the share string names.
    vmcs12 = scenario.vmcs12
    for label, value in (("PIN_BASED_EXT_INTR_MASK", vmcs12["external_interrupt_exiting"]),
                         ("VM_EXIT_ACK_INTR_ON_EXIT", vmcs12["ack_interrupt_on_exit"]),
                         ("L2 RFLAGS.IF", scenario.l2["rflags_if"])):
        expect(f"checkbox {label}", shown["checkboxes"].get(label) == value,
               f"{shown['checkboxes'].get(label)} where the configuration has {value}")
    expect("policy", shown["selects"].get("L0 policy") == [scenario.policy],
           f"{shown['selects'].get('L0 policy')} for {scenario.policy}")
    expect("teaching bugs", sorted(shown["selects"].get("teaching bugs", [])) ==
           sorted(scenario.bugs), f"{shown['selects'].get('teaching bugs')} for {scenario.bugs}")

    # The state graph rings the state of the step shown.
    path = state_graph(step_states(result, MAX_EVENTS)).path
    want = " ".join(node_lines(path[step])) if step is not None and step < len(path) else None
    ringed = highlighted_state(shown["graph"])
    expect("state graph highlight", ringed == want, f"ring on {ringed!r}, step {step} is {want!r}")

    _compare_panel(shown, scenario, report, expect)
    _figures(shown, expect)
    return found


def _description(shown: dict, scenario, expect) -> None:
    """The scenario's description under its name: marked as describing the scenario before
    the changes the name lists when the configuration is a changed one, as is."""
    header = (shown.get("header_text") or "").replace("\n", " ")
    changed = scenario.description.startswith(BEFORE) or scenario.explain.startswith(BEFORE)
    description = scenario.description.removeprefix(BEFORE)
    if description:
        expect("description", description in header, f"{description!r} not in {header!r}")
    expect("description marked", ("Before the changes:" in header) == (changed and
                                                                      bool(description)),
           f"changed={changed}, the header says {header[:200]!r}")
    expect("changes said", ("Changed by the controls" in header) <= changed,
           f"the header says the controls changed an unchanged scenario: {header[:200]!r}")


def _compare_panel(shown: dict, scenario, report, expect) -> None:
    variants = {VARIANTS[key](scenario)[0]: VARIANTS[key](scenario)[1] for key in VARIANTS}
    label = (shown["compare_choice"] or "").replace("\xa0", " ")
    expect("comparison choice", label in variants, f"{label!r} is not a variation of this lab")
    if label not in variants:
        return
    table = shown["compare"] or ""
    try:
        other = nvmxlab.check(scenario.with_overrides(variants[label]))
    except nvmxlab.ScenarioError:
        expect("comparison", "refused" in table, f"B is refused, the table says {table[:80]!r}")
        return
    first_row = table.splitlines()[1] if len(table.splitlines()) > 1 else table
    for side, c in (("A", report), ("B", other)):
        word = "✓ matches bare metal" if c.ok else "✗"
        expect(f"comparison verdict {side}", word in first_row,
               f"{first_row!r} lacks {word!r} for {side}")
    costs = f"{_exits(other.nested.stats['l0_exits'], 'hardware exit')} to L0"
    expect("comparison cost B", costs in table, f"{costs!r} not in the table")


def _figures(shown: dict, expect) -> None:
    fresh = Lab(shown["share"])
    try:
        fresh.fit.width = round(shown["figure_width"])  # as the page reports it to its lab
        names_of = trace_names()
        for part, fig, names in (("diagram", fresh.figure, names_of["sequence"]),
                                 ("state graph", fresh.graph, names_of["graph"])):
            want = drawn_counts(fig, names)
            got = page_counts(shown["diagram" if part == "diagram" else "graph"], want)
            for name in want:
                expect(f"{part} trace {name}", got[name] == want[name],
                       f"page draws {got[name]}, a fresh lab {want[name]}")
        titles = shown["diagram"]["titles"]["texts"]
        nested, bare = fresh.result, fresh.bare
        for part, stats in (("Nested", nested.stats), ("Bare metal", bare.stats)):
            title = next((t for t in titles if t.startswith(part)), None)
            l1 = f"L1 sees {_exits(stats['l1_exits'])}"
            expect(f"{part} panel title", title is not None and l1 in title,
                   f"{title!r} lacks {l1!r}")
    finally:
        fresh.close()
