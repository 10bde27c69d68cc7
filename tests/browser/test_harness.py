"""The helpers themselves: a failing notebook must be seen as failing.

Without this, `errors == []` in other tests could pass because the helper sees nothing.
"""

from .jupyterlab import write_notebook

FAILING_CELLS = [
    "import sys\nprint('something went sideways', file=sys.stderr)",
    "raise ValueError('boom from the harness test')",
    "print('never runs')",
]


def test_run_all_reports_errors_and_stderr(lab, scratch_dir):
    path = write_notebook(scratch_dir / "failing.ipynb", FAILING_CELLS)
    relative = path.relative_to(lab.server.root).as_posix()
    try:
        lab.open_notebook(relative)
        assert lab.run_all(relative) is False
        errors = lab.errors(relative)
    finally:
        lab.server.shutdown_kernels(relative)
    assert any("something went sideways" in error for error in errors), errors
    assert any("ValueError: boom from the harness test" in error for error in errors), errors


def test_a_widget_output_that_cannot_render_is_reported_blank(lab, scratch_dir):
    # A widget view whose model the kernel never created: the page has nothing to draw.
    missing_model = (
        "from IPython.display import display\n"
        "view = {'model_id': 'no-such-model', 'version_major': 2, 'version_minor': 0}\n"
        "display({'application/vnd.jupyter.widget-view+json': view}, raw=True)"
    )
    path = write_notebook(scratch_dir / "blank.ipynb", [missing_model])
    relative = path.relative_to(lab.server.root).as_posix()
    try:
        lab.open_notebook(relative)
        assert lab.run_all(relative) is True
        lab.page.get_by_text("model not found").wait_for()
        blank = lab.blank_widgets()
    finally:
        lab.server.shutdown_kernels(relative)
    assert len(blank) == 1, blank
    assert "model not found" in blank[0]
