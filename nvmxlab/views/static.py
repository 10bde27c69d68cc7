"""Output that works without a kernel: slides, static HTML, nbviewer, a PNG for a handout.

`static_figure()` is a plain `go.Figure` whose cursor is animated by plotly frames with a play
button and a slider, so it plays in any browser.  `to_html()` writes it as one standalone file
(plotly.js inlined: it opens offline).  `write_png()` uses kaleido when it is installed and
otherwise renders that HTML in headless Chromium, so a PNG needs either one; without both it
says so instead of failing obscurely.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import plotly.graph_objects as go

from .figure import new_figure
from .paging import cursor
from .runs import Source, runs_of
from .sequence import CURSOR_TRACES, TRACE_INDEX, SequenceData, build

MAX_FRAMES = 300  # a long run animates every k-th step, so the HTML stays small
FRAME_MS = 400
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _frame_steps(count: int, max_frames: int) -> list[int]:
    stride = max(1, -(-count // max_frames))
    steps = list(range(0, count, stride))
    if steps[-1] != count - 1:
        steps.append(count - 1)
    return steps


def _frame(data: SequenceData, world: str, step: int) -> go.Frame:
    moved, relayout = cursor(data, world, step)
    return go.Frame(name=str(step), traces=[TRACE_INDEX[n] for n in CURSOR_TRACES],
                    data=[go.Scatter(**moved[n]) for n in CURSOR_TRACES],
                    layout={"xaxis": {"range": relayout["xaxis.range"]}})


def _controls(steps: list[int]) -> dict:
    play = {"frame": {"duration": FRAME_MS, "redraw": False}, "fromcurrent": True,
            "transition": {"duration": 0}}
    pause = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}
    buttons = [{"label": "▶ play", "method": "animate", "args": [None, play]},
               {"label": "❚❚ pause", "method": "animate", "args": [[None], pause]}]
    slider_steps = [{"label": str(s), "method": "animate",
                     "args": [[str(s)], {"mode": "immediate", "frame": {"duration": 0,
                                                                         "redraw": False}}]}
                    for s in steps]
    return {
        "updatemenus": [{"type": "buttons", "direction": "left", "buttons": buttons,
                         "x": 0, "y": 1.12, "xanchor": "left", "yanchor": "bottom",
                         "showactive": False}],
        "sliders": [{"steps": slider_steps, "x": 0.2, "len": 0.8, "y": 1.12,
                     "yanchor": "bottom", "currentvalue": {"prefix": "step "},
                     "pad": {"t": 0, "b": 0}}],
    }


def static_figure(source: Source | SequenceData, *, world: str = "nested",
                  step: int | None = None, max_frames: int = MAX_FRAMES) -> go.Figure:
    """The sequence diagram as a self-playing figure (no kernel, no widgets needed)."""
    data = source if isinstance(source, SequenceData) else build(runs_of(source))
    count = len(data.worlds[world].events)
    steps = _frame_steps(count, max_frames)
    start = steps[0] if step is None else min(max(step, 0), count - 1)
    fig = new_figure(data, world, start)
    fig.frames = [_frame(data, world, s) for s in steps]
    fig.update_layout(_controls(steps), margin={"t": 110})
    return fig


def to_html(fig: go.Figure, path: str | Path | None = None, *, offline: bool = True) -> str:
    """Standalone HTML for `fig` (written to `path` if given).  `offline` inlines plotly.js
    (about 4.5 MB); otherwise the page loads it from the CDN."""
    text = fig.to_html(full_html=True, include_plotlyjs=True if offline else "cdn",
                       auto_play=False)
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def find_browser() -> str | None:
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def write_png(fig: go.Figure, path: str | Path, *, width: int = 1400, height: int | None = None,
              ) -> Path:
    """A PNG of `fig`: through kaleido if it is installed, else headless Chromium."""
    path = Path(path)
    height = height or int(fig.layout.height or 700) + 40
    try:
        import kaleido  # noqa: F401
    except ImportError:
        return _browser_png(fig, path, width, height)
    fig.write_image(str(path), width=width, height=height)
    return path


def _browser_png(fig: go.Figure, path: Path, width: int, height: int) -> Path:
    browser = find_browser()
    if browser is None:
        raise RuntimeError("write_png needs kaleido (pip install kaleido) or a Chromium/Chrome "
                           "browser on PATH; to_html() works without either")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "figure.html"
        to_html(fig, page)
        args = [browser, "--headless", "--disable-gpu", "--hide-scrollbars",
                f"--window-size={width},{height}", f"--screenshot={path.resolve()}"]
        if os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium's sandbox cannot start as root
        done = subprocess.run([*args, page.as_uri()], capture_output=True, timeout=120)
    if done.returncode != 0 or not path.exists():
        raise RuntimeError(f"{browser} could not render the PNG: "
                           f"{done.stderr.decode(errors='replace').strip()[-300:]}")
    return path
