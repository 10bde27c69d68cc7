"""lite/build_site.py's rules, and the built site's promises, checked on its files.

The rules are tested on small made-up inputs; the site tests read build/lite/ (built by
`python3 dev.py test` before pytest runs) without a browser.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from .paths import REPO, load_lite_module

build_site = load_lite_module("build_site")
SIZE_LIMIT_MB = 60


def make_wheel(folder: Path, name: str, version: str, requires: list[str]) -> Path:
    path = folder / f"{name}-{version}-py3-none-any.whl"
    dist = f"{name}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {line}\n" for line in requires)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}/__init__.py", "")
        archive.writestr(f"{dist}/METADATA", metadata)
    return path


# --- the rules ---------------------------------------------------------------------------


def test_a_pin_must_name_one_exact_version(tmp_path):
    pins = tmp_path / "requirements.txt"
    pins.write_text("plotly>=7\n")
    with pytest.raises(build_site.BuildError, match=r"requirements.txt:1: 'plotly>=7'"):
        build_site.read_pins(pins)


def test_pins_are_read_by_canonical_name(tmp_path):
    pins = tmp_path / "requirements.txt"
    pins.write_text("# comment\njupyterlab_widgets==3.0.17  # why\n")
    assert build_site.read_pins(pins) == {"jupyterlab-widgets": "3.0.17"}


def test_the_lock_closure_follows_depends_by_the_locks_own_names():
    packages = {
        "ipython": {"depends": ["stack-data", "traitlets"]},
        "stack-data": {"depends": ["pure-eval"]},
        "pure-eval": {"depends": []},
        "traitlets": {"depends": []},
        "numpy": {"depends": []},
    }
    closure = build_site.lock_closure(packages, ["IPython"])
    assert closure == ["ipython", "pure-eval", "stack-data", "traitlets"]


def test_a_shipped_lock_entry_carries_the_sha256_of_the_file_shipped(tmp_path):
    wheel = make_wheel(tmp_path, "parso", "0.8.6", [])
    entry = {"name": "parso", "file_name": "parso-0.8.6-py2.py3-none-any.whl", "sha256": "ab"}
    shipped = build_site.shipped_entry(entry, wheel, wheel.name)
    assert shipped["sha256"] == hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert shipped["file_name"] == wheel.name


def test_a_course_wheel_depends_on_its_requirements_outside_extras(tmp_path):
    wheel = build_site.read_wheel(
        make_wheel(tmp_path, "anywidget", "0.11.0", ["psygnal>=0.8", 'pytest; extra == "dev"'])
    )
    assert build_site.course_depends(wheel, {"psygnal"}) == ["psygnal"]


def test_the_projects_lock_entry_depends_on_its_lab_extra_but_jupyterlab(tmp_path):
    wheel = build_site.read_wheel(
        make_wheel(tmp_path, "nvmxlab", "0.1.0",
                   ['plotly>=6.1; extra == "lab"', 'jupyterlab>=4.2; extra == "lab"',
                    'pytest>=8; extra == "test"'])
    )  # fmt: skip
    assert build_site.course_depends(wheel, {"plotly"}) == ["plotly"]


def test_a_requirement_the_site_does_not_ship_stops_the_build(tmp_path):
    wheel = build_site.read_wheel(make_wheel(tmp_path, "plotly", "7.1.0", ["narwhals>=1.15"]))
    with pytest.raises(build_site.BuildError, match="requires narwhals.*lite/requirements.txt"):
        build_site.course_depends(wheel, set())


def test_source_maps_and_the_comments_naming_them_are_stripped(tmp_path):
    (tmp_path / "a.js").write_text("code();\n//# sourceMappingURL=a.js.map\n")
    (tmp_path / "a.js.map").write_text("{}")
    assert build_site.strip_source_maps(tmp_path) == 2
    assert not (tmp_path / "a.js.map").exists()
    assert (tmp_path / "a.js").read_text() == "code();\n"


def test_the_front_page_opens_the_first_notebook_and_keeps_jupyterlites_config_element():
    page = build_site.welcome_page("00-welcome.ipynb")
    assert "./lab/index.html?path=00-welcome.ipynb" in page
    assert 'id="jupyter-config-data"' in page and "data-jupyter-lite-root" in page


# --- the built site ----------------------------------------------------------------------


def site_lock(site_dir: Path) -> dict:
    return json.loads((site_dir / "static" / "pyodide" / "pyodide-lock.json").read_text())


def test_the_site_is_under_the_size_limit(site_dir):
    size = sum(path.stat().st_size for path in site_dir.rglob("*") if path.is_file())
    assert size < SIZE_LIMIT_MB * 1e6, f"{size / 1e6:.1f} MB"


def test_the_site_holds_no_source_map(site_dir):
    assert sorted(site_dir.rglob("*.map")) == []


def test_every_package_in_the_lock_is_shipped_with_its_sha256(site_dir):
    runtime = site_dir / "static" / "pyodide"
    for name, entry in site_lock(site_dir)["packages"].items():
        path = (runtime / entry["file_name"]).resolve()
        assert path.is_file(), f"{name}: {entry['file_name']} is not in the site"
        assert site_dir in path.parents
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], name


def test_the_lock_holds_the_kernels_packages_and_the_course(site_dir):
    packages = site_lock(site_dir)["packages"]
    wanted = {"micropip", "ipython", "jedi", "parso", "nvmxlab", "plotly", "ipywidgets",
              "anywidget", "networkx"}  # fmt: skip
    assert wanted <= set(packages)
    # Pyodide's own networkx entry depends on numpy and matplotlib, which the site leaves out.
    assert packages["networkx"]["depends"] == []
    assert "numpy" not in packages


def test_nothing_is_fetched_from_outside_the_site(site_dir):
    config = json.loads((site_dir / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    assert kernel["disablePyPIFallback"] is True
    assert kernel["pyodideUrl"] == "./static/pyodide/pyodide.mjs"
    assert all(url.startswith("./") for url in kernel["pipliteUrls"])


def test_the_site_brings_the_front_ends_of_widgets_anywidget_and_plotly(site_dir):
    config = json.loads((site_dir / "jupyter-lite.json").read_text())["jupyter-config-data"]
    names = {extension["name"] for extension in config["federated_extensions"]}
    assert {"@jupyter-widgets/jupyterlab-manager", "anywidget", "jupyterlab-plotly"} <= names


def test_the_site_holds_the_notebooks_as_the_repository_does(site_dir):
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        assert (site_dir / "files" / path.name).read_bytes() == path.read_bytes(), path.name
