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
