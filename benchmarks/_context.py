"""The machine a benchmark ran on, printed above its numbers (imported by the bench scripts)."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sys
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gb() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f} GB RAM"
    except OSError:
        pass
    return "RAM unknown"


def load() -> str:
    """The load average: other work on the machine inflates every timing printed here."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load unknown"
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def versions(*packages: str) -> str:
    found = []
    for name in packages:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def machine(*packages: str) -> str:
    lines = [
        f"machine: {cpu_model()}, {os.cpu_count()} cores, {memory_gb()}, "
        f"{platform.system()} {platform.release()}",
        f"python: {platform.python_version()}; {load()}; CI={os.environ.get('CI', '')!r}",
    ]
    if packages:
        lines.append(f"packages: {versions(*packages)}")
    return "\n".join(lines)


def browser_missing() -> str | None:
    """Why the browser benchmarks cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (python3 dev.py bench installs it)"
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.browser.server import CHROMIUM  # the browser tests' own

    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium, or python3 dev.py test as root)"
    return None
