"""Fixtures for the browser tests: one JupyterLab server and headless Debian Chromium.

Every test in this folder is marked `browser`. When Chromium or Playwright is missing the tests
skip locally but fail under CI=true, so that CI can never go green by not running them.
Screenshots and the server's log go to test-artifacts/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright must never try to fetch its own browser build: it cannot be downloaded here.
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

HERE = Path(__file__).resolve().parent
IN_CI = os.environ.get("CI", "").lower() == "true"

try:
    import playwright.sync_api  # noqa: F401
except ImportError:
    if IN_CI:
        raise
    # Locally, a bare `pytest` outside .venv should still run the other tests.
    collect_ignore_glob = ["test_*.py"]
    PLAYWRIGHT_MISSING = True
else:
    from . import server
    from .floor import FloorRun, run_floor
    from .jupyterlab import JupyterServer, LabPage, open_page, scratch_folder

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
        terminalreporter.section("browser timings (reported, not tested)")
        for line in _latency_lines:
            terminalreporter.write_line(line)


# --- the JupyterLab server -----------------------------------------------------------------


@pytest.fixture(scope="session")
def jupyter_server(tmp_path_factory) -> Iterator[JupyterServer]:
    """A JupyterLab on a free loopback port with a random token, rooted at the repository."""
    with server.jupyterlab(tmp_path_factory.mktemp("jupyter-home")) as running:
        yield running


# Chromium (the `browser` fixture) is tests/conftest.py's: tests/lite drives the same one.


@pytest.fixture
def lab(browser, jupyter_server, request) -> Iterator[LabPage]:
    """A page on the lab for one test, screenshotted to test-artifacts/<test id>.png."""
    with open_page(browser, jupyter_server, request.node.nodeid) as page:
        yield page


@pytest.fixture
def scratch_dir() -> Iterator[Path]:
    with scratch_folder() as folder:
        yield folder


@pytest.fixture(scope="session")
def latency_report():
    """Call with a line of text to print it in the "browser timings" section at the end."""
    return _latency_lines.append


@pytest.fixture(scope="session")
def floor(browser, jupyter_server) -> FloorRun:
    """The floor measurement, taken once per run so that other tests can compare with it."""
    with scratch_folder() as folder, open_page(browser, jupyter_server, "floor") as page:
        run = run_floor(page, folder)
    _latency_lines.extend(run.report())
    return run
