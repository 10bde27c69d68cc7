"""Make the lab's plotly figures fill the notebook's width, and tell Python that width.

A FigureWidget is drawn before its element is attached to the page, so plotly.js measures no
width and falls back to 700 px; it only measures again on a window "resize" event (with
`responsive: true`).  This invisible widget watches the lab's element and announces a resize
whenever the lab appears or changes width, so the figures fit.  It also reports the width in
its `width` trait (the width of the diagram's box: the lab's, unless the step's text sits beside
the diagram), so that the diagram can show as many steps as fit and place its labels for that
width.
"""

from __future__ import annotations

import anywidget
import traitlets

_ESM = """
function render({ model, el }) {
  el.style.display = "none";
  let observer = null;
  const observers = [];
  let last = -1;
  const announce = () => window.dispatchEvent(new Event("resize"));
  const attach = () => {
    // Once the diagram is drawn: a width reported earlier makes Python redraw it, and plotly's
    // view fails on a message that comes while it is still drawing.
    const lab = el.closest(".nvmx-lab");
    if (!lab || !lab.querySelector(".nvmx-sequence .main-svg")) { setTimeout(attach, 100); return; }
    observer = new ResizeObserver((entries) => {
      const width = Math.round(entries[0].contentRect.width);
      if (width > 0 && width !== last) {
        last = width;
        setTimeout(announce, 0);
        model.set("width", width);
        model.save_changes();
      }
    });
    // The diagram's own box: as wide as the lab, or narrower where the step's text sits
    // beside it (a wide lab).
    observer.observe(lab.querySelector(".nvmx-figure-box") || lab);
    // A figure in a closed panel (the state graph's) is drawn with no width: announce a
    // resize when it is shown, so that it fits.
    for (const figure of lab.querySelectorAll(".nvmx-stategraph")) {
      let shown = figure.getBoundingClientRect().width > 0;
      const panel = new ResizeObserver((entries) => {
        const now = entries[0].contentRect.width > 0;
        if (now && !shown) setTimeout(announce, 0);
        shown = now;
      });
      panel.observe(figure);
      observers.push(panel);
    }
  };
  attach();
  return () => { observer && observer.disconnect(); observers.forEach((o) => o.disconnect()); };
}
export default { render };
"""


class FitWidth(anywidget.AnyWidget):
    _esm = _ESM
    width = traitlets.Int(0).tag(sync=True)  # the lab's width in CSS pixels, 0 until shown
