"""plotly's FigureWidget as the lab uses it: quick to import, and plotly.js sent once a page.

Two costs of a FigureWidget fall on a learner's first `Lab()`, and neither buys anything here:

- Importing it.  `plotly.basewidget` imports `plotly.io`, which imports nbformat (for one
  version check of its mime-type renderer), whose validator imports jsonschema, whose format
  checkers import rfc3987-syntax when it is installed (jupyter-events brings it in beside
  JupyterLab) and build its Lark grammar on import: some 3 s.  The import is made with
  rfc3987-syntax hidden, unless jsonschema is loaded already: this kernel's jsonschema then
  lacks only its "iri" and "iri-reference" format checks, which nothing in it uses.
- Shipping it.  A FigureWidget is an anywidget whose `_esm` is plotly's whole widget bundle
  (5 MB): anywidget sends it with every figure and the page evaluates it once per figure (it
  imports each `_esm` from a blob URL of its own).  `SharedFigureWidget` ships a stub instead;
  one `PlotlyBundle` widget per kernel, never displayed, carries the bundle, and the page
  evaluates it once and hands the module to every stub, in every lab of the page (a model's
  `_esm` is loaded when the model is created, so an undisplayed widget's code runs too).
  It also leaves out plotly's report of defaults after each redraw (see REPORTS).
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path

import anywidget

# The page-wide promise of plotly's widget module, shared by the bundle and the stubs.
GLOBAL = "__nvmxlabPlotlyWidget"
# After every Plotly.animate, plotly's view diffs each trace's full data against its model and
# reports the defaults back to Python (`_js2py_traceDeltas`; the layout's under a name the
# Python side does not even observe).  For the diagram's thousands of points that is most of
# the page's work after a redraw, and a message the kernel then handles before the next
# click; nvmxlab never reads plotly's defaults in Python.  The bundle leaves these methods of
# plotly's FigureView out when it finds them, and says in QUIET whether it did (a browser
# test fails when a plotly release renames them: the lab then works as before, only slower).
REPORTS = ("_sendTraceDeltas", "_sendLayoutDelta")
QUIET = "__nvmxlabPlotlyQuiet"


def _import_plotly_widget():
    hide = "rfc3987_syntax" not in sys.modules and "jsonschema" not in sys.modules
    if hide:
        sys.modules["rfc3987_syntax"] = None  # makes its import raise ImportError
    try:
        import plotly.basewidget
    finally:
        if hide:
            del sys.modules["rfc3987_syntax"]
    return plotly.basewidget


_basewidget = _import_plotly_widget()

import plotly.graph_objects as go  # noqa: E402 - after the import above, which it reuses

# The stub each figure carries: wait for the bundle's module, then be it.
STUB_ESM = f"""
const plotly = await new Promise((resolve) => {{
  const look = () => globalThis.{GLOBAL} ? resolve(globalThis.{GLOBAL}) : setTimeout(look, 10);
  look();
}});
export default plotly;
"""

_BUNDLE_ESM = f"""
const REPORTS = {json.dumps(list(REPORTS))};
if (!globalThis.{GLOBAL}) {{
  const url = URL.createObjectURL(new Blob([SOURCE], {{type: "text/javascript"}}));
  globalThis.{GLOBAL} = import(url).then((module) => {{
    URL.revokeObjectURL(url);
    const view = module.FigureView && module.FigureView.prototype;
    const quiet = !!view && REPORTS.every((name) => typeof view[name] === "function");
    if (quiet) for (const name of REPORTS) view[name] = () => {{}};
    globalThis.{QUIET} = quiet;
    return module.default;
  }});
}}
export default {{}};
"""


@cache
def bundle_esm() -> str:
    """The bundle widget's module: plotly's widget bundle, imported once a page."""
    source = Path(_basewidget.__file__).parent / "package_data" / "widgetbundle.js"
    return _BUNDLE_ESM.replace("SOURCE", json.dumps(source.read_text(encoding="utf-8")))


class PlotlyBundle(anywidget.AnyWidget):
    """Carries plotly's widget bundle to the page; see the module docstring."""

    def __init__(self) -> None:
        self._esm = bundle_esm()
        super().__init__()


_bundle: PlotlyBundle | None = None


def shared_bundle() -> PlotlyBundle:
    """The kernel's one live PlotlyBundle (made again if it was closed)."""
    global _bundle
    if _bundle is None or _bundle.comm is None:
        _bundle = PlotlyBundle()
    return _bundle


class SharedFigureWidget(go.FigureWidget):
    """A FigureWidget whose page code is the stub: plotly.js comes from the shared bundle."""

    _esm = STUB_ESM

    def __init__(self, *args, **kwargs) -> None:
        shared_bundle()  # first, so that the page has the bundle's model before this one's
        super().__init__(*args, **kwargs)
