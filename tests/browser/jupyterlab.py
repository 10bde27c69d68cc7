"""Drive a running JupyterLab from Playwright: open a notebook, run it, read its errors.

JupyterLab is started with `--expose-app-in-browser`, which puts the application object at
`window.jupyterapp`. Going through its command registry and document models is steadier than
clicking menus, whose layout changes between releases.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from playwright.sync_api import Browser, Page
from playwright.sync_api import Error as PlaywrightError

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"

# Finds the notebook panel showing `path` among the main area's widgets.
_FIND_PANEL = """() => {
  window.__nvmxPanel = (path) => {
    const app = window.jupyterapp;
    if (!app) return null;
    return Array.from(app.shell.widgets('main'))
      .find((w) => w.context && w.context.path === path && w.content && w.sessionContext) || null;
  };
}"""

_NOTEBOOK_READY = """(path) => {
  const panel = window.__nvmxPanel && window.__nvmxPanel(path);
  if (!panel || !panel.context.isReady) return false;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle';
}"""

_RUN_ALL = """async (path) => {
  const app = window.jupyterapp;
  const panel = window.__nvmxPanel(path);
  app.shell.activateById(panel.id);
  const run = {t0: performance.now(), ms: null};
  window.__nvmxRunAll = run;
  // Resolves once every cell has run (false if a cell failed and stopped the rest).
  const ok = await app.commands.execute('notebook:run-all-cells');
  run.ms = performance.now() - run.t0;
  return {ok: !!ok, ms: run.ms};
}"""

# Notes when every selector first matches, after the frame that shows it has been painted
# (a requestAnimationFrame callback runs just before that frame, a task queued there just
# after). Installed before "run all", whose start time (window.__nvmxRunAll.t0) it reads.
_WATCH_FIRST_RENDER = """(selectors) => {
  const seen = {at: null};
  window.__nvmxFirstRender = seen;
  const shown = () => selectors.every((selector) => document.querySelector(selector));
  const observer = new MutationObserver(() => {
    if (seen.found || !shown()) return;
    seen.found = true;
    observer.disconnect();
    requestAnimationFrame(() => setTimeout(() => { seen.at = performance.now(); }, 0));
  });
  observer.observe(document.body, {subtree: true, childList: true});
}"""

_FIRST_RENDER_MS = """() => {
  const seen = window.__nvmxFirstRender;
  return seen && seen.at !== null ? seen.at - window.__nvmxRunAll.t0 : null;
}"""

_KERNEL_IDLE = """(path) => {
  const panel = window.__nvmxPanel(path);
  const kernel = panel && panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle';
}"""

# Error traces and stderr as the notebook's model holds them: complete, unlike the DOM, which
# collapses long outputs.
_MODEL_ERRORS = """(path) => {
  const found = [];
  const panel = window.__nvmxPanel(path);
  panel.content.widgets.forEach((cell, index) => {
    if (cell.model.type !== 'code') return;
    const outputs = cell.model.outputs;
    for (let i = 0; i < outputs.length; i++) {
      const out = outputs.get(i).toJSON();
      if (out.output_type === 'error') {
        found.push(`cell ${index}: ${out.ename}: ${out.evalue}`);
      } else if (out.output_type === 'stream' && out.name === 'stderr') {
        const text = Array.isArray(out.text) ? out.text.join('') : out.text;
        found.push(`cell ${index} (stderr): ${text.trim()}`);
      }
    }
  });
  return found;
}"""

# What the page shows: stderr and error outputs, and widgets that failed to render.
# Widget outputs that show no widget: a blank cell where the learner expects a figure.
# ipywidgets' renderer is the output node itself (class `jupyter-widgets`, no mime-type
# attribute); a rendered view is a Lumino widget inside it, a failed one only text.
_BLANK_WIDGETS = """() => {
  const blank = [];
  document.querySelectorAll('.jp-OutputArea-output.jupyter-widgets').forEach((node) => {
    if (node.querySelector('.lm-Widget')) return;
    const cell = node.closest('.jp-Cell');
    const cells = cell ? Array.from(cell.parentElement.children).filter(
      (c) => c.classList.contains('jp-Cell')) : [];
    blank.push(`cell ${cells.indexOf(cell)}: widget output shows no widget: ` +
               `${JSON.stringify(node.innerText.trim().slice(0, 200))}`);
  });
  return blank;
}"""

_SHOWN_ERRORS = """() => {
  const selector = [
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]',
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]',
  ].join(', ');
  const shown = Array.from(document.querySelectorAll(selector), (node) => node.innerText.trim());
  for (const node of document.querySelectorAll('.jp-OutputArea-output')) {
    if (/Error displaying widget|Failed to load model class/.test(node.innerText)) {
      shown.push(node.innerText.trim());
    }
  }
  return shown;
}"""


@dataclass(frozen=True)
class JupyterServer:
    url: str
    token: str
    root: Path

    def lab_url(self, path: str = "") -> str:
        # `reset` drops any saved workspace, so each page starts with only the given file open.
        tree = f"/tree/{urllib.parse.quote(path)}" if path else ""
        return f"{self.url}/lab{tree}?reset&token={self.token}"

    def api(self, method: str, endpoint: str) -> object:
        request = urllib.request.Request(
            f"{self.url}/api/{endpoint}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self, path: str) -> None:
        """Stop the kernels of `path`, so notebooks opened one after another don't pile up."""
        for session in self.api("GET", "sessions"):
            if session.get("path") == path:
                self.api("DELETE", f"sessions/{session['id']}")


@dataclass(frozen=True)
class RunAll:
    """What "run all" did: whether every cell ran, and how long things took (milliseconds)."""

    ok: bool
    run_ms: float  # from the command to the last cell's reply
    first_render_ms: float | None = None  # from the command to the watched widgets on screen


@dataclass
class LabPage:
    """One browser page on the lab, with the helpers that the tests share."""

    page: Page
    server: JupyterServer
    console_errors: list[str] = field(default_factory=list)
    path: str | None = None  # the notebook last opened

    def __post_init__(self) -> None:
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.console_errors.append(f"pageerror: {error}"))

    def _on_console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def open_notebook(self, path: str, *, timeout_ms: float = 60_000) -> None:
        """Open `path` (relative to the server root) and wait until its kernel is idle."""
        self.path = path
        self.page.goto(self.server.lab_url(path))
        self.page.wait_for_function("() => !!window.jupyterapp", timeout=timeout_ms)
        self.page.evaluate(_FIND_PANEL)
        self.page.wait_for_function(_NOTEBOOK_READY, arg=path, timeout=timeout_ms)

    def run_all(self, path: str, *, timeout_ms: float = 120_000) -> bool:
        """Run every cell of the open notebook `path`; False if a cell raised."""
        return self.run_all_timed(path, timeout_ms=timeout_ms).ok

    def run_all_timed(
        self, path: str, *, shown: tuple[str, ...] = (), timeout_ms: float = 120_000
    ) -> RunAll:
        """Run every cell of `path`, timing it; with `shown`, also time until all of those
        CSS selectors match something on a painted frame (the first render of a widget), or
        leave `first_render_ms` None if they do not within `timeout_ms` of the kernel idling."""
        if shown:
            self.page.evaluate(_WATCH_FIRST_RENDER, list(shown))
        result = self.page.evaluate(_RUN_ALL, path)
        self.page.wait_for_function(_KERNEL_IDLE, arg=path, timeout=timeout_ms)
        first_render = None
        if shown:
            try:
                handle = self.page.wait_for_function(_FIRST_RENDER_MS, timeout=timeout_ms)
            except PlaywrightError:
                pass  # never shown: first_render_ms stays None, for the caller to report
            else:
                first_render = handle.json_value()
        return RunAll(result["ok"], result["ms"], first_render)

    def wait_for_kernel_idle(self, path: str, *, timeout_ms: float = 60_000) -> None:
        self.page.wait_for_function(_KERNEL_IDLE, arg=path, timeout=timeout_ms)

    def blank_widgets(self) -> list[str]:
        """Widget outputs on the page that show no widget (a model that failed to render)."""
        return self.page.evaluate(_BLANK_WIDGETS)

    def errors(self, path: str) -> list[str]:
        """Error traces and stderr of `path`, from its model and from what the page shows."""
        found = self.page.evaluate(_MODEL_ERRORS, path)
        shown = self.page.evaluate(_SHOWN_ERRORS)
        return found + [text for text in shown if not any(text in f for f in found)]

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        target = ARTIFACTS / f"{safe_name(name)}.png"
        self.page.screenshot(path=str(target))
        return target

    def screenshot_element(self, selector: str, name: str) -> Path:
        """A picture of the whole element `selector`, however tall: the window grows to fit it
        for the picture (a notebook scrolls inside its panel, so a page screenshot would cut
        the element off), then returns to its size."""
        ARTIFACTS.mkdir(exist_ok=True)
        target = ARTIFACTS / f"{safe_name(name)}.png"
        element = self.page.locator(selector).first
        size = self.page.viewport_size
        # Room for JupyterLab's menu, toolbar and status bar above and below the panel.
        height = int(element.evaluate("(node) => node.getBoundingClientRect().height")) + 400
        self.page.set_viewport_size({"width": size["width"], "height": max(height, size["height"])})
        try:
            element.screenshot(path=str(target))
        finally:
            self.page.set_viewport_size(size)
        return target


@contextmanager
def open_page(browser: Browser, server: JupyterServer, name: str) -> Iterator[LabPage]:
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


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:120]


def write_notebook(path: Path, cells: list[str]) -> Path:
    """Write code `cells` as a Python 3 notebook at `path`."""
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in cells],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(notebook, path)
    return path
