"""What a learner waits for in the JupyterLite site: the kernel ready (the page opened until the
Pyodide kernel is idle), "run all" -> the lab drawn, and click -> repainted diagram.

Each run is a fresh browser context on the site served from 127.0.0.1 (every other request
aborted), so each kernel start is a cold one, as for a learner's first visit; the browser's
HTTP cache is per context too. The measuring code is the tests' own (tests/lite/,
tests/browser/), so these numbers and the test output agree.

    python benchmarks/bench_lite.py [--runs N] [--clicks N] [--quick]

The site must be built (`python3 dev.py lite`; `dev.py test` builds it too). A benchmark, not
a test: it prints numbers and never fails because a machine is slow. Without the site,
Chromium or Playwright it says why and exits 0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
# The tests' packages (browser, lite) are imported as pytest imports them: from tests/.
sys.path.insert(0, str(REPO / "tests"))
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

from _context import browser_missing, machine  # noqa: E402

SITE = REPO / "build" / "lite"
NOTEBOOK = "lab-bench.ipynb"
GOALS = {"kernel ready": 15.0, "run all -> lab": 20.0}  # seconds, the goals


def unavailable() -> str | None:
    if not (SITE / "index.html").is_file():
        return f"{SITE.relative_to(REPO)}/ holds no site (python3 dev.py lite builds it)"
    return browser_missing()


def one_run(browser, site, clicks: int, index: int) -> dict:
    from browser.labview import LAB_CELL, measure_lab_clicks, run_lab
    from lite.drive import open_timed, save_notebook
    from lite.pages import lite_page

    with lite_page(browser, site, f"bench-{index}") as (page, requests):
        page.page.goto(site.url)
        save_notebook(page, NOTEBOOK, [LAB_CELL])
        kernel_s = open_timed(page, NOTEBOOK)
        run = run_lab(page, NOTEBOOK)
        result = {
            "kernel ready": kernel_s, "run all -> lab": None, "clicks": None,
            "left the site": list(requests.aborted), "missing": list(requests.missing),
        }  # fmt: skip
        if not run.rendered:
            result["failure"] = f"the lab did not render: {run.missing}; errors {run.errors}"
            return result
        if run.first_render_ms is not None:
            result["run all -> lab"] = run.first_render_ms / 1000
        result["clicks"] = measure_lab_clicks(page, clicks=clicks)
        return result


def spread(values: list[float]) -> str:
    if not values:
        return "no value"
    text = ", ".join(f"{v:.1f}" for v in values)
    return f"median {statistics.median(values):.1f} s (runs: {text})"


def report(results: list[dict]) -> None:
    for name, goal in GOALS.items():
        values = [r[name] for r in results if r[name] is not None]
        worst = max(values) if values else None
        verdict = ""
        if worst is not None:  # every run counts: a learner may get the slowest
            verdict = f"; slowest {'within' if worst <= goal else 'OVER'} the {goal:.0f} s goal"
        print(f"{name}: {spread(values)}{verdict}")
    clicks = [r["clicks"] for r in results if r["clicks"] is not None]
    for index, measurement in enumerate(clicks, 1):
        print(f"run {index}: {measurement.summary()}")
    if clicks:
        p50 = statistics.median(m.p50 for m in clicks)
        p95 = statistics.median(m.p95 for m in clicks)
        print(f"click -> repaint: median of the runs' p50 {p50:.1f} ms, of their p95 {p95:.1f} ms")
    for index, result in enumerate(results, 1):
        for key in ("failure", "left the site", "missing"):
            if result.get(key):
                print(f"run {index}: {key}: {result[key]}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="cold starts of the site")
    parser.add_argument("--clicks", type=int, default=None, help="clicks per run")
    parser.add_argument("--quick", action="store_true", help="one run, fewer clicks")
    # dev.py bench passes the same arguments to every script: ignore the others' options.
    args, _ = parser.parse_known_args(argv)
    print(machine("playwright"))
    reason = unavailable()
    if reason:
        print(f"JupyterLite benchmark skipped: {reason}")
        return 0
    from browser.latency import CLICKS
    from browser.server import chromium
    from lite.pages import LiteSite, load_lite_module

    runs = 1 if args.quick else args.runs
    clicks = args.clicks or (10 if args.quick else CLICKS)
    serve = load_lite_module("serve")
    size = sum(p.stat().st_size for p in SITE.rglob("*") if p.is_file())
    print(f"site: {SITE.relative_to(REPO)}/ {size / 1e6:.1f} MB; {runs} cold run(s), "
          f"{clicks} clicks each")  # fmt: skip
    with serve.serving(SITE) as url, chromium() as browser:
        site = LiteSite(url, SITE / "files")
        results = [one_run(browser, site, clicks, index) for index in range(1, runs + 1)]
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
