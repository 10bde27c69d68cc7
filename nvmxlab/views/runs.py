"""What a diagram can be drawn from: results, a comparison, or something that names a scenario."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..checker import Comparison
from ..engine import check
from ..result import Result
from ..scenario import Scenario
from ..scenarios import resolve

Source = Result | Comparison | Mapping | Scenario | str | Path


def runs_of(source: Source) -> dict[str, Result]:
    """{"bare": …, "nested": …} for a comparison, a scenario (run both ways), a name, a path or
    a share string; {mode: result} for a single result; a mapping is taken as it is."""
    if isinstance(source, Result):
        return {source.mode: source}
    if isinstance(source, Comparison):
        return {"nested": source.nested, "bare": source.bare}
    if isinstance(source, Mapping):
        return dict(source)
    comparison = check(resolve(source))
    return {"nested": comparison.nested, "bare": comparison.bare}
