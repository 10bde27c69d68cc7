"""Fixtures for the lab's tests: the seed scenario, its runs, its diagram data, a Lab."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import nvmxlab
import nvmxlab.engine
from nvmxlab.views.sequence import SequenceData, build


@pytest.fixture(scope="session")
def seed() -> nvmxlab.Scenario:
    return nvmxlab.resolve("seed-interrupt")


@pytest.fixture(scope="session")
def seed_runs(seed) -> dict[str, nvmxlab.Result]:
    c = nvmxlab.check(seed)
    return {"nested": c.nested, "bare": c.bare}


@pytest.fixture(scope="session")
def seed_data(seed_runs) -> SequenceData:
    return build(seed_runs)


@pytest.fixture
def lab() -> Iterator:
    from nvmxlab.widgets import Lab

    opened = Lab("seed-interrupt")
    yield opened
    opened.close()


class RunCounter:
    def __init__(self) -> None:
        self.calls = 0


@pytest.fixture
def engine_runs(monkeypatch) -> RunCounter:
    """Counts every engine run from here on (the lab runs the engine through nvmxlab.engine)."""
    counter = RunCounter()
    real = nvmxlab.engine.run

    def counting(*args, **kwargs):
        counter.calls += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(nvmxlab.engine, "run", counting)
    return counter


def mark_points(fig) -> dict[str, tuple[float, float, str]]:
    """Every mark in a sequence figure: id ("world:seq") → (x, y, marker symbol)."""
    from nvmxlab.views.sequence import MARK_TRACES, TRACE_INDEX

    points = {}
    for name in MARK_TRACES:
        trace = fig.data[TRACE_INDEX[name]]
        for pid, x, y, symbol in zip(trace.ids, trace.x, trace.y, trace.marker.symbol,
                                     strict=True):
            assert pid not in points, f"{pid} drawn twice"
            points[pid] = (x, y, symbol)
    return points
