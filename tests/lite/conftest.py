"""Fixtures for the JupyterLite site's tests: the built site served on 127.0.0.1, headless
Debian Chromium, and pages on which every request that would leave the site is aborted.

`python3 dev.py test` builds the site into build/lite/ first (or reuses it when nothing it is
built from has changed). The browser tests here are marked `lite` and `browser`; when the site,
Chromium or Playwright is missing they skip locally and fail under CI=true. Chromium itself is
tests/conftest.py's `browser`, shared with tests/browser.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .paths import REPO, SITE, load_lite_module

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

HERE = Path(__file__).resolve().parent
IN_CI = os.environ.get("CI", "").lower() == "true"
BROWSER_MODULES = ("test_site_in_browser.py", "test_lab_in_site.py")


try:
    import playwright.sync_api  # noqa: F401
except ImportError:
    if IN_CI:
        raise
    collect_ignore = list(BROWSER_MODULES)
    PLAYWRIGHT_MISSING = True
else:
    from browser.jupyterlab import ARTIFACTS

    from .pages import LiteSite

    PLAYWRIGHT_MISSING = False

_timing_lines: list[str] = []


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.parent == HERE and item.path.name in BROWSER_MODULES:
            item.add_marker(pytest.mark.lite)
            item.add_marker(pytest.mark.browser)


def pytest_terminal_summary(terminalreporter):
    if _timing_lines:
        terminalreporter.section("JupyterLite timings (reported, not tested)")
        for line in _timing_lines:
            terminalreporter.write_line(line)


def unavailable(reason: str):
    """Skip locally, fail in CI: a site or browser that is missing must not turn CI green."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


# --- the site ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def site_dir() -> Path:
    if not (SITE / "index.html").is_file():
        unavailable(f"{SITE.relative_to(REPO)}/ holds no site: `python3 dev.py lite` builds it")
    return SITE


@pytest.fixture(scope="session")
def site(site_dir) -> Iterator[LiteSite]:
    serve = load_lite_module("serve")
    with serve.serving(site_dir) as url:
        yield LiteSite(url, site_dir / "files")


@pytest.fixture(scope="session")
def timing_report():
    """Call with a line of text to print it in the "JupyterLite timings" section."""
    return _timing_lines.append


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
