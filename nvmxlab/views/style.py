"""Colours, symbols and lane geometry shared by every diagram.

Colours come from the Okabe-Ito palette, which stays distinguishable under the common forms of
colour blindness; every category also has its own marker symbol, so nothing depends on colour
alone (a greyscale projector or print still tells an exit from an entry).
"""

from __future__ import annotations

from dataclasses import dataclass

# Okabe & Ito, "Color Universal Design" (2008).
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
GREY = "#8C8C8C"
LIGHT_GREY = "#BDBDBD"

FONT = "Arial, Helvetica, sans-serif"
# Sizes for a projector: a 1280 x 720 window read from the back of a room.
FONT_SIZE = 16
LABEL_SIZE = 14  # the labels next to the marks
# A text outline in the background colour, so that labels stay legible across lines.
HALO = "auto"
# Darker shades of the palette for text: at least 4.5:1 against the panels' light grey (WCAG
# AA), where the light marks' own colours reach only 1.2:1 (yellow) to 3.5:1 (vermillion).
TEXT_COLORS = {
    OKABE_ITO["orange"]: "#8A5F00",
    OKABE_ITO["sky_blue"]: "#1F6F9E",
    OKABE_ITO["bluish_green"]: "#007559",
    OKABE_ITO["yellow"]: "#6B6200",
    OKABE_ITO["vermillion"]: "#A84A00",
    OKABE_ITO["reddish_purple"]: "#9C4475",
}


@dataclass(frozen=True)
class Category:
    """One kind of mark on the sequence diagram (and its arrow, if it has one)."""

    key: str
    label: str  # legend text
    color: str
    symbol: str
    size: int
    dash: str = "solid"  # the arrow's line style
    text_position: str = "top center"  # the label's preferred side
    label_rank: int = 1  # 2: always drawn; 1 and 0: dropped where no free place is left

    @property
    def text_color(self) -> str:
        return TEXT_COLORS.get(self.color, self.color)

    @property
    def outline(self) -> tuple[str, int]:
        """(colour, width) of the mark's outline: dark round the light APIC square, wider
        for the open symbols, which are nothing but outline."""
        return ("#333333" if self.key == "apic" else self.color,
                2 if "open" in self.symbol else 1)


# Drawing order: later categories are drawn on top of earlier ones.  Labels of rank 2 (the
# transitions the lab is about) are always drawn; the others give way where the row is full
# and stay in the hover text.
CATEGORIES: tuple[Category, ...] = (
    Category("instr", "instruction retired", LIGHT_GREY, "circle", 6),
    Category("step", "KVM step (L0 code)", GREY, "hexagon", 9),
    Category("apic", "local APIC (IRR / ISR / EOI)", OKABE_ITO["yellow"], "square", 11,
             label_rank=0),
    Category("key_instr", "STI / CLI / EOI / IRET / HLT", OKABE_ITO["reddish_purple"],
             "diamond-tall", 14),
    Category("window", "interrupt window", OKABE_ITO["sky_blue"], "hourglass", 14,
             text_position="bottom center"),
    Category("source", "interrupt raised / kick IPI", OKABE_ITO["black"], "star-diamond", 15,
             dash="dot", label_rank=2),
    Category("inject", "event injection (VM-entry field)", OKABE_ITO["blue"], "diamond", 15,
             dash="dot", text_position="top center", label_rank=2),
    Category("entry_emulated", "VM entry emulated by L0", OKABE_ITO["bluish_green"],
             "triangle-up-open", 14, dash="dash"),
    Category("entry", "VM entry", OKABE_ITO["bluish_green"], "triangle-up", 14),
    Category("exit_emulated", "VM exit emulated by L0 (L2 → L1)", OKABE_ITO["vermillion"],
             "triangle-down-open", 15, dash="dash", text_position="bottom center",
             label_rank=2),
    Category("exit", "VM exit", OKABE_ITO["vermillion"], "triangle-down", 15,
             text_position="bottom center", label_rank=2),
    Category("deliver", "delivery through an IDT", OKABE_ITO["orange"], "star", 19,
             label_rank=2),
    Category("fail", "VM entry failed (VMfailValid)", OKABE_ITO["black"], "x", 17,
             label_rank=2),
)
CATEGORY = {c.key: c for c in CATEGORIES}
# Categories whose marks carry a label; the others are drawn by a trace without plotly's text
# layer, which costs render time per point even when a label is empty.
LABELLED = frozenset(("key_instr", "window", "source", "inject", "exit_emulated", "exit",
                      "deliver", "fail", "apic"))

# Lanes, top to bottom inside one world's panel.
LANES = ("L2", "L1", "L0", "HW")
LANE_NAMES = {"L2": "L2 guest", "L1": "L1 hypervisor", "L0": "L0 = KVM", "HW": "CPU"}
# The worlds, top to bottom: the reference first, then what KVM does.
WORLDS = ("bare", "nested")
PANEL_HEIGHT = len(LANES) + 1  # one empty lane between the panels
# Bare metal's panel is shaded #F4F4F4 on the white plot; translucent, so that the lane lines
# (the y axis grid, drawn under every trace) show through.
BARE_PANEL_ALPHA = 0.045
BARE_PANEL = f"rgba(0,0,0,{BARE_PANEL_ALPHA})"
LANE_LINE = "#D9D9D9"
IF_OFF = "IF = 0: the level running takes no interrupt"
WORLD_TITLES = {"bare": "Bare metal, the reference", "nested": "Nested"}


def lane_y(world: str, level: str) -> float:
    """The y coordinate of `level`'s lane in `world`'s panel (top panel has the larger y)."""
    panel = len(WORLDS) - 1 - WORLDS.index(world)
    return panel * PANEL_HEIGHT + (len(LANES) - 1 - LANES.index(level))


def y_span() -> tuple[float, float]:
    """The y range covering every lane, with half a lane of margin."""
    return -0.6, lane_y(WORLDS[0], LANES[0]) + 0.8
