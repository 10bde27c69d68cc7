"""Where each mark's label goes, so that no two labels print over each other.

Every lane has two label rows, one just above it and one just below (plotly draws a label
`top …` or `bottom …` of its mark, offset by the mark's size; the lanes are far enough apart
that the row under one lane and the row over the next do not touch).  In its row a label can
be centred on its mark, start right of it or end left of it: six places in all.  A label takes
the first of them, in the order of `candidates()`, that no earlier label occupies and no arrow
crosses; then the first that no label occupies.  Labels are placed by rank, then left to right:
the transitions the lab is about (rank 2) first, and always; a lesser label (an STI, an APIC
note) that finds no free place is dropped from the drawing, and its step keeps its hover text.

Widths are estimated from the glyph widths of DejaVu Sans, the widest of the fonts the figures
ask for (Arial, Helvetica, sans-serif), so estimates err towards more room.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass

# Advance widths of DejaVu Sans glyphs, in em.
_WIDTHS = {
    **dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
               (.684, .686, .698, .770, .632, .575, .775, .752, .295, .295, .656, .557, .863,
                .748, .787, .603, .787, .695, .635, .611, .732, .684, .989, .685, .611, .685),
               strict=True)),
    **dict(zip("abcdefghijklmnopqrstuvwxyz",
               (.613, .635, .550, .635, .615, .352, .635, .634, .278, .278, .579, .278, .974,
                .634, .612, .635, .635, .411, .521, .392, .634, .592, .818, .592, .592, .525),
               strict=True)),
    **dict.fromkeys("0123456789", .636),
    " ": .318, "_": .500, ".": .318, ",": .318, ":": .337, "(": .390, ")": .390, "/": .337,
    "-": .361, "=": .838, "×": .838, "→": .838, "·": .318,
}
DEFAULT_WIDTH = .700  # a glyph not in the table


def text_px(text: str, size: float) -> float:
    """The estimated width of one line of `text` at font size `size`, in px."""
    return size * sum(_WIDTHS.get(ch, DEFAULT_WIDTH) for ch in text)


GAP_PX = 8.0  # kept free between two labels of a row
ARROW_PX = 3.0  # an arrow's half width, with some air
OPPOSITE = {"top": "bottom", "bottom": "top"}


def text_offset(marker_size: float) -> float:
    """How far plotly draws a label from its mark's centre, in px (plotly.js textPointPosition:
    the marker's radius / 0.8 + 1)."""
    return marker_size / 2 / 0.8 + 1


def candidates(preferred: str) -> tuple[tuple[str, str], ...]:
    """The six places of a label, best first: centred on the preferred side, centred on the
    other, then beside the mark (clear of its own arrow) on either side."""
    side = preferred.split()[0]
    other = OPPOSITE.get(side, "top")
    return ((side, "center"), (other, "center"), (side, "right"), (side, "left"),
            (other, "right"), (other, "left"))


@dataclass
class _Row:
    """The labels already placed in one row, as px intervals sorted by their left end."""

    starts: list[float]
    ends: list[float]
    widest: float = 0.0

    def overlap(self, a: float, b: float) -> float:
        total = 0.0
        j = bisect_left(self.starts, b) - 1
        while j >= 0 and self.starts[j] > a - self.widest:
            if self.ends[j] > a:
                total += min(self.ends[j], b) - max(self.starts[j], a)
            j -= 1
        return total

    def add(self, a: float, b: float) -> None:
        k = bisect_left(self.starts, a)
        self.starts.insert(k, a)
        self.ends.insert(k, b)
        self.widest = max(self.widest, b - a)


@dataclass(frozen=True)
class _Request:
    panel: str
    x: float  # px
    y: float  # the lane, in data units
    width: float  # px
    offset: float  # px from the mark's centre to the label's near edge
    preferred: str
    rank: int


class LabelPlacer:
    """Collects the labels and arrows of a diagram, then places every label at once."""

    def __init__(self, view_units: float, plot_px: float,
                 bounds: tuple[float, float] | None = None, font_size: float = 14):
        self.scale = plot_px / view_units  # px per x unit
        self.font_size = font_size
        # Labels must not reach past the ends of the x axis (x units): plotly clips them there.
        self.bounds = ((bounds[0] * self.scale, bounds[1] * self.scale) if bounds
                       else (float("-inf"), float("inf")))
        self.requests: list[_Request] = []
        self.arrows: dict[tuple, list[float]] = {}  # row → sorted x (px) of arrows crossing it

    def add(self, panel: str, x: float, y: float, label: str, preferred: str,
            marker_size: float, rank: int = 1) -> int:
        """Ask for a place for `label` of the mark at (`x`, `y`); returns the request's index
        into what `solve()` returns."""
        self.requests.append(_Request(panel, x * self.scale, y,
                                      text_px(label, self.font_size),
                                      text_offset(marker_size), preferred, rank))
        return len(self.requests) - 1

    def add_arrow(self, panel: str, x: float, y_from: float, y_to: float) -> None:
        """A vertical arrow between two lanes (one unit apart): it crosses the row under the
        upper lane, both rows of every lane in between and the row over the lower lane."""
        low, high = sorted((y_from, y_to))
        rows = [(panel, high, "bottom"), (panel, low, "top")]
        y = high - 1
        while y > low + 0.5:
            rows += [(panel, y, "top"), (panel, y, "bottom")]
            y -= 1
        for row in rows:
            insort(self.arrows.setdefault(row, []), x * self.scale)

    def _crossings(self, row: tuple, a: float, b: float) -> int:
        xs = self.arrows.get(row)
        if not xs:
            return 0
        return bisect_left(xs, b + ARROW_PX) - bisect_left(xs, a - ARROW_PX)

    def _extent(self, r: _Request, align: str) -> tuple[float, float]:
        if align == "center":
            return r.x - r.width / 2, r.x + r.width / 2
        if align == "right":
            return r.x + r.offset, r.x + r.offset + r.width
        return r.x - r.offset - r.width, r.x - r.offset

    def extent(self, index: int, position: str) -> tuple[float, float]:
        """Where request `index`'s label reaches, left to right in x units, once placed at
        `position` (a textposition that solve() returned)."""
        a, b = self._extent(self.requests[index], position.split()[1])
        return a / self.scale, b / self.scale

    def solve(self) -> list[str | None]:
        """Each request's plotly textposition ("bottom right", …), or None: not drawn."""
        rows: dict[tuple, _Row] = {}
        placed: list[str | None] = [None] * len(self.requests)
        left, right = self.bounds
        order = sorted(range(len(self.requests)),
                       key=lambda i: (-self.requests[i].rank, self.requests[i].x))
        for i in order:
            r = self.requests[i]
            best, best_score = None, None
            for side, align in candidates(r.preferred):
                a, b = self._extent(r, align)
                row_key = (r.panel, r.y, side)
                row = rows.get(row_key)
                clash = row.overlap(a - GAP_PX, b + GAP_PX) if row else 0.0
                clash += max(0.0, left - a) + max(0.0, b - right)
                score = (clash > 0, clash, self._crossings(row_key, a, b))
                if best_score is None or score < best_score:
                    best, best_score = (side, align, a, b, row_key), score
                if score == (False, 0.0, 0):
                    break
            assert best is not None and best_score is not None
            if best_score[0] and r.rank < 2:
                continue  # no free place: this one is left to the hover text
            side, align, a, b, row_key = best
            rows.setdefault(row_key, _Row([], [])).add(a, b)
            placed[i] = f"{side} {align}"
        return placed
