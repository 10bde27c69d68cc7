"""What a learner waits for in the browser: click -> repainted diagram, click -> the whole lab
consistent (its last panel updated), "run all" -> first render of the lab, and "run all" of
every course notebook, in JupyterLab driven by headless Chromium.

The trivial FigureWidget of tests/browser/floor.py is measured in the same browser session as
the lab, and the lab is given as a ratio to it: the floor is what JupyterLab, the kernel round
trip and plotly cost by themselves on this machine. The measuring code is the browser tests'
own (tests/browser/), so these numbers and the test output agree.

    python benchmarks/bench_browser.py [--clicks N] [--quick]

--quick: fewer clicks, and no notebooks. A benchmark, not a test: it prints numbers and never
fails because a machine is slow. Without Chromium or Playwright it says why and exits 0.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

from _context import browser_missing, machine  # noqa: E402

# Goals for the lab's p95 against the floor's, and for its first render against the floor's.
GOALS = {"diagram repainted": 1.2, "whole lab consistent": 2.0, "first render": 1.2}


def unavailable() -> str | None:
    return browser_missing()


def ratio(value: float, floor: float) -> str:
    return f"x{value / floor:.2f}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clicks", type=int, default=None, help="clicks per measurement")
    parser.add_argument("--quick", action="store_true", help="fewer clicks, no notebooks")
    # dev.py bench passes the same arguments to every script: ignore the others' options.
    args, _ = parser.parse_known_args(argv)
    print(machine("jupyterlab", "ipywidgets", "plotly", "anywidget", "playwright"))
    reason = unavailable()
    if reason:
        print(f"browser benchmark skipped: {reason}")
        return 0

    from tests.browser.floor import run_floor
    from tests.browser.jupyterlab import ARTIFACTS, open_page, scratch_folder
    from tests.browser.labview import measure_lab
    from tests.browser.latency import CLICKS
    from tests.browser.server import chromium, jupyterlab

    clicks = args.clicks or (20 if args.quick else CLICKS)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as home, chromium() as browser:
        print(f"chromium: {browser.version} (headless, {len(os.sched_getaffinity(0))} CPUs)")
        log = ARTIFACTS / "bench-jupyter-server.log"
        with jupyterlab(Path(home), log) as server:
            with scratch_folder() as folder, open_page(browser, server, "bench-floor") as page:
                floor = run_floor(page, folder, clicks=clicks)
            with scratch_folder() as folder, open_page(browser, server, "bench-lab") as page:
                lab = measure_lab(page, folder, clicks=clicks)
            report(floor, lab)
            if not args.quick:
                notebooks(browser, server)
    print(f"\nbenchmark wall time {time.perf_counter() - started:.0f} s")
    return 0 if floor.measurement and lab.measurement else 1


def report(floor, lab) -> None:
    print("\nclick -> the clicked state on the page (after 2 warm-up clicks):")
    for run, what in ((floor, "floor"), (lab, "lab")):
        if run.measurement is None:
            print(f"  {what}: no measurement ({run.no_repaint or run.errors or 'not rendered'})")
        else:
            print("  " + run.measurement.summary().replace("\n", "\n  "))
    if floor.measurement and lab.measurement:
        f = floor.measurement
        for what, m in (("diagram repainted", lab.measurement),
                        ("whole lab consistent", lab.measurement.whole)):
            if m is None:
                continue
            p95 = m.p95 / f.p95
            verdict = "within" if p95 <= GOALS[what] else "NOT within"
            print(f"  lab, {what}: p50 {ratio(m.p50, f.p50)}, p95 {ratio(m.p95, f.p95)} the "
                  f"floor: p95 {verdict} the x{GOALS[what]} goal")
    print('\n"run all" -> first render (fresh kernel, until the figures are drawn):')
    for run, what in ((floor, "floor: trivial FigureWidget"), (lab, "lab: Lab(seed-interrupt)")):
        shown = f"{run.first_render_ms:.0f} ms" if run.first_render_ms is not None else "never"
        print(f"  {what}: {shown}")
    if floor.first_render_ms and lab.first_render_ms:
        first = lab.first_render_ms / floor.first_render_ms
        verdict = "within" if first <= GOALS["first render"] else "NOT within"
        print(f"  lab / floor: {ratio(lab.first_render_ms, floor.first_render_ms)} "
              f"({verdict} the x{GOALS['first render']} goal)")


def notebooks(browser, server) -> None:
    from tests.browser.jupyterlab import open_page

    paths = sorted(
        p.relative_to(REPO).as_posix()
        for p in (REPO / "notebooks").glob("*.ipynb")
    )  # fmt: skip
    print('\n"run all" of each course notebook in JupyterLab (its kernel started when it opened):')
    total = 0.0
    for path in paths:
        with open_page(browser, server, f"bench-{Path(path).stem}") as page:
            try:
                page.open_notebook(path)
                run = page.run_all_timed(path)
            finally:
                server.shutdown_kernels(path)
        total += run.run_ms
        failed = "" if run.ok else "  (a cell failed)"
        print(f"  {path:<40} {run.run_ms / 1000:6.2f} s{failed}")
    print(f"  {'all ' + str(len(paths)) + ' notebooks':<40} {total / 1000:6.2f} s")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
