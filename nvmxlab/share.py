"""Shareable state: one compact string that reproduces a scenario, its settings and a step.

    nvmx1:eJyrVkrLz1eyUkpKLFKqBQA...

What an instructor puts on a slide or a learner posts with a question; `nvmxlab run` and
`Lab()` accept it wherever they accept a scenario.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from dataclasses import dataclass

from .errors import ScenarioError
from .limits import MAX_DEPTH, MAX_FILE_BYTES, MAX_SHARE_CHARS, describe, shown
from .scenario import Scenario, from_dict

PREFIX = "nvmx1:"
SOURCE = "share string"
MODES = ("nested", "bare")  # the worlds a view can show (engine.MODES)
PAYLOAD_KEYS = {"s": "the scenario", "t": "the step", "m": "the world"}
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*\Z")
WHOLE = "a string starting with nvmx1: copied whole"


@dataclass(frozen=True)
class Shared:
    scenario: Scenario
    step: int | None = None  # the trace step the view was on
    mode: str | None = None  # "nested" or "bare", if the view showed one world


def encode(scenario: Scenario, step: int | None = None, mode: str | None = None) -> str:
    payload = {"s": scenario.to_dict()}
    if step is not None:
        payload["t"] = step
    if mode is not None:
        payload["m"] = mode
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return PREFIX + base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


def is_shared(text: str) -> bool:
    return isinstance(text, str) and text.strip().startswith(PREFIX)


def decode(text: str) -> Shared:
    """The scenario, step and world a share string holds.  Anything else - a string cut
    short, changed, padded, too large once decompressed - is a ScenarioError."""
    payload = _payload(_inflate(_body(text)))
    extra = sorted(set(payload) - set(PAYLOAD_KEYS))
    if extra:
        _fail("payload", f"unknown key {shown(extra[0])}", ", ".join(PAYLOAD_KEYS))
    if "s" not in payload:
        _fail("payload", "no scenario in it", WHOLE)
    step, mode = payload.get("t"), payload.get("m")
    if step is not None and (not isinstance(step, int) or isinstance(step, bool) or step < 0):
        _fail("step", f"expected a step number, got {describe(step)}", "an integer >= 0")
    if mode is not None and mode not in MODES:
        _fail("world", f"unknown world {shown(mode)}", ", ".join(MODES))
    return Shared(from_dict(payload["s"], SOURCE), step, mode)


def _fail(key: str, problem: str, allowed: str = WHOLE):
    raise ScenarioError(SOURCE, key, problem, allowed)


def _body(text: str) -> bytes:
    if not isinstance(text, str):
        _fail("nvmx1", f"expected a string, got {describe(text)}")
    if len(text) > MAX_SHARE_CHARS:
        _fail("nvmx1", f"too long ({len(text)} characters)", f"up to {MAX_SHARE_CHARS}")
    text = text.strip()
    if not text.startswith(PREFIX):
        other = re.match(r"nvmx[0-9]{1,4}:", text)
        _fail("nvmx1", f"a share string of another version ({other.group()})" if other
              else "does not start with nvmx1:", "nvmx1: strings, as this nvmxlab writes them")
    body = text[len(PREFIX):].rstrip("=")
    if not _BASE64URL.match(body):
        bad = next(c for c in body if not (c.isascii() and (c.isalnum() or c in "-_")))
        _fail("nvmx1", f"not a valid nvmxlab share string: {bad!r} at character "
              f"{len(PREFIX) + body.index(bad) + 1} (was it retyped or wrapped?)",
              "letters, digits, - and _ after nvmx1:")
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except binascii.Error:
        _fail("nvmx1", "not a valid nvmxlab share string (was it cut short?)")


def _inflate(data: bytes) -> bytes:
    """Decompress at most MAX_FILE_BYTES: a few kilobytes of zlib can expand to gigabytes."""
    d = zlib.decompressobj()
    try:
        raw = d.decompress(data, MAX_FILE_BYTES)
    except zlib.error:
        _fail("nvmx1", "not a valid nvmxlab share string (was it cut short or changed?)")
    if d.unconsumed_tail:
        _fail("nvmx1", f"expands to more than {MAX_FILE_BYTES} bytes",
              f"up to {MAX_FILE_BYTES} bytes decompressed")
    if not d.eof:
        _fail("nvmx1", "not a valid nvmxlab share string (was it cut short?)")
    if d.unused_data:
        _fail("nvmx1", "not a valid nvmxlab share string (something follows its end)")
    return raw


def _payload(raw: bytes) -> dict:
    try:
        payload = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except _Duplicate as e:
        _fail("payload", f"the key {shown(e.args[0])} appears twice")
    except RecursionError:
        _fail("payload", "nested too deeply", f"up to {MAX_DEPTH} levels")
    except ValueError as e:  # not UTF-8, not JSON, an integer of over 4300 digits
        _fail("payload", f"not valid: {shown(str(e).split(':')[0], 80)}")
    if not isinstance(payload, dict):
        _fail("payload", f"expected a table, got {describe(payload)}")
    return payload


class _Duplicate(Exception):
    pass


def _no_duplicates(pairs: list) -> dict:
    out = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out
