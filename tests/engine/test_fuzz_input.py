"""Fuzzing the contract for bad input (hypothesis): malformed scenario files, mutated share
strings, bad Python calls and bad `--set` values.  Each input is either accepted or refused
as contract.py says - exit 2 or ScenarioError, naming the source, no traceback, bounded
memory, no hang.  Inputs per run: EXAMPLES per test below (2,000 in all).
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
import zlib

from contract import api, assert_cli_contract, cli
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import nvmxlab
from nvmxlab import share
from nvmxlab.scenario import SECTIONS, TOP_KEYS
from nvmxlab.scenarios import HERE

EXAMPLES = {"toml": 600, "share": 600, "api": 600, "set": 200}
BUNDLED = sorted(HERE.glob("*.toml"))
TEXTS = [p.read_bytes() for p in BUNDLED]
SEED = nvmxlab.load_bundled("seed-interrupt")
KEYS = list(TOP_KEYS) + [f"{s}.{k}" for s, d in SECTIONS.items() for k in d]

# Pieces a careless or hostile author might leave in a file: TOML's own syntax, digits that
# are not ASCII, invisible and control characters, bytes that are not UTF-8.
PIECES = st.sampled_from([
    "[", "]", "{", "}", "[[", "]]", '"', "'", '"""', "'''", "=", ".", ",", "#", "\n", " ",
    "\\", "\\u", "0x", "1e9", "-", "+", "inf", "nan", "true", "1979-05-27", "３", "١", "²",
    "\ufeff", "\u200b", "\x00", "\x1b", "\r", "\t", "\ud7ff", "é", "L2:", "L1:vmresume:",
    "vmlaunch", "[interrupt]", "[[interrupt]]", "[vmcs12]", "at = ", "bugs = [{a = 1}]",
    "9" * 5000, "[" * 40, "{a=" * 30, "a." * 40, "x" * 3000,
]).map(str.encode) | st.binary(min_size=1, max_size=8)


@st.composite
def mutated_bytes(draw) -> bytes:
    """A bundled file with a few bytes inserted, deleted, replaced or repeated."""
    data = bytearray(draw(st.sampled_from(TEXTS)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(("insert", "delete", "replace", "duplicate")))
        i = draw(st.integers(0, len(data)))
        j = draw(st.integers(i, min(len(data), i + 40)))
        if op == "insert":
            data[i:i] = draw(PIECES)
        elif op == "delete":
            del data[i:j]
        elif op == "replace":
            data[i:j] = draw(PIECES)
        else:
            data[i:i] = data[i:j] * draw(st.integers(1, 3))
    return bytes(data)


NASTY_TEXT = st.sampled_from(["L2:３", "L1:vmresume:١", "L2:3\n", "L2:0", "L2:99999999",
                              "L1:vmresume:0", "nmi", "L3", "", " ", "\x1b[2J", "kvm-2024",
                              "no-req-event-rearm", "vmlaunch", "é" * 300]) | st.text(max_size=12)
# Values a TOML file can hold (no None): of every type, some out of range, some nested.
TOML_VALUES = st.recursive(
    st.booleans() | st.integers() | st.integers(-2, 300) | st.floats() | NASTY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(NASTY_TEXT, inner, max_size=3),
    max_leaves=8)


@st.composite
def bad_scenarios(draw, values=TOML_VALUES) -> dict:
    """A bundled scenario with one value - a key, a section, an interrupt's field, an
    instruction - replaced by anything, or one key added."""
    raw = nvmxlab.load_bundled(draw(st.sampled_from(nvmxlab.bundled()))).to_dict()
    where = draw(st.sampled_from(("top", "section", "interrupt", "instruction", "extra")))
    value = draw(values)
    if where == "top":
        raw[draw(st.sampled_from(TOP_KEYS))] = value
    elif where == "section":
        section = draw(st.sampled_from(sorted(SECTIONS)))
        raw.setdefault(section, {})[draw(st.sampled_from(sorted(SECTIONS[section])))] = value
    elif where == "interrupt" and raw.get("interrupt"):
        irq = draw(st.sampled_from(raw["interrupt"]))
        irq[draw(st.sampled_from(("vector", "to", "at", "type")))] = value
    elif where == "instruction":
        level = draw(st.sampled_from(("l1", "l2")))
        program = raw.setdefault(level, {}).setdefault("program", ["nop"])
        program[draw(st.integers(0, len(program) - 1))] = value
    else:
        raw[draw(NASTY_TEXT)] = value
    return raw


def toml(raw: dict) -> str:
    """`raw` as TOML text, every value inline (a writer small enough to trust)."""
    return "".join(f"{_toml_key(k)} = {_toml_value(v)}\n" for k, v in raw.items())


def _toml_key(key: str) -> str:
    return json.dumps(key)  # a quoted key: any text, JSON's escapes are TOML's


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | str):
        return json.dumps(v)
    if isinstance(v, float):
        return {"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(repr(v), repr(v))
    if isinstance(v, list):
        return "[" + ", ".join(map(_toml_value, v)) + "]"
    return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"


def mutated_files():
    return mutated_bytes() | bad_scenarios().map(lambda raw: toml(raw).encode())


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=4),
    max_leaves=12)


def _wrap(obj: object) -> str:
    raw = json.dumps(obj).encode()
    return share.PREFIX + base64.urlsafe_b64encode(zlib.compress(raw)).decode().rstrip("=")


@st.composite
def mutated_shares(draw) -> str:
    kind = draw(st.sampled_from(("text", "text", "payload", "scenario")))
    if kind == "payload":  # well-formed outside, anything inside
        return _wrap(draw(JSON))
    if kind == "scenario":  # a real scenario with one value replaced by anything
        return _wrap({"s": draw(bad_scenarios(JSON)),
                      **draw(st.dictionaries(st.sampled_from("tmx"), JSON, max_size=2))})
    text = share.encode(nvmxlab.load_bundled(draw(st.sampled_from(nvmxlab.bundled()))))
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 8)))
        piece = draw(st.text(max_size=4) | st.sampled_from(("=", "+", "/", " ", "\n", "A")))
        text = text[:i] + piece + text[j:] if draw(st.booleans()) else text[:i]
    return text


VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
    | st.binary(max_size=8) | st.builds(pow, st.just(10), st.just(5000))  # over 4300 digits
    | st.sampled_from(["nvmx1:", "seed-interrupt", "..",
                                              "", "/", object(), float("nan")]),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=8) | st.integers(), inner, max_size=4)
    | st.frozensets(st.integers() | st.text(max_size=4), max_size=3),
    max_leaves=10)

CALLS = {
    "resolve": (lambda v: nvmxlab.resolve(v), ("scenario argument", "share string", "")),
    "from_dict": (lambda v: nvmxlab.from_dict(v, "fuzz"), ("fuzz",)),
    "from_dict key": (lambda v, k: nvmxlab.from_dict({k: v}, "fuzz"), ("fuzz",)),
    "from_dict scenario": (lambda v: nvmxlab.from_dict(v, "fuzz"), ("fuzz",)),
    "with_overrides": (lambda v: SEED.with_overrides(v), ("with_overrides()", "override",
                                                         SEED.source)),
    "with_overrides key": (lambda v, k: SEED.with_overrides({k: v}, source="the lab control X"),
                           ("the lab control X", SEED.source)),
    "loads": (lambda v: nvmxlab.loads(v, "fuzz"), ("fuzz",)),
    "decode": (lambda v: share.decode(v), ("share string",)),
    "run mode": (lambda v: nvmxlab.run(SEED, v), ("run()",)),
    "check policy": (lambda v: nvmxlab.check(SEED, policy=v), ("run(policy=...)",)),
}

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                      HealthCheck.data_too_large])


@settings(max_examples=EXAMPLES["toml"], **SETTINGS)
@given(mutated_files())
def test_a_mutated_scenario_file_is_read_or_refused_naming_the_file(data):
    fd, path = tempfile.mkstemp(suffix=".toml")
    try:
        os.write(fd, data)
        os.close(fd)
        code, _, err = cli("explain", path)
        event(f"exit {code}")  # shown by pytest --hypothesis-show-statistics
        assert code in (0, 2)
        assert_cli_contract(code, err, path)
    finally:
        os.unlink(path)


@settings(max_examples=EXAMPLES["share"], **SETTINGS)
@given(mutated_shares())
def test_a_mutated_share_string_is_read_or_refused_naming_the_share_string(text):
    event("refused" if api(lambda: share.decode(text), "share string") else "read")
    if share.is_shared(text):
        api(lambda: nvmxlab.resolve(text), "share string")


@settings(max_examples=EXAMPLES["api"], **SETTINGS)
@given(st.sampled_from(sorted(CALLS)), st.data(), st.sampled_from(KEYS) | st.text(max_size=12))
def test_a_bad_python_call_raises_scenario_error_naming_its_source(name, data, key):
    call, sources = CALLS[name]
    value = data.draw(bad_scenarios(VALUES) if name == "from_dict scenario" else VALUES)
    e = api((lambda: call(value, key)) if name.endswith(" key") else (lambda: call(value)), "")
    event("refused" if e else "accepted")
    if e is not None:
        assert e.source.startswith(sources), (e.source, sources)


SET_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30) | st.sampled_from(
    ["true", "0x30", '["nop"]', "[" * 600, '["nop", vmlaunch]', "9" * 5000, "{a = 1}",
     '"L2:３"', "１", "[[1]]", "-1", "1_000"])


@settings(max_examples=EXAMPLES["set"], **SETTINGS)
@given(st.sampled_from(KEYS) | st.text(max_size=12), SET_TEXT)
def test_a_bad_set_value_is_refused_naming_set(key, value):
    # A small max_steps keeps the runs that are accepted short; --set max_steps=... is then
    # refused as given twice, which is the contract too.
    code, _, err = cli("run", "seed-interrupt", "--set", "max_steps=3000", "--set",
                       f"{key}={value}", "--format", "json")
    event(f"exit {code}")
    assert_cli_contract(code, err, "--set")
