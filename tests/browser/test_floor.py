"""The floor measurement: a trivial FigureWidget repaints after every checkbox click.

Timings are printed (in the "browser timings" section of pytest's summary), never asserted:
they depend on the machine. What is asserted is that the figure rendered and that every click
repainted it.
"""

from .floor import CLICKS, WARMUP


def expected_titles() -> list[str]:
    # The checkbox starts off and each click toggles it, so an odd click count means "on".
    # The warm-up clicks come first and are not in the measurement.
    clicks_so_far = [WARMUP + index + 1 for index in range(CLICKS)]
    return ["checkbox: on" if count % 2 else "checkbox: off" for count in clicks_so_far]


def test_floor_figure_repaints_after_every_click(floor):
    assert floor.ran, f"a cell failed: {floor.errors}"
    assert floor.errors == []
    assert floor.rendered, "no plotly SVG appeared in the output (see test-artifacts/floor.png)"
    assert floor.no_repaint is None, floor.no_repaint
    assert len(floor.measurement.samples_ms) == CLICKS
    assert floor.measurement.shown == expected_titles()
    print(floor.measurement.summary())
