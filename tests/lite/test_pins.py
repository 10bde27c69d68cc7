"""The site's pins stay in step with the lab extra and Binder's pins (cheap, offline)."""

from __future__ import annotations

import json
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .paths import REPO

LITE = REPO / "lite"


def requirements(path) -> dict[str, Requirement]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    parsed = [Requirement(line) for line in lines if line and line != "."]
    return {canonicalize_name(req.name): req for req in parsed}


def exact(requirement: Requirement) -> str:
    (spec,) = requirement.specifier
    assert spec.operator == "==", f"{requirement} should be pinned exactly"
    return spec.version


def lab_extra() -> dict[str, Requirement]:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    lab = pyproject["project"]["optional-dependencies"]["lab"]
    return {canonicalize_name(req.name): req for req in map(Requirement, lab)}


def test_the_site_ships_the_lab_extra_at_binders_versions():
    site = requirements(LITE / "requirements.txt")
    binder = requirements(REPO / "binder" / "requirements.txt")
    # JupyterLab itself is the site's page, built by jupyterlite-core, not a kernel package.
    for name in set(lab_extra()) - {"jupyterlab"}:
        assert name in site, f"lite/requirements.txt does not ship {name} (lab extra)"
        assert exact(site[name]) == exact(binder[name]), name


def test_every_site_wheel_is_pinned_exactly():
    for requirement in requirements(LITE / "requirements.txt").values():
        exact(requirement)


def test_the_build_tools_are_pinned_exactly_and_match_each_other():
    tools = requirements(LITE / "build-requirements.txt")
    assert {"jupyterlite-core", "jupyterlite-pyodide-kernel", "jupyter-server"} <= set(tools)
    for requirement in tools.values():
        exact(requirement)
    # The kernel's releases follow the core's; 0.8.7 of the kernel needs core 0.8.7.
    core, kernel = exact(tools["jupyterlite-core"]), exact(tools["jupyterlite-pyodide-kernel"])
    assert core.rsplit(".", 1)[0] == kernel.rsplit(".", 1)[0]


def test_the_pyodide_runtime_is_pinned_in_package_json_and_its_lock():
    package = json.loads((LITE / "package.json").read_text())
    lock = json.loads((LITE / "package-lock.json").read_text())
    version = package["dependencies"]["pyodide"]
    assert lock["packages"]["node_modules/pyodide"]["version"] == version
    assert lock["packages"]["node_modules/pyodide"]["integrity"].startswith("sha512-")
