"""The served site and pages on it in which only the site answers: shared by the tests here
and benchmarks/bench_lite.py.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from browser.jupyterlab import LabPage
from playwright.sync_api import Browser, BrowserContext, Route

from .paths import load_lite_module

# Addresses JupyterLite's service worker answers itself (service-worker.js, onFetch): one that
# reaches the host was sent before the worker controlled the page, and no host has a file there.
NO_FILE = frozenset({"/api/service-worker-heartbeat"})

__all__ = ["LiteSite", "Requests", "closed_context", "lite_page", "load_lite_module"]


@dataclass(frozen=True)
class LiteSite:
    """The served site, with the part of JupyterServer's interface that LabPage uses."""

    url: str  # ends with "/"
    root: Path

    @property
    def origin(self) -> str:
        return self.url.rstrip("/")

    def lab_url(self, path: str = "") -> str:
        query = f"?path={urllib.parse.quote(path)}" if path else ""
        return f"{self.url}lab/index.html{query}"

    def shutdown_kernels(self, path: str) -> None:
        """Nothing to do: a Pyodide kernel lives and dies with its page."""


@dataclass
class Requests:
    """What a page asked for that the site did not serve."""

    origin: str
    aborted: list[str] = field(default_factory=list)  # addresses outside the site
    missing: list[str] = field(default_factory=list)  # the site's answers >= 400

    def route(self, route: Route) -> None:
        url = route.request.url
        if url == self.origin or url.startswith(self.origin + "/"):
            route.continue_()
        else:
            self.aborted.append(url)
            route.abort("blockedbyclient")

    def on_response(self, response) -> None:
        if response.status >= 400 and urllib.parse.urlsplit(response.url).path not in NO_FILE:
            self.missing.append(f"{response.status} {response.url}")


def closed_context(browser: Browser, site: LiteSite) -> tuple[BrowserContext, Requests]:
    """A browser context in which only the site answers. data: and blob: URLs never reach
    the network, so no route sees them."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    requests = Requests(site.origin)
    context.route("**/*", requests.route)
    context.on("response", requests.on_response)
    return context, requests


@contextmanager
def lite_page(browser: Browser, site: LiteSite, name: str) -> Iterator[tuple[LabPage, Requests]]:
    """A page of its own (a fresh kernel, fresh browser storage); screenshotted at the end."""
    context, requests = closed_context(browser, site)
    page = context.new_page()
    page.set_default_timeout(60_000)
    lab = LabPage(page, site)
    try:
        yield lab, requests
    finally:
        try:
            lab.screenshot(f"lite-{name}")
        except Exception:  # noqa: BLE001 - a crashed page has nothing to show
            pass
        context.close()
