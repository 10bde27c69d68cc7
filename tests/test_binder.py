"""Binder installs from binder/, never from pyproject.toml: keep the two in step.

Cheap and offline: it only parses files. The install itself was checked by hand with
`python3 -m venv /tmp/b && /tmp/b/bin/pip install -r binder/requirements.txt` (repo root).
"""

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"


def binder_lines() -> list[str]:
    lines = (BINDER / "requirements.txt").read_text().splitlines()
    stripped = (line.split("#", 1)[0].strip() for line in lines)
    return [line for line in stripped if line]


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def by_name(requirements: list[str]) -> dict[str, Requirement]:
    parsed = [Requirement(text) for text in requirements]
    return {canonicalize_name(req.name): req for req in parsed}


def test_binder_installs_the_package_itself():
    # repo2docker runs pip from the repository root, so "." is this project.
    assert "." in binder_lines()


def test_binder_pins_exactly_the_lab_extra():
    pins = by_name([line for line in binder_lines() if line != "."])
    lab = by_name(pyproject()["project"]["optional-dependencies"]["lab"])
    assert sorted(pins) == sorted(lab)
    for name, pin in pins.items():
        (spec,) = pin.specifier
        assert spec.operator == "==", f"{name} should be pinned exactly in binder/"
        assert lab[name].specifier.contains(spec.version), (
            f"binder pins {name}=={spec.version}, outside pyproject's {lab[name].specifier}"
        )


def test_binder_python_satisfies_requires_python():
    runtime = (BINDER / "runtime.txt").read_text().strip()
    assert runtime.startswith("python-")
    requires = SpecifierSet(pyproject()["project"]["requires-python"])
    assert requires.contains(runtime.removeprefix("python-") + ".0")
