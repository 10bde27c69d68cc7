"""Drive the JupyterLite site in a page: open a notebook and time its kernel, write a notebook
into the browser's storage, ask the kernel something.

The page is the browser tests' LabPage (tests/browser/jupyterlab.py): JupyterLite exposes the
same `window.jupyterapp` (its `exposeAppInBrowser` setting, see lite/build_site.py), so the
same helpers run the cells and read their errors.
"""

from __future__ import annotations

import time

from browser.jupyterlab import LabPage

KERNEL_TIMEOUT_MS = 120_000  # Pyodide's first start: the runtime and the kernel's wheels

# JupyterLite keeps files in the browser (IndexedDB): a notebook a test writes lives there.
_SAVE_NOTEBOOK = """async ([path, cells]) => {
  const content = {
    nbformat: 4, nbformat_minor: 5,
    metadata: {kernelspec: {name: 'python', display_name: 'Python (Pyodide)',
                            language: 'python'}},
    cells: cells.map((source) => ({cell_type: 'code', source, metadata: {}, outputs: [],
                                   execution_count: null})),
  };
  await window.jupyterapp.serviceManager.contents.save(
    path, {type: 'notebook', format: 'json', content});
}"""

# Runs `code` on the notebook's kernel and returns its text/plain result (null if none), or
# {status: 'timeout'} when no reply came within `ms` (page.evaluate itself never times out).
_ASK_KERNEL = """async ([path, code, ms]) => {
  const panel = window.__nvmxPanel(path);
  const kernel = panel.sessionContext.session.kernel;
  let result = null;
  const future = kernel.requestExecute({code, store_history: false});
  future.onIOPub = (message) => {
    if (message.header.msg_type === 'execute_result') result = message.content.data['text/plain'];
  };
  const late = new Promise((done) => setTimeout(() => done(null), ms));
  const reply = await Promise.race([future.done, late]);
  return reply ? {status: reply.content.status, result} : {status: 'timeout', result};
}"""


def open_timed(lab: LabPage, path: str) -> float:
    """Open `path` and wait for its kernel to be idle; the seconds that took, page load
    included (what a learner waits for before the first cell can run)."""
    start = time.monotonic()
    lab.open_notebook(path, timeout_ms=KERNEL_TIMEOUT_MS)
    return time.monotonic() - start


def save_notebook(lab: LabPage, path: str, cells: list[str]) -> None:
    """Write a notebook of code `cells` into the site's browser storage (the page must show
    the site)."""
    lab.page.wait_for_function("() => !!window.jupyterapp", timeout=KERNEL_TIMEOUT_MS)
    lab.page.evaluate(_SAVE_NOTEBOOK, [path, cells])


def ask_kernel(lab: LabPage, path: str, code: str, *, timeout_ms: float = 30_000) -> str | None:
    """The kernel's answer to `code` (its text/plain result), or an AssertionError saying
    that it did not answer within `timeout_ms`."""
    reply = lab.page.evaluate(_ASK_KERNEL, [path, code, timeout_ms])
    assert reply["status"] == "ok", f"the kernel answered {code!r} with {reply}"
    return reply["result"]
