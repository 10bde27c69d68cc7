"""Fixtures for the browser tests: one JupyterLab server and headless Debian Chromium.

Every test in this folder is marked `browser`. When Chromium or Playwright is missing the tests
skip locally but fail under CI=true, so that CI can never go green by not running them.
Screenshots and the server's log go to test-artifacts/.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# Playwright must never try to fetch its own browser build: it cannot be downloaded here.
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
# The background-networking flags matter: without them Chromium keeps calling home, and this
# machine's closed network refuses each attempt.
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() == "true"

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright
except ImportError:
    if IN_CI:
        raise
    # Locally, a bare `pytest` outside .venv should still run the other tests.
    collect_ignore_glob = ["test_*.py"]
    PLAYWRIGHT_MISSING = True
else:
    from .floor import FloorRun, run_floor
    from .jupyterlab import ARTIFACTS, REPO, JupyterServer, LabPage

    PLAYWRIGHT_MISSING = False

_latency_lines: list[str] = []


def pytest_report_header(config):
    if PLAYWRIGHT_MISSING:
        return "browser tests: not collected, Playwright is missing (python3 dev.py test)"
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


def pytest_terminal_summary(terminalreporter):
    if _latency_lines:
        terminalreporter.section("click -> repaint latency (timings are reported, not tested)")
        for line in _latency_lines:
            terminalreporter.write_line(line)


def unavailable(reason: str):
    """Skip locally, fail in CI: a missing browser must not turn CI green."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


# --- the JupyterLab server -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lab_command(port: int, token: str, home: Path) -> list[str]:
    return [
        sys.executable, "-m", "jupyter", "lab", "--no-browser",
        f"--port={port}", "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}", "--allow-root",
        f"--ServerApp.root_dir={REPO}",
        # window.jupyterapp, which the helpers drive (see jupyterlab.py)
        "--expose-app-in-browser",
        # No news feed or update check: nothing outside this machine can answer them.
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
        f"--LabApp.user_settings_dir={home / 'settings'}",
    ]  # fmt: skip


def quiet_settings(home: Path) -> None:
    """Turn off the "official Jupyter news?" toast, which can cover what a test clicks."""
    folder = home / "settings" / "@jupyterlab" / "apputils-extension"
    folder.mkdir(parents=True)
    (folder / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}\n')


def isolated_env(home: Path) -> dict[str, str]:
    """Keep the user's Jupyter and IPython configuration out of the tests, and theirs out of it."""
    return {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "IPYTHONDIR": str(home / "ipython"),
    }


def log_tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_until_ready(server: JupyterServer, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"JupyterLab exited with status {process.returncode} before answering; "
                f"log {log}:\n{log_tail(log)}"
            )
        try:
            server.api("GET", "status")
            return
        except OSError:  # connection refused until it listens; URLError is an OSError
            time.sleep(0.25)
    raise RuntimeError(f"JupyterLab did not answer /api/status within 120 s; log {log}")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM lets the server shut its kernels down; SIGKILL if it hangs."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture(scope="session")
def jupyter_server(tmp_path_factory) -> Iterator[JupyterServer]:
    """A JupyterLab on a free loopback port with a random token, rooted at the repository."""
    home = tmp_path_factory.mktemp("jupyter-home")
    quiet_settings(home)
    port, token = free_port(), secrets.token_hex(16)
    server = JupyterServer(f"http://127.0.0.1:{port}", token, REPO)
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "jupyter-server.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(
            lab_command(port, token, home),
            cwd=REPO,
            env=isolated_env(home),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a hung server can be killed whole
        )
        try:
            wait_until_ready(server, process, log)
            yield server
        finally:
            stop(process)


# --- Chromium through Playwright -----------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if PLAYWRIGHT_MISSING:
        unavailable("Playwright is not installed; python3 dev.py test installs it")
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing; install it with `apt-get install chromium`")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def lab_page(browser, server: JupyterServer, name: str) -> Iterator[LabPage]:
    """A fresh browser context on the lab; a screenshot named `name` is kept at the end."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    lab = LabPage(page, server)
    try:
        yield lab
    finally:
        try:
            lab.screenshot(name)
        except PlaywrightError:
            pass  # a crashed page has nothing to show; the test's own error says why
        context.close()


@pytest.fixture
def lab(browser, jupyter_server, request) -> Iterator[LabPage]:
    """A page on the lab for one test, screenshotted to test-artifacts/<test id>.png."""
    with lab_page(browser, jupyter_server, request.node.nodeid) as page:
        yield page


@contextmanager
def scratch_folder() -> Iterator[Path]:
    """A folder under the server's root for notebooks that a test writes, removed afterwards."""
    parent = ARTIFACTS / "notebooks"
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def scratch_dir() -> Iterator[Path]:
    with scratch_folder() as folder:
        yield folder


@pytest.fixture
def latency_report():
    """Call with a line of text to print it in the latency section at the end of the run."""
    return _latency_lines.append


@pytest.fixture(scope="session")
def floor(browser, jupyter_server) -> FloorRun:
    """The floor measurement, taken once per run so that other tests can compare with it."""
    with scratch_folder() as folder, lab_page(browser, jupyter_server, "floor") as page:
        run = run_floor(page, folder)
    _latency_lines.append(run.measurement.summary())
    return run
