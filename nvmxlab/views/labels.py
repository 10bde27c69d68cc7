"""Where each mark's label goes: above or below its lane, whichever side is free.

Neighbouring steps are one x unit apart and an SDM name is many characters wide, so labels of
close marks would print over each other.  The space between two lanes is one label row, shared
by the lower labels of the lane above and the upper labels of the lane below.  A label takes
its category's preferred side unless an earlier label still occupies that row there, then the
other side; if both are taken, the one it overlaps least.
"""

from __future__ import annotations

CHAR_PX = 7.0  # mean glyph width of the 12 px label font
GAP = 0.6  # x units kept free between two labels in a row
OPPOSITE = {"top center": "bottom center", "bottom center": "top center"}


class LabelPlacer:
    def __init__(self, view_units: float, plot_px: float):
        self.units_per_char = CHAR_PX * view_units / plot_px
        self.row_end: dict[tuple, float] = {}  # (lane key, row) → right end of its last label

    def place(self, panel: str, y: float, x: float, label: str, preferred: str) -> str:
        """The text position for `label` at (`x`, `y`) in `panel`; marks arrive left to right."""
        if not label:
            return preferred
        half = len(label) * self.units_per_char / 2
        sides = (preferred, OPPOSITE.get(preferred, "top center"))
        rows = {side: (panel, y + (0.5 if side.startswith("top") else -0.5)) for side in sides}
        overlap = {side: self.row_end.get(rows[side], float("-inf")) + GAP - (x - half)
                   for side in sides}
        free = [side for side in sides if overlap[side] <= 0]
        side = free[0] if free else min(sides, key=overlap.__getitem__)
        self.row_end[rows[side]] = x + half
        return side
