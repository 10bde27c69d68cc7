"""What the browser tests of tests/browser (JupyterLab) and tests/lite (JupyterLite) share: one
headless Debian Chromium for the whole run. Playwright's sync API runs one instance per thread,
so the two folders cannot each start their own.

When Chromium or Playwright is missing, the tests that need them skip locally but fail under
CI=true, so that CI can never go green by not running them.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

# Playwright must never try to fetch its own browser build: it cannot be downloaded here.
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str):
    """Skip locally, fail in CI: a missing browser must not turn CI green."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    if importlib.util.find_spec("playwright") is None:
        unavailable("Playwright is not installed; python3 dev.py test installs it")
    from browser import server

    if not server.CHROMIUM.exists():
        unavailable(f"{server.CHROMIUM} is missing; install it with `apt-get install chromium`")
    with server.chromium() as chromium:
        yield chromium
