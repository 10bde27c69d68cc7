"""The state graph's geometry: its rows, its size in px, and the size of what it draws (a
state, its name, the current state's ring), which the layout spaces and the edges keep clear
of.  x is measured in pixels of a plot `PLOT_WIDTH` wide; y is the row."""

from __future__ import annotations

import functools
import math
import textwrap

from ..labels import text_px
from ..style import LABEL_SIZE

ROWS = {"L2": 2.0, "L1": 1.0, "L0": 0.0}
ROW_NAMES = {2.0: "L2", 1.0: "L1", 0.0: "L0"}

# Geometry, in px: the figure's height is fixed, its width follows the page.
HEIGHT = 580
MARGIN = {"l": 44, "r": 10, "t": 56, "b": 8}
Y_RANGE = (-0.75, 2.75)
ROW_PX = (HEIGHT - MARGIN["t"] - MARGIN["b"]) / (Y_RANGE[1] - Y_RANGE[0])
PLOT_WIDTH = 780.0  # the plot's width in the lab in a 1280 px window; wider pages only add air
WRAP = 15  # characters per line of a state's name (words are not broken)
LINE_PX = LABEL_SIZE * 1.3  # plotly's line spacing
RING_PX = 8  # the current state's ring: this much wider than the state, all round

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in px (y up)


@functools.lru_cache(maxsize=256)
def node_lines(label: str) -> tuple[str, ...]:
    """A state's name as the lines it is drawn in: split at its commas and dots, wrapped."""
    parts = label.replace(" · ", ", ").split(", ")
    return tuple(line for part in parts
                 for line in textwrap.wrap(part, WRAP, break_long_words=False,
                                           break_on_hyphens=False))


def node_size(visits: int) -> float:
    return min(18 + 5 * math.sqrt(visits), 40.0)


@functools.lru_cache(maxsize=256)
def label_box(label: str) -> tuple[float, float]:
    """(width, height) of a state's name in px, with the annotation's padding."""
    lines = node_lines(label)
    return (max((text_px(line, LABEL_SIZE) for line in lines), default=0.0) + 6,
            len(lines) * LINE_PX + 4)


def name_point(node: str, x: float, y: float, side: str, size: float) -> tuple[float, str]:
    """(y, textposition) of a state's name: its near edge the ring's width plus 5 px away."""
    offset = (size / 2 + RING_PX + 5) / ROW_PX
    if side == "top":
        return y + offset, "top center"
    return y - offset, "bottom center"


def name_box(x: float, y: float, side: str, size: float, label: str) -> Box:
    w, h = label_box(label)
    offset = size / 2 + RING_PX + 5
    base = y * ROW_PX + (offset if side == "top" else -offset - h)
    return (x - w / 2, base, x + w / 2, base + h)
