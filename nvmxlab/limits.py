"""The documented limits on what a scenario may ask for, and how bad values are shown.

Every source - a file, a share string, `--set`, the Python API, the lab - goes through the
same checks, so no input can make nvmxlab read, parse or run for long.  The README lists these
numbers ("Limits"); a value over one is refused with a message naming it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

MAX_FILE_BYTES = 256 * 1024  # a scenario file, a `--set` value, a decompressed share string
MAX_SHARE_CHARS = MAX_FILE_BYTES  # a share string as pasted
MAX_DEPTH = 16  # tables and arrays inside each other (a scenario needs 3)
MAX_VALUES = 100_000  # values of any kind in one scenario, counted before validation
MAX_PROGRAM = 1_000  # instructions in one stream (program, exit_handler, ...)
MAX_INTERRUPTS = 4_096  # [[interrupt]] entries
MAX_STEPS = 1_000_000  # the largest max_steps: a nested run of that length takes seconds
MAX_SETTLE = 100_000  # the largest settle
MAX_NAME = 200  # characters in `name`

SHOWN = 40  # characters of a bad value that an error message repeats


def shown(value: object, limit: int = SHOWN) -> str:
    """`value` as Python writes it, cut to about `limit` characters: an error message must
    stay one line whatever was given."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        # Writing out an integer of thousands of digits is itself slow (and refused).
        return f"an integer of about {int(value.bit_length() * 0.30103)} digits"
    if isinstance(value, str) and len(value) > 4 * limit:
        value = value[:2 * limit]  # enough to show, without formatting megabytes
    try:
        text = repr(value)
    except Exception:  # a user object whose repr fails still needs naming
        text = f"<{type(value).__name__}>"
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    return text


def suggestion(name: str, names: Iterable[str]) -> str:
    """The words " (did you mean 'x'?)" naming the closest of `names` to a name not among
    them, or "" when none is close: every "no such name" message words it the same way."""
    close = difflib.get_close_matches(name, list(names), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def counted(n: int, one: str, many: str | None = None) -> str:
    """A count with its noun in the right number: "1 exit", "3 exits", "2 mismatches"."""
    return f"{n} {one if n == 1 else many or one + 's'}"


KINDS = {bool: "a boolean", int: "an integer", float: "a float", str: "a string",
         list: "an array", dict: "a table", type(None): "nothing (None)"}


# How each kind is written, for a message about a value of the wrong kind.
EXAMPLES = {bool: "true or false", int: "a whole number, e.g. 3 or 0x30",
            str: 'a quoted string, e.g. "nop"', list: 'e.g. ["nop", "sti"]',
            dict: "a table of keys"}


def kind(t: type) -> str:
    """The TOML word for a Python type: what a scenario's author wrote."""
    return KINDS.get(t, f"a Python {t.__name__}")


def describe(value: object) -> str:
    """What was given, as the message repeats it: "a string 'yes'", "an integer 1"."""
    if value is None:
        return "nothing (None)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    return f"{kind(type(value))} {shown(value)}"
