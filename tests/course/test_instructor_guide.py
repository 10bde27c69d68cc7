"""The instructor guide and the Binder entry point: what an instructor relies on."""

import json
import re
from pathlib import Path

import pytest

import nvmxlab
from nvmxlab import moments

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "notebooks" / "instructor" / "guide.ipynb"
TOML_BLOCK = re.compile(r"```toml\n(.*?)```", re.S)


def cells(kind: str) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(GUIDE.read_text())["cells"]
            if c["cell_type"] == kind]


def guide() -> str:
    """The guide's prose: a notebook, so that JupyterLab opens it rendered."""
    return "\n\n".join(cells("markdown"))


@pytest.mark.parametrize("section", ["## A 50-minute walkthrough", "### What to project when",
                                     "## Questions students ask", "## Writing new scenarios",
                                     "## Releasing, collecting and grading"])
def test_the_guide_has_the_section(section):
    assert section in guide()


def test_the_walkthrough_plan_adds_up_to_50_minutes():
    ends = [int(end) for end in re.findall(r"^\| \d+–(\d+) \|", guide(), re.M)]
    assert ends == sorted(ends) and ends[-1] == 50


def test_the_guides_links_resolve():
    targets = re.findall(r"\]\(([^)\s]+)\)", guide())
    assert targets
    assert [t for t in targets if not (GUIDE.parent / t).exists()] == []


def test_the_guides_example_scenario_loads_and_matches_bare_metal():
    (example,) = TOML_BLOCK.findall(guide())
    assert nvmxlab.check(nvmxlab.loads(example, "guide example")).ok


def test_the_binder_badge_opens_the_welcome_notebook():
    badge = re.search(r"mybinder\.org/v2/gh/\S+?urlpath=lab/tree/(\S+?)\)",
                      (ROOT / "README.md").read_text())
    assert badge and badge.group(1) == "notebooks/00-welcome.ipynb"
    assert (ROOT / badge.group(1)).exists()


def test_the_guide_names_no_step_number_by_hand():
    assert re.findall(r"\bsteps? \d+", guide()) == []


@pytest.mark.notebook
def test_the_guides_step_table_is_computed_from_the_scenarios_when_it_runs():
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(GUIDE, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    shown = "".join(o.get("data", {}).get("text/markdown", "") for c in notebook.cells
                    if c.cell_type == "code" for o in c.outputs)
    expected = moments.markdown({name: nvmxlab.run(nvmxlab.load_bundled(name))
                                 for name in ("seed-interrupt", "ack-on-exit-modern")})
    assert shown == expected
    emulated = next(m for m in moments.moments(nvmxlab.run(nvmxlab.load_bundled(
        "seed-interrupt"))) if m.label == "L0 emulates the exit to L1")
    assert f"| L0 emulates the exit to L1 | {emulated.seq} |" in shown


@pytest.mark.parametrize("command", ["nbgrader generate_assignment nested-irq",
                                     "python3 dev.py release", "course/submitted/",
                                     "nbgrader autograde nested-irq", "nbgrader export",
                                     "nbgrader generate_feedback nested-irq"])
def test_the_guide_says_how_to_release_collect_and_grade(command):
    assert command in guide()


def test_the_guide_says_where_the_solutions_are_and_that_the_release_has_none():
    text = guide()
    assert "course/source/nested-irq/" in text and "no solution" in text


def test_the_guide_has_no_outputs_committed():
    notebook = json.loads(GUIDE.read_text())
    assert [c for c in notebook["cells"] if c["cell_type"] == "code" and c["outputs"]] == []
