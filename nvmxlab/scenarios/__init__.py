"""The bundled scenarios: one TOML file each, found by name."""

from __future__ import annotations

from pathlib import Path

from ..scenario import Scenario, ScenarioError, load
from ..share import decode, is_shared

HERE = Path(__file__).parent


def bundled() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.toml"))


def load_bundled(name: str) -> Scenario:
    path = HERE / f"{name}.toml"
    if not path.exists():
        raise ScenarioError(name, "name", "no bundled scenario of that name",
                            ", ".join(bundled()))
    return load(path)


def resolve(name_or_path: str | Path | Scenario) -> Scenario:
    """A scenario object, a share string (nvmx1:...), a path to a TOML file, or the name of a
    bundled scenario."""
    if isinstance(name_or_path, Scenario):
        return name_or_path
    if is_shared(str(name_or_path)):
        return decode(str(name_or_path)).scenario
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        return load(path)
    return load_bundled(str(name_or_path))
