"""The lab's stable hooks and boundaries: DOM classes, one widget, no plotting in the engine."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import plotly.graph_objects as go

from nvmxlab.views import stategraph
from nvmxlab.widgets import Lab


def test_the_lab_is_one_widget_holding_the_diagram_graph_text_share_and_paste_boxes(lab):
    def tree(widget):
        yield widget
        for child in getattr(widget, "children", ()):
            yield from tree(child)

    inside = list(tree(lab))
    for part in (lab.figure, lab.graph, lab.step_text, lab.share_box, lab.paste_box,
                 lab.compare, lab.status,
                 *lab.controls.values()):
        assert any(part is x for x in inside)


def test_the_browser_tests_hooks_are_css_classes_on_the_parts(lab):
    assert "nvmx-lab" in lab._dom_classes
    assert "nvmx-sequence" in lab.figure._dom_classes
    assert "nvmx-stategraph" in lab.graph._dom_classes
    assert "nvmx-step-text" in lab.step_text._dom_classes
    assert "nvmx-share" in lab.share_box._dom_classes
    assert "nvmx-paste" in lab.paste_box._dom_classes


def test_the_figure_is_a_figurewidget_and_the_result_is_the_nested_run(lab):
    assert isinstance(lab.figure, go.FigureWidget)
    assert lab.result.mode == "nested"


def test_the_lab_opens_a_scenario_object_and_a_file_path(seed):
    for source in (seed, seed.source):
        lab = Lab(source)
        try:
            assert lab.scenario.to_dict() == seed.to_dict()
        finally:
            lab.close()


def test_the_engine_imports_no_plotting_or_widget_library():
    code = ("import sys, nvmxlab; nvmxlab.check(nvmxlab.resolve('seed-interrupt')); "
            "print(sorted({'plotly', 'ipywidgets', 'networkx', 'anywidget'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_importing_the_views_does_not_import_networkx():
    code = "import sys, nvmxlab.views; print('networkx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


STATE_GRAPH_MODULES = ("geometry", "layout", "edges", "graph", "ring", "figure")


def test_the_state_graphs_modules_import_one_way():
    # Each module of the state graph imports only those listed before it (one idea a module).
    folder = Path(stategraph.__file__).parent
    for k, name in enumerate(STATE_GRAPH_MODULES):
        tree = ast.parse((folder / f"{name}.py").read_text())
        siblings = {node.module for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom) and node.level == 1}
        assert siblings <= set(STATE_GRAPH_MODULES[:k]), (name, siblings)
    assert {p.stem for p in folder.glob("*.py")} == {"__init__", *STATE_GRAPH_MODULES}
