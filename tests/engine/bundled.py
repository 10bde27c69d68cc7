"""Every bundled scenario in both worlds, under every policy it accepts: pytest params."""

from __future__ import annotations

import pytest

import nvmxlab
from nvmxlab.bugs import POLICIES


def bundled_runs() -> list:
    """(scenario, mode) params: each bundled scenario bare, then nested under each policy."""
    out = []
    for name in nvmxlab.bundled():
        scenario = nvmxlab.load_bundled(name)
        out.append(pytest.param(scenario, "bare", id=f"{name}-bare"))
        for policy in POLICIES:
            try:
                under = scenario.with_overrides({"policy": policy})
            except nvmxlab.ScenarioError:
                continue
            out.append(pytest.param(under, "nested", id=f"{name}-{policy}"))
    return out
