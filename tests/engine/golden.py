"""Every output of every bundled scenario, in both worlds and under every policy: the text
timeline, JSON, `trace-cmd report` lines, the comparison, and share strings.

The files in golden/ were written by this module; `test_golden.py` compares today's outputs
with them.  After a change in behaviour made on purpose, rewrite them and review the diff:

    .venv/bin/python tests/engine/golden.py
"""

from __future__ import annotations

import json
from pathlib import Path

import nvmxlab
from nvmxlab import formats, share
from nvmxlab.bugs import POLICIES

GOLDEN = Path(__file__).parent / "golden"
# Where the bundled scenarios lie differs from one checkout to the next: error messages that
# name a scenario's file are kept with this in its place.
SCENARIOS = str(Path(nvmxlab.__file__).parent / "scenarios")


def canonical_json(text: str) -> str:
    """A JSON document in the layout the golden files keep (one-space indent, keys in order):
    the data and its key order are pinned, not the whitespace between them."""
    return json.dumps(json.loads(text), indent=1) + "\n"


def outputs(name: str) -> dict[str, str]:
    """File name -> content, for one bundled scenario."""
    scenario = nvmxlab.load_bundled(name)
    out: dict[str, str] = {}
    bare = nvmxlab.run(scenario, "bare")
    out["bare.json"] = canonical_json(formats.to_json(bare))
    out["bare.txt"] = formats.text(bare, explain=True) + "\n"
    out["bare.share.txt"] = share.encode(scenario, 4, "bare") + "\n"
    for policy in POLICIES:
        try:
            under = scenario.with_overrides({"policy": policy})
        except nvmxlab.ScenarioError as e:
            out[f"{policy}.error.txt"] = str(e).replace(SCENARIOS, "<scenarios>") + "\n"
            continue
        nested = nvmxlab.run(scenario, "nested", policy)
        comparison = nvmxlab.check(scenario, policy)
        out[f"{policy}.nested.json"] = canonical_json(formats.to_json(nested))
        out[f"{policy}.nested.txt"] = formats.text(nested, explain=True) + "\n"
        out[f"{policy}.kvm-trace.txt"] = formats.kvm_trace(nested) + "\n"
        out[f"{policy}.check.json"] = canonical_json(formats.to_json(comparison))
        out[f"{policy}.check.txt"] = formats.comparison_text(comparison) + "\n"
        out[f"{policy}.share.txt"] = (share.encode(under) + "\n"
                                      + share.encode(under, 7, "nested") + "\n")
    return out


def write() -> None:
    for name in nvmxlab.bundled():
        folder = GOLDEN / name
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
        for file, content in outputs(name).items():
            (folder / file).write_text(content, encoding="utf-8")


if __name__ == "__main__":
    write()
