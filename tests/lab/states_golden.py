"""The vCPU state after every step (`step_states`) of every bundled scenario, in both worlds
and under every policy, as the state graph, the "who runs" bars, the IF = 0 line and the step
text read it.

states_golden.json was written by this module; `test_states.py` compares today's states with
it.  After a change in behaviour made on purpose, rewrite it and review the diff:

    .venv/bin/python tests/lab/states_golden.py
"""

from __future__ import annotations

import json
from pathlib import Path

import nvmxlab
from nvmxlab.bugs import POLICIES
from nvmxlab.views.states import step_states

GOLDEN = Path(__file__).with_name("states_golden.json")


def runs(name: str) -> dict[str, nvmxlab.Result]:
    """"bare" and each policy the scenario accepts -> its run."""
    scenario = nvmxlab.load_bundled(name)
    out = {"bare": nvmxlab.run(scenario, "bare")}
    for policy in POLICIES:
        try:
            scenario.with_overrides({"policy": policy})
        except nvmxlab.ScenarioError:
            continue
        out[policy] = nvmxlab.run(scenario, "nested", policy)
    return out


def encoded(result: nvmxlab.Result) -> list[list]:
    """The states as runs of equal ones: [count, label, running, windows, interrupts_off]."""
    out: list[list] = []
    for s in step_states(result):
        row = [s.label, s.running, sorted(s.windows), s.interrupts_off]
        if out and out[-1][1:] == row:
            out[-1][0] += 1
        else:
            out.append([1, *row])
    return out


def states() -> dict[str, dict[str, list[list]]]:
    return {name: {world: encoded(r) for world, r in runs(name).items()}
            for name in nvmxlab.bundled()}


def dumps(data: dict) -> str:
    """One line per run of equal states: small diffs after a change."""
    lines = ["{"]
    for i, (name, worlds) in enumerate(data.items()):
        lines.append(f" {json.dumps(name)}: {{")
        for j, (world, rows) in enumerate(worlds.items()):
            lines.append(f"  {json.dumps(world)}: [")
            lines += [f"   {json.dumps(row)}" + ("," if k < len(rows) - 1 else "")
                      for k, row in enumerate(rows)]
            lines.append("  ]" + ("," if j < len(worlds) - 1 else ""))
        lines.append(" }" + ("," if i < len(data) - 1 else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    GOLDEN.write_text(dumps(states()), encoding="utf-8")
