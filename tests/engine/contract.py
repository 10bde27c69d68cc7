"""The contract for bad input (README, "Bad input"), as assertions the tests share.

Refused input: the CLI exits 2 with one or two lines on stderr naming the source, never a
traceback; the Python API raises ScenarioError whose message starts with the source.  Either
way within bounded memory, and never hanging (a generous guard, not a timing).
"""

from __future__ import annotations

import contextlib
import io
import signal
import tracemalloc
from collections.abc import Callable

from nvmxlab.cli import main
from nvmxlab.scenario import ScenarioError

MEMORY_BYTES = 64 * 1024 * 1024  # peak Python allocation for reading, checking or refusing
HANG_SECONDS = 30  # far above anything legitimate: only a hang reaches it


class Hung(AssertionError):
    pass


@contextlib.contextmanager
def bounded():
    """Fail on a hang, and on a peak allocation above MEMORY_BYTES (tracemalloc counts
    allocations, so this bound does not depend on the machine's speed or load)."""
    def hung(signum, frame):
        raise Hung(f"no answer within {HANG_SECONDS} s")
    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(HANG_SECONDS)
    tracemalloc.start()
    try:
        yield
        peak = tracemalloc.get_traced_memory()[1]
        assert peak <= MEMORY_BYTES, f"peak allocation {peak:,} bytes"
    finally:
        tracemalloc.stop()
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def cli(*args: str) -> tuple[int, str, str]:
    """`nvmxlab ARGS` in this process: exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with bounded(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as e:  # argparse's errors
            code = e.code
    return code, out.getvalue(), err.getvalue()


def assert_cli_contract(code: int, err: str, source: str) -> None:
    """A finished command: 0 or 1 for a scenario that ran, else exit 2 naming `source`."""
    assert code in (0, 1, 2), code
    assert "Traceback" not in err
    if code == 2:
        lines = err.splitlines()
        assert 1 <= len(lines) <= 2, err
        assert lines[0].startswith("nvmxlab"), err
        assert source in err, f"{source!r} not named in: {err}"


def api(call: Callable[[], object], source: str) -> ScenarioError | None:
    """Call the Python API: it returns, or raises a ScenarioError that names `source`
    (any other exception escapes and fails the test)."""
    with bounded():
        try:
            call()
        except ScenarioError as e:
            message = str(e)
            assert message.startswith(source), f"{source!r} does not begin: {message}"
            assert "\n" not in message and len(message) < 2000, message
            return e
    return None
