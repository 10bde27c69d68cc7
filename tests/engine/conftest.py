import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

# The helpers next to the tests (views.py, strategies.py) import as plain modules.
sys.path.insert(0, str(Path(__file__).parent))

# Hypothesis profiles for the tests that take their example count from the profile (those
# with an explicit max_examples keep it): CI runs the full 10,000; a developer's default run
# fewer.  Choose one with HYPOTHESIS_PROFILE=ci|dev.
# CI draws the same examples every run (derandomize): a run's verdict is the code's, not the
# draw's; a developer's runs keep drawing new ones and keep what they find in the database.
settings.register_profile("ci", max_examples=10_000, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=500, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI") == "true" else "dev"))
