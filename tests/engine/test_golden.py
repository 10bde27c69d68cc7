"""Behaviour pinned byte for byte: every bundled scenario's outputs, in both worlds and under
every policy, equal the files in golden/ (written by golden.py; JSON compared as data in key
order, its whitespace aside)."""

import difflib

import pytest
from golden import GOLDEN, outputs

import nvmxlab


@pytest.mark.parametrize("name", nvmxlab.bundled())
def test_every_output_of_the_bundled_scenario_equals_its_golden_file(name):
    expected = {p.name: p.read_text(encoding="utf-8") for p in (GOLDEN / name).iterdir()}
    actual = outputs(name)
    assert sorted(actual) == sorted(expected)
    for file, content in actual.items():
        if content != expected[file]:
            diff = "".join(list(difflib.unified_diff(
                expected[file].splitlines(True), content.splitlines(True),
                f"golden/{name}/{file}", "today"))[:40])
            pytest.fail(f"{name}/{file} differs from its golden file:\n{diff}")


def test_every_bundled_scenario_has_golden_files():
    assert sorted(p.name for p in GOLDEN.iterdir()) == nvmxlab.bundled()
