#!/usr/bin/env python3
"""Set up and run nvmxlab from a fresh checkout.

    python3 dev.py lab     make .venv, install everything, start JupyterLab on notebooks/
                           (--course: on the instructor's nbgrader course in course/)
    python3 dev.py test    make .venv, install everything (and Chromium), run ruff and pytest
    python3 dev.py bench   make .venv, install everything, run benchmarks/*.py once each
    python3 dev.py release write notebooks/ from the instructor's course/ with nbgrader
    python3 dev.py lite    build the course as a JupyterLite site in build/lite/ (--serve: serve it)

Arguments after the command go to JupyterLab, pytest or each benchmark script, e.g.
`python3 dev.py test -k floor -s`.

Only the standard library is used here: this file runs before anything is installed.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import importlib.util
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import webbrowser
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".nvmxlab-install-stamp"
# Held shared by every dev.py command using .venv, exclusively while one creates or installs
# into it: `lab`, `test` and `bench` never race pip, and never run on a half-installed .venv.
LOCK = VENV / ".nvmxlab-lock"
LAB_LOG = VENV / "jupyterlab.log"
# The learner's JupyterLab shows no nbgrader menus or panels (the course extra installs them
# into .venv): its lab extension is off through this config folder, its server parts below.
LEARNER_CONFIG = VENV / "nvmxlab-learner-config"
NBGRADER_SERVER_EXTENSIONS = ("formgrader", "validate_assignment", "assignment_list",
                              "course_list")
EXTRAS = "lab,test,course"
# The Binder pins double as constraints here, so a laptop, CI and Binder run the same versions.
PINS = ROOT / "binder" / "requirements.txt"
CHROMIUM = Path("/usr/bin/chromium")
MIN_PYTHON = (3, 11)
PIP_ENV = {
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    # Playwright's own browser download cannot work offline; the tests use Debian's chromium.
    "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
}


class Failed(Exception):
    """A step failed; the message says what to do about it."""


def say(message: str) -> None:
    print(f"[dev.py] {message}", flush=True)


def run(cmd: list, *, env: dict | None = None, check: bool = True) -> int:
    say("$ " + shlex.join(str(part) for part in cmd))
    merged = {**os.environ, **PIP_ENV, **(env or {})}
    code = subprocess.run([str(part) for part in cmd], cwd=ROOT, env=merged).returncode
    if check and code != 0:
        raise Failed(f"command failed with exit status {code}: {cmd[0]} ...")
    return code


def is_root() -> bool:
    return os.geteuid() == 0


def apt_install(*packages: str) -> None:
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update"], env=env)
    # Recommends would pull in ~100 desktop packages that a headless test never uses.
    run(["apt-get", "install", "-y", "--no-install-recommends", *packages], env=env)


# --- the virtual environment -------------------------------------------------------------


def check_python() -> None:
    if sys.version_info < MIN_PYTHON:
        wanted = ".".join(map(str, MIN_PYTHON))
        raise Failed(f"nvmxlab needs Python {wanted} or newer; this is {sys.version.split()[0]}")


def ensure_venv_support() -> None:
    """Debian splits `venv`'s pip bootstrap (ensurepip) into the python3.X-venv package."""
    if importlib.util.find_spec("ensurepip") is not None:
        return
    package = f"python3.{sys.version_info.minor}-venv"
    if not (is_root() and shutil.which("apt-get")):
        raise Failed(
            f"this Python cannot make a virtual environment; install {package} "
            f"(as root: apt-get install {package}) and run dev.py again"
        )
    say(f"ensurepip is missing: installing Debian's {package}")
    apt_install(package)


def ensure_venv() -> None:
    check_python()
    if VENV_PYTHON.exists():
        say(f"using the virtual environment {VENV.relative_to(ROOT)}/")
        return
    ensure_venv_support()
    say(f"creating the virtual environment {VENV.relative_to(ROOT)}/")
    # A half-made .venv (interrupted earlier) would make `venv` fail or leave pip missing;
    # the lock file stays, since this process holds it.
    for path in VENV.iterdir():
        if path != LOCK:
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    run([sys.executable, "-m", "venv", VENV])


def install_fingerprint() -> str:
    digest = hashlib.sha256(EXTRAS.encode())
    for path in (ROOT / "pyproject.toml", PINS):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def pinned_constraints() -> str:
    """The named pins of binder/requirements.txt; pip constraints may not hold its `.` line."""
    lines = []
    for line in PINS.read_text().splitlines():
        requirement = line.split("#", 1)[0].strip()
        if requirement and not requirement.startswith((".", "-", "/")):
            lines.append(requirement)
    return "\n".join(lines) + "\n"


def ensure_installed() -> None:
    fingerprint = install_fingerprint()
    if STAMP.exists() and STAMP.read_text().strip() == fingerprint:
        say(
            "dependencies are up to date (pyproject.toml and binder pins unchanged): "
            "skipping pip install"
        )
        return
    say(f"installing nvmxlab with the [{EXTRAS}] extras into .venv (editable)")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as constraints:
        constraints.write(pinned_constraints())
    try:
        run([VENV_PYTHON, "-m", "pip", "install", "-c", constraints.name, "-e", f".[{EXTRAS}]"])
    finally:
        os.unlink(constraints.name)
    STAMP.write_text(fingerprint + "\n")


def up_to_date() -> bool:
    return VENV_PYTHON.exists() and STAMP.exists() and \
        STAMP.read_text().strip() == install_fingerprint()


@contextlib.contextmanager
def venv_lock():
    """Shared while the command runs; exclusive, waiting for the others, to build or install."""
    VENV.mkdir(exist_ok=True)
    with open(LOCK, "a") as lock:
        lock_or_wait(lock, fcntl.LOCK_SH)
        if not up_to_date():
            lock_or_wait(lock, fcntl.LOCK_EX)
            ensure_venv()
            ensure_installed()
            fcntl.flock(lock, fcntl.LOCK_SH)  # installed: others may use .venv again
        else:
            say(f"using the virtual environment {VENV.name}/ (up to date)")
        yield


def lock_or_wait(lock, kind: int) -> bool:
    """Take the lock; True if it was free at once."""
    try:
        fcntl.flock(lock, kind | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        say("waiting: another dev.py (lab, test or bench) is using or installing into .venv")
        fcntl.flock(lock, kind)
        return False


# --- lab -----------------------------------------------------------------------------------


def free_port(preferred: int = 8888, tries: int = 20) -> int:
    for port in range(preferred, preferred + tries):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cmd_lab(extra: list[str]) -> int:
    with venv_lock():
        return serve_lab(extra)


def lab_command(root_dir: Path, port: int, token: str, extra: list[str],
                learner: bool = True) -> list[str]:
    cmd = [
        str(VENV_PYTHON),
        "-m",
        "jupyter",
        "lab",
        f"--ServerApp.root_dir={root_dir}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        # dev.py opens the browser itself, and only where one can be opened.
        "--ServerApp.open_browser=False",
        # One Ctrl-C stops it: no "Shutdown this Jupyter server (y/[n])?" prompt.
        "--ServerApp.answer_yes=True",
    ]
    if is_root():
        cmd.append("--allow-root")  # JupyterLab refuses to run as root without it
    if learner:
        for name in NBGRADER_SERVER_EXTENSIONS:
            cmd += ["--ServerApp.jpserver_extensions",
                    f"nbgrader.server_extensions.{name}=False"]
    return cmd + extra


def learner_env() -> dict[str, str]:
    """Jupyter's config path with a page config that turns nbgrader's lab extension off."""
    page_config = LEARNER_CONFIG / "labconfig" / "page_config.json"
    page_config.parent.mkdir(parents=True, exist_ok=True)
    page_config.write_text('{"disabledExtensions": {"@jupyter/nbgrader": true}}\n')
    path = os.pathsep.join(filter(None, [str(LEARNER_CONFIG),
                                         os.environ.get("JUPYTER_CONFIG_PATH")]))
    return {"JUPYTER_CONFIG_PATH": path}


def serve_lab(extra: list[str]) -> int:
    # The address printed below must name the port JupyterLab will really use.
    port_option = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    port_option.add_argument("--port", "--ServerApp.port", type=int, dest="port")
    port_option.add_argument("--course", action="store_true")
    chosen, extra = port_option.parse_known_args(extra)
    # The learners' notebooks, or the instructor's course directory with nbgrader's panels.
    root_dir = ROOT / ("course" if chosen.course else "notebooks")
    port = chosen.port or free_port()
    token = secrets.token_hex(16)
    start = "lab/tree/00-welcome.ipynb" if (root_dir / "00-welcome.ipynb").exists() else "lab"
    url = f"http://127.0.0.1:{port}/{start}?token={token}"
    cmd = lab_command(root_dir, port, token, extra, learner=not chosen.course)
    env = {**os.environ, **PIP_ENV, **({} if chosen.course else learner_env())}
    say(f"starting JupyterLab on {root_dir.relative_to(ROOT.parent)}/; its log goes to "
        f"{LAB_LOG.relative_to(ROOT)}")
    # A closed terminal or a `kill` must stop the server too, not leave it running alone.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupted)
    with open(LAB_LOG, "w") as log:
        # Its own session: Ctrl-C reaches dev.py alone, which stops the server once.
        server = subprocess.Popen(cmd, cwd=root_dir, env=env,
                                  stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                  start_new_session=True)
    try:
        if not wait_until_serving(server, port, token):
            return fail_lab(server)
        opened = open_browser(url)
        say("opened it in your browser" if opened else
            "no browser can be opened from here: open the address below yourself")
        say("stop JupyterLab with Ctrl-C")
        print(f"\n    {url}", flush=True)
        server.wait()
        return fail_lab(server)
    except KeyboardInterrupt:
        say("stopping JupyterLab")
        return stop(server)


def interrupted(signum, frame) -> None:
    raise KeyboardInterrupt


def wait_until_serving(server: subprocess.Popen, port: int, token: str,
                       timeout: float = 120) -> bool:
    status = f"http://127.0.0.1:{port}/api/status?token={token}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(status, timeout=2):
                return True
        except OSError:
            time.sleep(0.3)
    return False


def can_open_browser() -> bool:
    """A graphical browser only: on a terminal-only machine `webbrowser` may pick a text-mode
    browser that would take over this terminal."""
    graphical = sys.platform in ("darwin", "win32") or os.environ.get("DISPLAY") or \
        os.environ.get("WAYLAND_DISPLAY")
    if not graphical:
        return False
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def open_browser(url: str) -> bool:
    return can_open_browser() and webbrowser.open(url)


def fail_lab(server: subprocess.Popen) -> int:
    code = server.wait()
    tail = LAB_LOG.read_text(errors="replace").splitlines()[-15:]
    say(f"JupyterLab stopped (exit status {code}); the end of its log:")
    print("\n".join(tail), flush=True)
    return code or 1


def stop(server: subprocess.Popen) -> int:
    server.terminate()  # JupyterLab shuts its kernels down on SIGTERM
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    say("JupyterLab stopped")
    return 0


# --- test ----------------------------------------------------------------------------------


def ensure_chromium() -> None:
    if CHROMIUM.exists():
        say(f"browser tests will use {CHROMIUM}")
        return
    if is_root() and shutil.which("apt-get"):
        say(f"{CHROMIUM} is missing: installing Debian's chromium for the browser tests")
        apt_install("chromium")
        return
    say(
        f"{CHROMIUM} is missing and this is not root, so it cannot be installed here. "
        "Ask for `apt-get install chromium`; until then the browser tests skip "
        "(and fail when CI=true)."
    )


def cmd_test(extra: list[str]) -> int:
    with venv_lock():
        return run_tests(extra)


def run_tests(extra: list[str]) -> int:
    ensure_chromium()
    say("lint: ruff check .")
    lint = run([VENV_PYTHON, "-m", "ruff", "check", "."], check=False)
    ensure_lite_site(extra)
    say("tests: pytest")
    tests = run([VENV_PYTHON, "-m", "pytest", *extra], check=False)
    if tests == 5:
        # pytest's "no tests collected": never a pass, since this project has tests.
        say("pytest collected no tests: treating that as a failure")
    if lint != 0:
        say(f"ruff check failed (exit status {lint})")
    if lint != 0 or tests != 0:
        say("FAILED")
        return 1
    say("all checks passed")
    return 0


# --- bench ---------------------------------------------------------------------------------


def cmd_bench(extra: list[str]) -> int:
    with venv_lock():
        return run_benchmarks(extra)


def run_benchmarks(extra: list[str]) -> int:
    # Files starting with "_" are helpers that the scripts import, not benchmarks.
    scripts = [
        path for path in sorted((ROOT / "benchmarks").glob("*.py")) if not path.name.startswith("_")
    ]
    if not scripts:
        say("no benchmarks/*.py yet: nothing to run")
        return 0
    failed = [path.name for path in scripts if run([VENV_PYTHON, path, *extra], check=False) != 0]
    if failed:
        say("benchmarks that failed: " + ", ".join(failed))
        return 1
    say(f"{len(scripts)} benchmark script(s) ran")
    return 0


# --- release -------------------------------------------------------------------------------


def cmd_release(extra: list[str]) -> int:
    """notebooks/ is the learner release of the nbgrader course in course/: regenerate it."""
    with venv_lock():
        return run([VENV_PYTHON, ROOT / "course" / "release.py", *extra], check=False)


# --- lite ----------------------------------------------------------------------------------

LITE = ROOT / "lite"
LITE_SITE = ROOT / "build" / "lite"
LITE_WORK = ROOT / "build" / "lite-work"
# The site's build tools live apart from .venv: the Pyodide kernel's JupyterLab extension,
# installed beside JupyterLab, would load in every JupyterLab that .venv starts.
LITE_ENV = ROOT / "build" / "lite-env"
LITE_PYTHON = LITE_ENV / "bin" / "python"
LITE_ENV_STAMP = LITE_ENV / ".nvmxlab-install-stamp"
LITE_SITE_STAMP = LITE_WORK / "site-stamp"


def lite_env_fingerprint() -> str:
    return hashlib.sha256((LITE / "build-requirements.txt").read_bytes()).hexdigest()


def ensure_npm() -> None:
    """The Pyodide runtime is an npm package: npm fetches it (lite/package-lock.json)."""
    if shutil.which("npm"):
        return
    if is_root() and shutil.which("apt-get"):
        say("npm is missing: installing Debian's npm to fetch the Pyodide runtime")
        apt_install("npm")
        return
    raise Failed("npm is missing: install Node.js and npm (as root: apt-get install npm)")


def ensure_lite_env() -> None:
    check_python()
    ensure_npm()
    fingerprint = lite_env_fingerprint()
    if LITE_ENV_STAMP.exists() and LITE_ENV_STAMP.read_text().strip() == fingerprint:
        say(f"using the site's build environment {LITE_ENV.relative_to(ROOT)}/")
        return
    ensure_venv_support()
    say(f"creating the site's build environment {LITE_ENV.relative_to(ROOT)}/")
    shutil.rmtree(LITE_ENV, ignore_errors=True)
    run([sys.executable, "-m", "venv", LITE_ENV])
    run([LITE_PYTHON, "-m", "pip", "install", "-r", LITE / "build-requirements.txt"])
    LITE_ENV_STAMP.write_text(fingerprint + "\n")


def lite_inputs() -> list[Path]:
    """Every file the site is built from: its pins and build script, the notebooks, the
    package's sources and metadata (its wheel is in the site; README.md is its description)."""
    files = [ROOT / "pyproject.toml", ROOT / "README.md", *sorted(LITE.glob("*"))]
    files += sorted((ROOT / "notebooks").glob("*.ipynb"))
    files += sorted(p for p in (ROOT / "nvmxlab").rglob("*") if p.suffix in {".py", ".toml"})
    return [path for path in files if path.is_file()]


def lite_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in lite_inputs():
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def build_lite(*, force: bool = False) -> None:
    fingerprint = lite_fingerprint()
    fresh = LITE_SITE_STAMP.exists() and LITE_SITE_STAMP.read_text().strip() == fingerprint
    if fresh and not force and (LITE_SITE / "index.html").exists():
        say(f"the site in {LITE_SITE.relative_to(ROOT)}/ is up to date: not rebuilding it")
        return
    ensure_lite_env()
    say(f"building the JupyterLite site into {LITE_SITE.relative_to(ROOT)}/")
    run([LITE_PYTHON, LITE / "build_site.py", "--out", LITE_SITE, "--work", LITE_WORK])
    LITE_SITE_STAMP.write_text(fingerprint + "\n")


def selects_lite_tests(pytest_args: list[str]) -> bool:
    """Whether pytest would run tests/lite: with no path given, or one that holds it or lies
    inside it (so `dev.py test tests/engine` does not build the site)."""
    lite_tests = (ROOT / "tests" / "lite").resolve()
    paths = [Path(arg.split("::", 1)[0]) for arg in pytest_args if not arg.startswith("-")]
    paths = [(ROOT / path).resolve() for path in paths if (ROOT / path).exists()]
    if not paths:
        return True
    return any(path == lite_tests or path in lite_tests.parents or lite_tests in path.parents
               for path in paths)  # fmt: skip


def ensure_lite_site(pytest_args: list[str]) -> None:
    """Build the site for the tests in tests/lite; a failed build fails those tests."""
    if not selects_lite_tests(pytest_args):
        return
    try:
        build_lite()
    except Failed as failure:
        say(f"the JupyterLite site could not be built ({failure}): tests/lite will fail")


def cmd_lite(extra: list[str]) -> int:
    options = argparse.ArgumentParser(prog="python3 dev.py lite", allow_abbrev=False)
    options.add_argument("--serve", action="store_true", help="serve the site on 127.0.0.1")
    options.add_argument("--port", type=int, default=8000, help="with --serve (0: any free)")
    options.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = options.parse_args(extra)
    build_lite(force=args.force)
    if not args.serve:
        say(
            f"serve it with `python3 dev.py lite --serve`, or copy {LITE_SITE.relative_to(ROOT)}/ "
            "to any static web host"
        )
        return 0
    port = free_port(args.port) if args.port else 0
    return run([sys.executable, LITE / "serve.py", LITE_SITE, "--port", str(port)], check=False)


COMMANDS = {"lab": cmd_lab, "test": cmd_test, "bench": cmd_bench, "release": cmd_release,
            "lite": cmd_lite}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 dev.py",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("command", choices=COMMANDS)
    parser.add_argument(
        "extra",
        nargs=argparse.REMAINDER,
        help="passed on to JupyterLab, pytest or the benchmark scripts",
    )
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args.extra)
    except Failed as failure:
        say(f"error: {failure}")
        return 1
    except KeyboardInterrupt:
        say("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
