"""How long each course notebook takes to run top to bottom, headless (nbclient, no browser):
the kernel's share of "run all", one fresh kernel per notebook, one notebook at a time.

bench_browser.py times the same "run all" in JupyterLab, where the widgets' front ends load too.

    python benchmarks/bench_notebooks.py [--repeat N]

A benchmark, not a test: it prints numbers and never fails because a machine is slow.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _context import machine  # noqa: E402

COURSE = Path(__file__).resolve().parents[1] / "notebooks"


def run_once(path: Path) -> tuple[float, int]:
    """Seconds from kernel start to the last cell's reply, and the number of error outputs."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=300, kernel_name="python3", allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )  # fmt: skip
    start = time.perf_counter()
    # The kernel's stderr holds only its start-up warning about unencrypted local TCP.
    client.execute(stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    errors = sum(
        1
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    )
    return seconds, errors


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per notebook (median)")
    # dev.py bench passes the same arguments to every script: ignore the others' options.
    args, _ = parser.parse_known_args(argv)
    print(machine("nbclient", "ipykernel", "plotly", "ipywidgets"))
    paths = sorted(COURSE.glob("*.ipynb"))
    if not paths:
        print("no notebooks/*.ipynb: nothing to run")
        return 0
    print(f"\nrun all, headless, fresh kernel each time (median of {args.repeat}):")
    total = 0.0
    for path in paths:
        runs = [run_once(path) for _ in range(args.repeat)]
        seconds = statistics.median(s for s, _ in runs)
        errors = max(e for _, e in runs)
        total += seconds
        note = f"  ({errors} error outputs)" if errors else ""
        print(f"  {path.name:<32} {seconds:6.2f} s{note}")
    print(f"  {'all ' + str(len(paths)) + ' notebooks':<32} {total:6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
