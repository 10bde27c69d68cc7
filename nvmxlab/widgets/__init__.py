"""The interactive lab (ipywidgets + plotly FigureWidget, which needs anywidget).

    >>> from nvmxlab.widgets import Lab
    >>> Lab("seed-interrupt")

`Lab` is the whole lab; `CompareView` and `Player` are its parts, usable alone.
"""

from __future__ import annotations

from ..views.snapshot import Snapshot, take
from .compare import CompareView
from .controls import SPECS, make_controls
from .lab import Lab
from .player import Player

__all__ = ["SPECS", "CompareView", "Lab", "Player", "Snapshot", "make_controls", "take"]
