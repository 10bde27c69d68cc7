"""Shareable state: one compact string that reproduces a scenario, its settings and a step.

    nvmx1:eJyrVkrLz1eyUkpKLFKqBQA...

What an instructor puts on a slide or a learner posts with a question; `nvmxlab run` and
`Lab()` accept it wherever they accept a scenario.
"""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import dataclass

from .scenario import Scenario, ScenarioError, from_dict

PREFIX = "nvmx1:"


@dataclass(frozen=True)
class Shared:
    scenario: Scenario
    step: int | None = None  # the trace step the view was on
    mode: str | None = None  # "nested" or "bare", if the view showed one world


def encode(scenario: Scenario, step: int | None = None, mode: str | None = None) -> str:
    payload = {"s": scenario.to_dict()}
    if step is not None:
        payload["t"] = step
    if mode is not None:
        payload["m"] = mode
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return PREFIX + base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


def is_shared(text: str) -> bool:
    return isinstance(text, str) and text.strip().startswith(PREFIX)


def decode(text: str) -> Shared:
    body = text.strip()[len(PREFIX):]
    try:
        raw = zlib.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        payload = json.loads(raw)
        scenario_dict = payload["s"]
    except (ValueError, KeyError, zlib.error, TypeError):
        raise ScenarioError("shared string", "nvmx1", "not a valid nvmxlab share string (was "
                            "it cut short?)", "a string starting with nvmx1: copied whole"
                            ) from None
    scenario = from_dict(scenario_dict, "shared string")
    step = payload.get("t")
    return Shared(scenario, step if isinstance(step, int) else None, payload.get("m"))
