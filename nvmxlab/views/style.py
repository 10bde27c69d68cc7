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
FONT_SIZE = 14  # legible on a projector at the default figure size
LABEL_SIZE = 12


@dataclass(frozen=True)
class Category:
    """One kind of mark on the sequence diagram (and its arrow, if it has one)."""

    key: str
    label: str  # legend text
    color: str
    symbol: str
    size: int
    dash: str = "solid"  # the arrow's line style
    text_position: str = "top center"


# Drawing order: later categories are drawn on top of earlier ones.
CATEGORIES: tuple[Category, ...] = (
    Category("instr", "instruction retired", LIGHT_GREY, "circle", 5),
    Category("step", "KVM step (L0 code)", GREY, "hexagon", 8),
    Category("apic", "local APIC (IRR / ISR / EOI)", OKABE_ITO["yellow"], "square", 10),
    Category("key_instr", "STI / CLI / EOI / IRET / HLT", OKABE_ITO["reddish_purple"],
             "diamond-tall", 12),
    Category("window", "interrupt window", OKABE_ITO["sky_blue"], "hourglass", 13,
             text_position="bottom center"),
    Category("source", "interrupt raised / kick IPI", OKABE_ITO["black"], "star-diamond", 13,
             dash="dot"),
    Category("inject", "event injection (VM-entry field)", OKABE_ITO["blue"], "diamond", 13,
             dash="dot", text_position="top center"),
    Category("entry_emulated", "VM entry emulated by L0", OKABE_ITO["bluish_green"],
             "triangle-up-open", 13, dash="dash"),
    Category("entry", "VM entry", OKABE_ITO["bluish_green"], "triangle-up", 13),
    Category("exit_emulated", "VM exit emulated by L0 (L2 → L1)", OKABE_ITO["vermillion"],
             "triangle-down-open", 14, dash="dash", text_position="bottom center"),
    Category("exit", "VM exit", OKABE_ITO["vermillion"], "triangle-down", 14,
             text_position="bottom center"),
    Category("deliver", "delivery through an IDT", OKABE_ITO["orange"], "star", 18),
    Category("fail", "VM entry failed (VMfailValid)", OKABE_ITO["black"], "x", 16),
)
CATEGORY = {c.key: c for c in CATEGORIES}

# Lanes, top to bottom inside one world's panel.
LANES = ("L2", "L1", "L0", "HW")
LANE_NAMES = {"L2": "L2 guest", "L1": "L1 hypervisor", "L0": "L0 = KVM", "HW": "CPU"}
# The worlds, top to bottom: the reference first, then what KVM does.
WORLDS = ("bare", "nested")
PANEL_HEIGHT = len(LANES) + 1  # one empty lane between the panels
WORLD_TITLES = {"bare": "Bare metal, the reference", "nested": "Nested"}


def lane_y(world: str, level: str) -> float:
    """The y coordinate of `level`'s lane in `world`'s panel (top panel has the larger y)."""
    panel = len(WORLDS) - 1 - WORLDS.index(world)
    return panel * PANEL_HEIGHT + (len(LANES) - 1 - LANES.index(level))


def y_span() -> tuple[float, float]:
    """The y range covering every lane, with half a lane of margin."""
    return -0.6, lane_y(WORLDS[0], LANES[0]) + 0.8
