"""Build the course as a JupyterLite site: JupyterLab and a Python kernel (Pyodide) that run in
the learner's browser, served as static files by any web host.

Run by `python3 dev.py lite` with the build environment's Python (build/lite-env), which holds
lite/build-requirements.txt. Everything the site needs at run time is put inside it:

- the Pyodide runtime from the npm package pinned in lite/package.json (its lock file, not a
  download address, is what npm checks), in <lite_dir>/static/pyodide, where
  jupyterlite-pyodide-kernel picks it up and sets `pyodideUrl` itself;
- the wheels the kernel loads from Pyodide's lock (micropip, ipython, jedi and their
  dependencies), fetched from PyPI at the lock's versions. PyPI's wheels are not Pyodide's
  rebuilt ones, so the lock's `sha256` entries are rewritten to the files shipped;
- the course's wheels (lite/requirements.txt and nvmxlab's own) as piplite wheels, which
  `%pip install` finds offline, and as lock entries, so that the kernel loads them when a cell
  imports them (pyodide-kernel calls Pyodide's `loadPackagesFromImports` before every cell);
- their front ends (ipywidgets' manager, anywidget, jupyterlab-plotly) as federated extensions.

The lock is cut down to what the site ships: an import of anything else fails at once with
ModuleNotFoundError instead of asking the web host for a file it does not have.
"""

from __future__ import annotations

import argparse
import email.parser
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LITE = ROOT / "lite"
NOTEBOOKS = ROOT / "notebooks"
WELCOME = "00-welcome.ipynb"

# What pyodide-kernel 0.8.6's worker loads at start from the lock (initPackageManager loads
# micropip; initKernel piplite-installs ipython and jedi, which micropip takes from the lock).
KERNEL_PACKAGES = ("micropip", "ipython", "jedi")
# Requirements of shipped wheels that the site leaves out on purpose, with the reason.
LEFT_OUT = {
    # ipywidgets requires it for the classic Notebook's front end; piplite ships a stand-in
    # (widgetsnbextension-4.0.999) so that pip's view of the environment stays whole.
    "widgetsnbextension": "the classic Notebook's widget front end, unused in JupyterLite",
}
# nvmxlab's lock entry depends on its `lab` extra: the widgets import plotly and networkx
# inside functions, where the kernel's import scan of a cell cannot see them.
PROJECT = "nvmxlab"
PROJECT_EXTRA = "lab"
# Files of the npm package that a learner's browser never asks for.
RUNTIME_UNUSED = ("README.md", "package.json", "console.html", "console-v2.html",
                  "ffi.d.ts", "pyodide.d.ts", "pyodide.js")  # fmt: skip
SOURCE_MAP_COMMENT = re.compile(rb"\n?//# sourceMappingURL=\S+\.map\s*$")


class BuildError(Exception):
    """The site cannot be built; the message names the file or package at fault."""


def say(message: str) -> None:
    print(f"[lite] {message}", flush=True)


def run(cmd: list, cwd: Path = ROOT, env: dict | None = None) -> None:
    say("$ " + " ".join(str(part) for part in cmd))
    code = subprocess.run([str(part) for part in cmd], cwd=cwd, env=env).returncode
    if code != 0:
        raise BuildError(f"{cmd[0]} ... failed with exit status {code}")


def source_date_epoch() -> int | None:
    """The last commit's time: the wheel's and the site's timestamps, so that two builds of
    one commit are the same bytes (reproducible-builds.org's SOURCE_DATE_EPOCH)."""
    if os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():
        return int(os.environ["SOURCE_DATE_EPOCH"])
    try:
        done = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%ct"],
                              capture_output=True, text=True, check=True)  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None  # not a git checkout: the build is still whole, only its dates vary
    return int(done.stdout.strip())


def build_env(epoch: int | None) -> dict:
    return {**os.environ, **({"SOURCE_DATE_EPOCH": str(epoch)} if epoch is not None else {})}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- pins ------------------------------------------------------------------------------------


def read_pins(path: Path) -> dict[str, str]:
    """`name==version` lines of a requirements file, by canonical name."""
    pins = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        requirement = Requirement(text)
        specs = list(requirement.specifier)
        if len(specs) != 1 or specs[0].operator != "==":
            raise BuildError(f"{path}:{number}: {text!r} must pin one exact version (name==X)")
        pins[canonicalize_name(requirement.name)] = specs[0].version
    return pins


def pyodide_version(package_json: Path = LITE / "package.json") -> str:
    version = json.loads(package_json.read_text()).get("dependencies", {}).get("pyodide")
    if not version or not re.fullmatch(r"\d+(\.\d+)*", version):
        raise BuildError(f"{package_json}: dependencies.pyodide must be an exact version")
    return version


# --- wheels ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wheel:
    path: Path
    name: str  # canonical
    version: str
    imports: tuple[str, ...]
    requires: tuple[Requirement, ...]

    def depends(self, extra: str | None = None) -> list[str]:
        """Canonical names it requires, outside extras (or inside `extra` too)."""
        names = []
        for requirement in self.requires:
            marker = requirement.marker
            if marker is None or marker.evaluate({"extra": extra or ""}):
                names.append(canonicalize_name(requirement.name))
        return sorted(set(names))


def read_wheel(path: Path) -> Wheel:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        (metadata,) = [n for n in names if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
        message = email.parser.Parser().parsestr(archive.read(metadata).decode())
        top_level = metadata.replace("METADATA", "top_level.txt")
        if top_level in names:
            imports = archive.read(top_level).decode().split()
        else:  # newer build backends write no top_level.txt: the archive's top folders
            tops = {name.split("/", 1)[0] for name in names if "/" in name}
            imports = sorted(t for t in tops if not t.endswith((".dist-info", ".data")))
    requires = tuple(Requirement(text) for text in message.get_all("Requires-Dist") or [])
    return Wheel(path, canonicalize_name(message["Name"]), message["Version"],
                 tuple(i for i in imports if i.isidentifier()), requires)  # fmt: skip


def download(python: Path, specs: list[str], dest: Path) -> None:
    """Pure-Python wheels for the browser's CPython 3.14 from PyPI, without dependencies."""
    dest.mkdir(parents=True, exist_ok=True)
    run([python, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
         "--platform=any", "--implementation=py", "--abi=none", "--python-version=3.14",
         "--dest", dest, *specs])  # fmt: skip


def wheel_named(folder: Path, name: str, version: str) -> Path:
    for path in sorted(folder.glob("*.whl")):
        wheel = read_wheel(path)
        if wheel.name == name and wheel.version == version:
            return path
    raise BuildError(f"no wheel of {name}=={version} in {folder}")


# --- the Pyodide lock ------------------------------------------------------------------------


def lock_closure(packages: dict, roots: list[str]) -> list[str]:
    """`roots` and everything their lock entries depend on, by the lock's own names."""
    by_canonical = {canonicalize_name(name): name for name in packages}
    seen: list[str] = []
    todo = [by_canonical[canonicalize_name(root)] for root in roots]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.append(name)
        todo.extend(by_canonical[canonicalize_name(dep)] for dep in packages[name]["depends"])
    return sorted(seen)


def shipped_entry(entry: dict, wheel: Path, file_name: str) -> dict:
    """A lock entry that names the wheel the site ships and its real sha256."""
    return {**entry, "file_name": file_name, "sha256": sha256(wheel)}


def course_entry(wheel: Wheel, file_name: str, depends: list[str]) -> dict:
    return {
        "name": wheel.name, "version": wheel.version, "file_name": file_name,
        "install_dir": "site", "sha256": sha256(wheel.path), "package_type": "package",
        "imports": list(wheel.imports), "depends": depends, "unvendored_tests": False,
    }  # fmt: skip


def course_depends(wheel: Wheel, available: set[str]) -> list[str]:
    extra = PROJECT_EXTRA if wheel.name == PROJECT else None
    depends = [name for name in wheel.depends(extra) if name not in LEFT_OUT]
    # JupyterLab is the page itself in JupyterLite, not a package of the kernel.
    depends = [name for name in depends if name != "jupyterlab"]
    missing = [name for name in depends if name not in available]
    if missing:
        raise BuildError(
            f"{wheel.path.name} requires {', '.join(missing)}, which the site does not ship: "
            "add a pin to lite/requirements.txt"
        )
    return depends


# --- the site --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    work: Path  # scratch: downloads, the npm install, the lite dir
    out: Path  # the site

    @property
    def lite_dir(self) -> Path:
        return self.work / "lite-dir"

    @property
    def runtime(self) -> Path:
        return self.lite_dir / "static" / "pyodide"

    @property
    def wheels(self) -> Path:
        return self.work / "wheels"


def install_runtime(layout: Layout) -> dict:
    """npm ci the pinned pyodide package; copy its runtime to static/pyodide; return the lock."""
    npm_dir = layout.work / "npm"
    npm_dir.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(LITE / name, npm_dir / name)
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError("npm is missing: install Node.js and npm (Debian: apt-get install npm)")
    run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], npm_dir)
    package = npm_dir / "node_modules" / "pyodide"
    version = json.loads((package / "package.json").read_text())["version"]
    if version != pyodide_version():
        raise BuildError(
            f"npm installed pyodide {version}; lite/package.json pins "
            f"{pyodide_version()}: run `npm install` in lite/ to update its lock"
        )
    shutil.copytree(package, layout.runtime,
                    ignore=shutil.ignore_patterns("*.map", *RUNTIME_UNUSED))  # fmt: skip
    return json.loads((package / "pyodide-lock.json").read_text())


def project_wheel(python: Path, dest: Path) -> Path:
    cmd = [python, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", dest, ROOT]
    run(cmd, env=build_env(source_date_epoch()))
    (path,) = sorted(dest.glob(f"{PROJECT}-*.whl"))
    return path


def course_wheels(python: Path, layout: Layout) -> list[Wheel]:
    pins = read_pins(LITE / "requirements.txt")
    folder = layout.wheels / "course"
    download(python, [f"{name}=={version}" for name, version in pins.items()], folder)
    paths = [wheel_named(folder, name, version) for name, version in pins.items()]
    return [read_wheel(path) for path in [*paths, project_wheel(python, folder)]]


def kernel_wheels(python: Path, layout: Layout, lock: dict, course: list[Wheel]) -> dict:
    """The lock's packages the kernel and the course's wheels need, fetched into
    static/pyodide; returns their rewritten lock entries by lock name."""
    packages = lock["packages"]
    ours = {wheel.name for wheel in course}
    in_lock = {canonicalize_name(name) for name in packages}
    wanted = list(KERNEL_PACKAGES)
    for wheel in course:
        extra = PROJECT_EXTRA if wheel.name == PROJECT else None
        wanted += [d for d in wheel.depends(extra) if d in in_lock and d not in ours]
    names = [n for n in lock_closure(packages, wanted) if canonicalize_name(n) not in ours]
    folder = layout.wheels / "kernel"
    download(python, [f"{n}=={packages[n]['version']}" for n in names], folder)
    entries = {}
    for name in names:
        wheel = wheel_named(folder, canonicalize_name(name), packages[name]["version"])
        shutil.copy2(wheel, layout.runtime / wheel.name)
        entries[name] = shipped_entry(packages[name], wheel, wheel.name)
    return entries


def write_lock(layout: Layout, lock: dict, kernel: dict, course: list[Wheel]) -> None:
    available = {canonicalize_name(name) for name in kernel} | {w.name for w in course}
    packages = dict(kernel)
    for wheel in course:
        # piplite serves the same files from <site>/pypi/: the lock points there, so each
        # wheel is shipped once (file names are resolved against static/pyodide/).
        entry = course_entry(wheel, f"../../pypi/{wheel.path.name}",
                             course_depends(wheel, available))  # fmt: skip
        packages[wheel.name] = entry
    rewritten = {"info": lock["info"], "packages": dict(sorted(packages.items()))}
    (layout.runtime / "pyodide-lock.json").write_text(json.dumps(rewritten, indent=1) + "\n")


def lite_config() -> dict:
    return {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": "nvmxlab",
            # window.jupyterapp, which the browser tests drive (as --expose-app-in-browser does
            # on a server); it changes nothing a learner sees.
            "exposeAppInBrowser": True,
            "litePluginSettings": {
                "@jupyterlite/pyodide-kernel-extension:kernel": {
                    # Nothing is fetched from outside the site, not even a missing package.
                    "disablePyPIFallback": True,
                },
            },
        },
    }


def copy_notebooks(layout: Layout) -> Path:
    """The learner notebooks, as notebooks/ holds them at build time."""
    files = layout.lite_dir / "files"
    files.mkdir(parents=True)
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    if not notebooks:
        raise BuildError(f"no notebooks in {NOTEBOOKS}: the site would have nothing to open")
    for path in notebooks:
        shutil.copy2(path, files / path.name)
    return files


def welcome_page(first: str) -> str:
    """The site's front page: straight into the lab, with the welcome notebook open.

    It keeps the (empty) `jupyter-config-data` element of JupyterLite's own front page, which
    every app page reads from its parent folder (config-utils.js, getPageConfig); JupyterLite's
    own redirect to `appUrl` cannot carry the `?path=` that opens a notebook."""
    target = f"./lab/index.html?path={first}"
    return f"""<!DOCTYPE html>
<html>
  <head>
    <meta charset="utf-8">
    <title>nvmxlab</title>
    <link rel="icon" type="image/x-icon" href="./lab/favicon.ico">
    <script id="jupyter-config-data" type="application/json" data-jupyter-lite-root=".">
      {{}}
    </script>
    <meta http-equiv="refresh" content="0; url={target}">
  </head>
  <body><a href="{target}">Open the course</a></body>
</html>
"""


def strip_source_maps(out: Path) -> int:
    """Delete every source map and the comments that name them; return the bytes saved."""
    saved = 0
    for path in sorted(out.rglob("*.map")):
        saved += path.stat().st_size
        path.unlink()
    for path in sorted([*out.rglob("*.js"), *out.rglob("*.mjs"), *out.rglob("*.css")]):
        text = path.read_bytes()
        stripped = SOURCE_MAP_COMMENT.sub(b"\n", text)
        if stripped != text:
            path.write_bytes(stripped)
    return saved


def jupyter_lite_build(python: Path, layout: Layout, course: list[Wheel], files: Path) -> None:
    extensions = [w.path for w in course if has_lab_extension(w.path)]
    cmd = [python, "-m", "jupyterlite_core", "build",
           "--lite-dir", layout.lite_dir, "--output-dir", layout.out, "--contents", files,
           "--no-sourcemaps", "--no-unused-shared-packages"]  # fmt: skip
    for wheel in course:
        cmd += ["--piplite-wheels", wheel.path]
    for wheel in extensions:
        cmd.append(f"--LiteBuildConfig.federated_extensions={wheel}")
    epoch = source_date_epoch()
    if epoch is not None:
        cmd.append(f"--source-date-epoch={epoch}")
    run(cmd, cwd=layout.lite_dir, env=build_env(epoch))


def has_lab_extension(path: Path) -> bool:
    with zipfile.ZipFile(path) as archive:
        return any("/share/jupyter/labextensions/" in name for name in archive.namelist())


def size_of(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def build(python: Path, out: Path, work: Path) -> None:
    layout = Layout(work=work, out=out)
    for folder in (work, out):
        shutil.rmtree(folder, ignore_errors=True)
    layout.lite_dir.mkdir(parents=True)
    (layout.lite_dir / "jupyter-lite.json").write_text(json.dumps(lite_config(), indent=2) + "\n")
    files = copy_notebooks(layout)
    lock = install_runtime(layout)
    course = course_wheels(python, layout)
    kernel = kernel_wheels(python, layout, lock, course)
    write_lock(layout, lock, kernel, course)
    jupyter_lite_build(python, layout, course, files)
    saved = strip_source_maps(out)
    first = WELCOME if (files / WELCOME).exists() else sorted(p.name for p in files.iterdir())[0]
    (out / "index.html").write_text(welcome_page(first))
    # Browsers ask for /favicon.ico before a page's script names its icon.
    shutil.copy2(out / "lab" / "favicon.ico", out / "favicon.ico")
    say(f"stripped {saved / 1e6:.1f} MB of source maps")
    say(f"site: {out} ({size_of(out) / 1e6:.1f} MB), opens {first}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="where the site goes")
    parser.add_argument("--work", type=Path, required=True, help="scratch folder")
    args = parser.parse_args(argv)
    try:
        build(Path(sys.executable), args.out.resolve(), args.work.resolve())
    except BuildError as error:
        say(f"error: {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
