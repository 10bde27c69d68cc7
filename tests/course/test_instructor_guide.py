"""The instructor guide and the Binder entry point: what an instructor relies on."""

import re
from pathlib import Path

import pytest

import nvmxlab

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "notebooks" / "instructor" / "guide.md"
TOML_BLOCK = re.compile(r"```toml\n(.*?)```", re.S)


def guide() -> str:
    return GUIDE.read_text()


@pytest.mark.parametrize("section", ["## A 50-minute walkthrough", "### What to project when",
                                     "## Questions students ask", "## Writing new scenarios",
                                     "## Grading with nbgrader"])
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
