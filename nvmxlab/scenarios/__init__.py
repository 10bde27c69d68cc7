"""The bundled scenarios: one TOML file each, found by name."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import ScenarioError
from ..limits import describe, suggestion
from ..scenario import Scenario, load
from ..share import decode, is_shared

HERE = Path(__file__).parent
KINDS = "a Scenario, a bundled scenario's name, a path to a TOML file or a share string"
# What looks like a share string of another version ("nvmx2:...") rather than a name.
_OTHER_SHARE = re.compile(r"nvmx[0-9]+:")


def bundled() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.toml"))


def load_bundled(name: str) -> Scenario:
    names = bundled()
    if not isinstance(name, str) or name not in names:
        # Only the names listed: a name is never a path ("../x" finds nothing here).
        if not isinstance(name, str):
            raise ScenarioError("load_bundled()", "name", f"expected a name, got "
                                f"{describe(name)}", ", ".join(names))
        raise ScenarioError(name, "name", "no bundled scenario of that name" +
                            suggestion(name, names), ", ".join(names))
    return load(HERE / f"{name}.toml")


def resolve(name_or_path: str | Path | Scenario) -> Scenario:
    """A scenario object, a share string (nvmx1:...), a path to a TOML file, or the name of a
    bundled scenario.  Anything else is a ScenarioError saying what was given."""
    x = name_or_path
    if isinstance(x, Scenario):
        return x
    if isinstance(x, Path):
        return load(x)
    if not isinstance(x, str):
        raise ScenarioError("scenario argument", "scenario", f"expected {KINDS}, got "
                            f"{describe(x)}")
    if is_shared(x) or _OTHER_SHARE.match(x.strip()):
        return decode(x).scenario
    if not x.strip():
        raise ScenarioError("scenario argument", "scenario", f"empty: expected {KINDS}")
    if x.endswith(".toml") or "/" in x or x in (".", "..") or _is_file(x):
        return load(Path(x))
    return load_bundled(x)


def _is_file(text: str) -> bool:
    try:
        return Path(text).exists()
    except (OSError, ValueError):  # a name too long, a NUL byte: not an existing file
        return False
