"""Play, pause, step, speed and a slider over the steps of the precomputed trace.

`Play` and the slider are linked in the browser (`jslink`), so playing needs no round trip to
start each step; the kernel sees the slider move and redraws the cursor.
"""

from __future__ import annotations

import ipywidgets as w

SPEEDS = (("¼×", 1600), ("½×", 800), ("1×", 400), ("2×", 200), ("4×", 100))  # ms per step


class Player(w.HBox):
    def __init__(self, count: int, value: int):
        self.play = w.Play(value=value, min=0, max=count - 1, step=1, interval=400,
                           description="play", tooltip="play / pause the run step by step")
        self.slider = w.IntSlider(value=value, min=0, max=count - 1, description="step",
                                  continuous_update=True, readout=True,
                                  layout=w.Layout(width="420px"))
        self.link = w.jslink((self.play, "value"), (self.slider, "value"))
        self.back = w.Button(icon="step-backward", tooltip="one step back",
                             layout=w.Layout(width="44px"))
        self.forward = w.Button(icon="step-forward", tooltip="one step forward",
                                layout=w.Layout(width="44px"))
        self.speed = w.SelectionSlider(options=SPEEDS, value=400, description="speed",
                                       layout=w.Layout(width="220px"))
        self.back.on_click(lambda _: self.nudge(-1))
        self.forward.on_click(lambda _: self.nudge(+1))
        self.speed.observe(self._on_speed, "value")
        super().__init__([self.play, self.back, self.forward, self.slider, self.speed],
                         layout=w.Layout(align_items="center", flex_flow="row wrap"))

    @property
    def value(self) -> int:
        return self.slider.value

    def nudge(self, delta: int) -> None:
        self.slider.value = min(max(self.slider.value + delta, 0), self.slider.max)

    def reset(self, count: int, value: int) -> None:
        """A new run: new bounds, the cursor at `value` (clamped)."""
        value = min(max(value, 0), count - 1)
        for widget in (self.slider, self.play):
            # Raise max before moving value, lower it after, so value is never out of range.
            if count - 1 >= widget.max:
                widget.max = count - 1
                widget.value = value
            else:
                widget.value = value
                widget.max = count - 1

    def _on_speed(self, change: dict) -> None:
        self.play.interval = change["new"]
