"""ScenarioError: the one error any bad input becomes, whatever its source."""

from __future__ import annotations

SOURCE_CHARS = 120  # a path or argument named in a message, at most


class ScenarioError(ValueError):
    """A bad scenario or argument: names the source, the key and what is allowed.

    `source` is where the input came from: a file name, "share string", "--set KEY", a lab
    control, "run()".  The message is one line: "SOURCE: KEY: PROBLEM (allowed: ALLOWED)";
    when the source already ends with the key ("--set vmcs12.hlt_exiting"), the key is not
    repeated.
    """

    def __init__(self, source: str, key: str, problem: str, allowed: str = ""):
        source, key = _printable(source), _printable(key)
        # One line whatever a message quotes (a parser's message, a system's error text).
        problem, allowed = (t.replace("\n", "\\n").replace("\r", "\\r") for t in (problem, allowed))
        self.source, self.key, self.problem, self.allowed = source, key, problem, allowed
        where = source if not key or source.endswith(" " + key) else f"{source}: {key}"
        msg = f"{where}: {problem}"
        if allowed:
            msg += f" (allowed: {allowed})"
        super().__init__(msg)


def _printable(source: str) -> str:
    """A source or key as one short printable line: a hostile path or key can hold
    newlines, escape sequences or lone surrogates, or be megabytes long."""
    if not isinstance(source, str):
        source = str(source)
    if len(source) > 4 * SOURCE_CHARS:
        source = source[:SOURCE_CHARS + 1]
    if not source.isprintable() or not _utf8(source):
        source = repr(source)[1:-1]
    return source if len(source) <= SOURCE_CHARS else source[:SOURCE_CHARS - 1] + "…"


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
