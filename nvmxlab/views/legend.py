"""The sequence diagram's legend as HTML, for the lab.

The lab's FigureWidget draws no plotly legend: its entries are traces of their own, which
plotly would set up again on every redraw (see redraw.py).  This legend says the same with
the same colours and a glyph close to each plotly symbol.
"""

from __future__ import annotations

import html

from .style import CATEGORIES, IF_OFF, LABEL_SIZE, OKABE_ITO

GLYPHS = {
    "circle": "●", "hexagon": "⬢", "square": "■", "diamond-tall": "⧫", "hourglass": "⧗",
    "star-diamond": "✦", "diamond": "◆", "triangle-up-open": "△", "triangle-up": "▲",
    "triangle-down-open": "▽", "triangle-down": "▼", "star": "★", "x": "✖",
}
BANDS = (("background:rgba(86,180,233,0.55);height:10px", "interrupt / NMI window open"),
         ("background:rgba(0,0,0,0.15);height:6px", "who runs (level executing)"),
         (f"border-top:3px dotted {OKABE_ITO['vermillion']};height:0", IF_OFF))


def _item(mark: str, text: str) -> str:
    return (f"<span class='nvmx-legend-item' style='white-space:nowrap'>{mark} "
            f"{html.escape(text)}</span>")


def legend_html() -> str:
    items = [_item(f"<span style='display:inline-block;width:28px;{look};"
                   "vertical-align:middle'></span>", text)
             for look, text in BANDS]
    for c in CATEGORIES:
        glyph = GLYPHS[c.symbol]
        # The same outline for the light symbols as on the diagram.
        outline = ";-webkit-text-stroke:0.6px #333333" if c.key == "apic" else ""
        items.append(_item(f"<span style='color:{c.color};font-size:{LABEL_SIZE + 4}px"
                           f"{outline}'>{glyph}</span>", c.label))
    # ipywidgets' HTML widget keeps its content on one line (white-space: nowrap): the legend
    # wraps its entries itself, each entry whole, so every one shows at any width.
    return (f"<div class='nvmx-legend' style='font-size:{LABEL_SIZE}px;line-height:1.9;"
            "display:flex;flex-wrap:wrap;white-space:normal;column-gap:18px;"
            "padding-left:160px'>" + "".join(items) + "</div>")
