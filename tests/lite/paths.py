"""Where the site and its build scripts are (no Playwright needed here)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SITE = REPO / "build" / "lite"


def load_lite_module(name: str):
    """lite/<name>.py, which runs outside the project's environment and is not a package."""
    path = REPO / "lite" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"nvmxlab_lite_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
