"""From bytes to plain data, within the limits: reading a scenario file, parsing TOML, and
copying whatever a caller passed in.

Whatever goes wrong here becomes a ScenarioError naming the source; nothing reads more than
MAX_FILE_BYTES, recurses more than MAX_DEPTH deep or copies more than MAX_VALUES values.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path

from .errors import ScenarioError
from .limits import MAX_DEPTH, MAX_FILE_BYTES, MAX_VALUES, describe

BOM = "\ufeff"


def read_file(path: Path) -> str:
    """A scenario file's text: a regular file of at most MAX_FILE_BYTES, in UTF-8."""
    source = str(path)
    if "\0" in source:  # os.stat() would raise ValueError
        raise ScenarioError(source, "file", "a file name cannot contain a NUL character")
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            # Opening a directory fails, and opening a pipe or a terminal waits for ever.
            what = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise ScenarioError(source, "file", what, "a TOML file")
        if info.st_size > MAX_FILE_BYTES:
            raise ScenarioError(source, "file", f"too large ({info.st_size} bytes)",
                                f"up to {MAX_FILE_BYTES} bytes")
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError(source, "file", "no such file", "an existing TOML file; or, "
                            "instead of a file, a bundled scenario's name (`nvmxlab list`) or a "
                            "share string (nvmx1:...)") from None
    except OSError as e:  # permissions, a symlink loop, a name too long, ...
        raise ScenarioError(source, "file", f"cannot read it: {e.strerror or e}") from None
    if len(data) > MAX_FILE_BYTES:  # it grew while being read
        raise ScenarioError(source, "file", "too large", f"up to {MAX_FILE_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise ScenarioError(source, "file", f"not UTF-8 text: byte 0x{data[e.start]:02x} at "
                            f"line {line}", "a file saved as UTF-8") from None


def parse_toml(text: str, source: str, key: str = "file") -> dict:
    """`text` parsed as TOML, after checking its size and nesting (the parser recurses into
    nested arrays and takes quadratic time over long dotted keys)."""
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError(source, key, f"too large ({len(text)} characters)",
                            f"up to {MAX_FILE_BYTES} characters")
    text = text.removeprefix(BOM)  # as Windows editors save UTF-8
    nesting(text, source, key)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(source, key, f"not valid TOML: {e}") from None
    except ValueError as e:  # "Exceeds the limit (4300 digits) for integer string conversion"
        raise ScenarioError(source, key, f"not valid TOML: {str(e).split(':')[0]}") from None
    except RecursionError:  # nesting() missed a form of nesting
        raise ScenarioError(source, key, "nested too deeply",
                            f"up to {MAX_DEPTH} levels") from None


# Strings and comments (skipped), brackets, separators and dots, outside strings.  The
# multi-line forms may end with up to two extra quotes that belong to the text (TOML 1.0).
_TOKENS = re.compile(r'''
    (?P<skip> """(?:[^"\\]|\\.|""?(?!"))*"{3,5} | '{3}(?:[^']|''?(?!'))*'{3,5}
            | "(?:[^"\\\n]|\\.)*" | '[^'\n]*' | \#[^\n]* )
  | (?P<open>[\[{]) | (?P<close>[\]}]) | (?P<sep>[=,\n]) | (?P<dot>\.)
''', re.VERBOSE | re.DOTALL)


def nesting(text: str, source: str, key: str) -> None:
    """Refuse arrays or tables more than MAX_DEPTH deep, and dotted keys of more than
    MAX_DEPTH parts, before the parser sees them."""
    depth = dots = 0
    for m in _TOKENS.finditer(text):
        kind = m.lastgroup
        if kind == "dot":
            dots += 1
            if dots < MAX_DEPTH:
                continue
        elif kind == "open":
            depth, dots = depth + 1, 0
            if depth <= MAX_DEPTH:
                continue
        elif kind == "close":
            depth, dots = max(depth - 1, 0), 0
            continue
        elif kind == "sep":
            dots = 0
            continue
        else:
            continue
        line = text.count("\n", 0, m.start()) + 1
        raise ScenarioError(source, key, f"nested too deeply at line {line}",
                            f"up to {MAX_DEPTH} levels of tables, arrays and dotted keys")


def plain(value: object, source: str, what: str = "scenario") -> object:
    """A deep copy of `value` made of tables (str keys), arrays and atoms, at most MAX_DEPTH
    deep and MAX_VALUES values; strings must be valid Unicode.  Iterative: a caller's
    structure may be deep or contain itself."""
    root: list = [None]
    # (value, parent container, slot, parent's key, depth).  A value's own key ("l1.program",
    # "interrupt[3].at") is written out only for a table or an array, or an error: a long
    # scenario has tens of thousands of atoms.
    stack: list[tuple[object, dict | list, object, str | None, int]] = [(value, root, 0, None, 0)]
    count = 1
    while stack:
        item, parent, slot, parent_key, depth = stack.pop()
        if isinstance(item, dict | list):
            key = _key(parent, slot, parent_key)
            count += len(item)  # before looking at them: a caller's list may be huge
            if count > MAX_VALUES:
                raise ScenarioError(source, key or what, "too many values",
                                    f"up to {MAX_VALUES} in one scenario")
            if depth >= MAX_DEPTH:
                raise ScenarioError(source, key or what, "nested too deeply",
                                    f"up to {MAX_DEPTH} levels of tables and arrays")
            if isinstance(item, dict):
                copy: dict = {}
                for k, v in item.items():
                    if not isinstance(k, str):
                        raise ScenarioError(source, key or what, f"a key that is not a "
                                            f"string: {describe(k)}", "keys such as 'vmcs12'")
                    _check_text(k, source, key or what)
                    copy[k] = None
                    stack.append((v, copy, k, key, depth + 1))
                parent[slot] = copy
            else:
                copy_list: list = [None] * len(item)
                for i, v in enumerate(item):
                    stack.append((v, copy_list, i, key, depth + 1))
                parent[slot] = copy_list
        else:
            if isinstance(item, str) and not item.isascii():
                _check_text(item, source, _key(parent, slot, parent_key) or what)
            parent[slot] = item
    return root[0]


def _key(parent: dict | list, slot: object, parent_key: str | None) -> str:
    """The dotted key of the value at parent[slot]: "" for the whole value (no parent key)."""
    if parent_key is None:
        return ""
    if isinstance(parent, dict):
        return f"{parent_key}.{slot}" if parent_key else str(slot)
    return f"{parent_key}[{slot}]"


def _check_text(text: str, source: str, key: str) -> None:
    if text.isascii():  # most text, and the test costs next to nothing
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ScenarioError(source, key, f"not valid Unicode text: {text[e.start]!r} is a "
                            "lone surrogate", "Unicode text (UTF-8)") from None
