"""The learner release: `nbgrader generate_assignment` run on this course, copied to notebooks/.

    python3 dev.py release          (or: .venv/bin/python course/release.py)

The instructor edits source/nested-irq/*.ipynb, where the solutions and hidden tests live;
notebooks/ (what Binder, JupyterLite and `dev.py lab` open) is only ever written from here,
and tests/course/test_nbgrader.py fails when it drifts from a fresh generation.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

COURSE = Path(__file__).resolve().parent
ROOT = COURSE.parent
ASSIGNMENT = "nested-irq"
LEARNER = ROOT / "notebooks"


def nbgrader(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run nbgrader from this Python's environment in the course directory `workdir`."""
    bin_dir = Path(sys.executable).parent
    # nbgrader runs `alembic` (its database migrations) as a subprocess, found on PATH.
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([str(bin_dir / "nbgrader"), *args, "--log-level=WARN"], cwd=workdir,
                          env=env, capture_output=True, text=True, check=check)


def copy_course(workdir: Path) -> Path:
    """The instructor's files (config and sources) in a fresh course directory, no database."""
    shutil.copy(COURSE / "nbgrader_config.py", workdir)
    shutil.copytree(COURSE / "source", workdir / "source")
    return workdir


def generate(workdir: Path) -> Path:
    """Generate the release in a copy of the course at `workdir`; the release's folder."""
    copy_course(workdir)
    nbgrader(workdir, "generate_assignment", ASSIGNMENT, "--force")
    return workdir / "release" / ASSIGNMENT


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        release = generate(Path(tmp))
        for old in LEARNER.glob("*.ipynb"):
            old.unlink()
        for notebook in sorted(release.glob("*.ipynb")):
            shutil.copy(notebook, LEARNER / notebook.name)
            print(f"notebooks/{notebook.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
