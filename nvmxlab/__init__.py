"""nvmxlab: nested VMX interrupt injection, as a model you can run, see and check.

    >>> import nvmxlab
    >>> s = nvmxlab.load_bundled("seed-interrupt")
    >>> nested = nvmxlab.run(s, "nested")
    >>> report = nvmxlab.check(s)
"""

from .checker import Comparison
from .engine import MODES, check, compare, run
from .result import Result
from .scenario import Scenario, ScenarioError, from_dict, load, loads
from .scenarios import bundled, load_bundled, resolve

__all__ = [
    "MODES", "Comparison", "Result", "Scenario", "ScenarioError", "bundled", "check",
    "compare", "from_dict", "load", "load_bundled", "loads", "resolve", "run",
]
