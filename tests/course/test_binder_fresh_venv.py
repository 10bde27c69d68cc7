"""Binder installs only binder/requirements.txt into a clean image: do the same in a fresh
virtual environment and run the course there.

It downloads and installs JupyterLab and the lab's dependencies (about a minute), so it runs
in CI (CI=true) and when asked for with NVMXLAB_BINDER_VENV=1.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WANTED = os.environ.get("CI") == "true" or os.environ.get("NVMXLAB_BINDER_VENV") == "1"
# What repo2docker's base image brings besides JupyterLab: a kernel, and here the notebook
# runner the test uses.
BASE_IMAGE = ["ipykernel", "nbclient"]

RUN_ALL = textwrap.dedent("""
    import glob, json
    import nbformat
    from nbclient import NotebookClient

    problems = {}
    for path in sorted(glob.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        NotebookClient(notebook, timeout=180, kernel_name="python3").execute()
        problems[path] = [o.get("evalue") or o.get("text") for cell in notebook.cells
                          for o in cell.get("outputs", [])
                          if o["output_type"] == "error" or o.get("name") == "stderr"]
    print(json.dumps(problems))
""")


@pytest.mark.notebook
@pytest.mark.skipif(not WANTED, reason="installs from the package index: CI=true or "
                    "NVMXLAB_BINDER_VENV=1 runs it")
def test_the_binder_pins_install_in_a_fresh_venv_and_run_every_notebook(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    python = venv / "bin" / "python"
    # From the repository root, as repo2docker runs it: the file's "." is this project.
    subprocess.run([python, "-m", "pip", "install", "--quiet", "-r",
                    "binder/requirements.txt", *BASE_IMAGE], cwd=ROOT, check=True)
    # A copy of the notebooks, away from the source tree: the installed package must serve.
    course = tmp_path / "notebooks"
    course.mkdir()
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        shutil.copy(notebook, course)
    done = subprocess.run([python, "-c", RUN_ALL], cwd=course, capture_output=True,
                          text=True, check=True)
    problems = json.loads(done.stdout.strip().splitlines()[-1])
    assert sorted(problems) == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert {name: found for name, found in problems.items() if found} == {}
