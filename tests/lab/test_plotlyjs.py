"""plotly.js reaches the page once, and plotly's widget code imports without its 3 s detour."""

from __future__ import annotations

import subprocess
import sys

from nvmxlab.views import plotlyjs
from nvmxlab.widgets import Lab


def test_the_lab_figures_carry_the_stub_not_plotlys_bundle(lab):
    for figure in (lab.figure, lab.graph):
        assert figure._esm == plotlyjs.STUB_ESM
        assert len(figure._esm) < 1000


def test_two_labs_share_one_bundle_widget():
    first, second = Lab("seed-interrupt"), Lab("nmi-window")
    try:
        assert plotlyjs.shared_bundle() is plotlyjs.shared_bundle()
        assert plotlyjs.shared_bundle().comm is not None
        assert len(plotlyjs.shared_bundle()._esm) > 1_000_000  # plotly.js itself
    finally:
        first.close()
        second.close()
    assert plotlyjs.shared_bundle().comm is not None  # closing a lab leaves it to the next


def test_a_closed_bundle_widget_is_made_again():
    plotlyjs.shared_bundle().close()
    assert plotlyjs.shared_bundle().comm is not None


def test_the_pinned_plotly_bundle_has_what_the_bundle_widget_relies_on():
    # The stubs take the bundle's default export; its report methods are left out by name.
    source = plotlyjs.bundle_esm()
    assert "as FigureView" in source
    for name in plotlyjs.REPORTS:
        assert f"{name}(" in source, name


def test_importing_the_lab_builds_no_rfc3987_grammar():
    code = ("import sys; from nvmxlab.widgets import Lab; Lab('seed-interrupt'); "
            "print('rfc3987_syntax' in sys.modules, 'jsonschema' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[0] == "False"
