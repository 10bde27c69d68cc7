"""How long the lab takes, in Python, from a control change to the updated figure.

For every bundled scenario a Lab is opened, then each control is toggled back and forth; one
sample is the time of one `control.value = …` assignment, which runs the engine in both worlds,
compares them, maps the traces to the diagram, updates the FigureWidgets and the panels.  The
mapping alone (results → diagram data and state graphs, no engine, no widgets) and one
animation step are timed too.  The browser's repaint is measured by the browser tests.

    .venv/bin/python benchmarks/bench_lab.py [--repeat N] [--scenario NAME]...

Target: a median under 50 ms for a control change.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

import nvmxlab
from nvmxlab.views.sequence import build
from nvmxlab.views.stategraph import state_graph
from nvmxlab.widgets import Lab
from nvmxlab.widgets.controls import SPECS

TARGET_MS = 50.0


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def other_value(widget) -> object:
    """A different legal value for a control, to toggle it to."""
    if hasattr(widget, "options") and not hasattr(widget, "rows"):  # Dropdown
        values = [o[1] if isinstance(o, tuple) else o for o in widget.options]
        return next(v for v in values if v != widget.value)
    if isinstance(widget.value, bool):
        return not widget.value
    if isinstance(widget.value, int):
        return widget.value + 1 if widget.value < widget.max else widget.value - 1
    return () if widget.value else (widget.options[0],)  # SelectMultiple: bugs


def toggles(lab: Lab, repeat: int) -> list[float]:
    samples = []
    for spec in SPECS:
        widget = lab.controls[spec.key]
        if getattr(widget, "disabled", False):
            continue
        original = widget.value
        for _ in range(repeat):
            samples.append(timed(lambda w=widget: setattr(w, "value", other_value(w))))
            samples.append(timed(lambda w=widget, v=original: setattr(w, "value", v)))
    return samples


def mapping(name: str, repeat: int) -> list[float]:
    c = nvmxlab.check(nvmxlab.resolve(name))

    def once() -> None:
        data = build({"nested": c.nested, "bare": c.bare})
        for wt in data.worlds.values():
            state_graph(wt.states)
    return [timed(once) for _ in range(repeat)]


def steps(lab: Lab, repeat: int) -> list[float]:
    count = lab.snapshot.steps(lab.world)
    return [timed(lambda i=i: lab.show_step(i % count)) for i in range(repeat * 4)]


def summary(label: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (f"{label:<40} n={len(samples):<4} median {statistics.median(samples):6.2f} ms  "
            f"p95 {p95:6.2f} ms  max {ordered[-1]:6.2f} ms")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scenario", action="append", default=None)
    args, _ = parser.parse_known_args(argv)  # dev.py bench passes every script the same options
    names = args.scenario or nvmxlab.bundled()
    Lab(names[0]).close()  # the first FigureWidget loads anywidget's bundle: not a toggle
    every_toggle, every_map, every_step = [], [], []
    for name in names:
        lab = Lab(name)
        t, m, s = toggles(lab, args.repeat), mapping(name, args.repeat), steps(lab, args.repeat)
        every_toggle += t
        every_map += m
        every_step += s
        lab.close()  # as a notebook holds one lab, not thirty
        print(summary(f"{name}: control change", t))
    print()
    print(summary("ALL: control change → updated figure", every_toggle))
    print(summary("ALL: mapping alone (trace → diagram)", every_map))
    print(summary("ALL: one animation step", every_step))
    median = statistics.median(every_toggle)
    verdict = "under" if median < TARGET_MS else "OVER"
    print(f"median control change {median:.1f} ms: {verdict} the {TARGET_MS:.0f} ms target")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
