"""`--format json`: its layout - one top-level field a line, each element of a list field a
line, so `grep`, `head` and a diff work on the document without a JSON tool - its fast
encoders, equal to json.dumps, and the command that prints it."""

import gc
import io
import json
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

import nvmxlab
from nvmxlab import formats
from nvmxlab.trace import Event


def seed_json() -> tuple[nvmxlab.Result, list[str]]:
    result = nvmxlab.run(nvmxlab.load_bundled("seed-interrupt"))
    return result, formats.to_json(result).splitlines()


def test_each_trace_step_is_one_line_of_the_json():
    result, lines = seed_json()
    start = lines.index(' "events": [')
    steps = lines[start + 1:start + 1 + len(result.events)]
    assert [json.loads(line.rstrip(",")) for line in steps] == [
        e.to_json() for e in result.events]
    assert lines[start + 1 + len(result.events)] == " ],"


def test_each_top_level_field_starts_a_line_in_its_order():
    result, lines = seed_json()
    keys = [line.split(":", 1)[0].strip().strip('"') for line in lines if line.startswith(' "')]
    assert keys == list(result.to_json())


def test_the_json_document_is_the_result_as_data():
    result, lines = seed_json()
    assert json.loads("\n".join(lines)) == json.loads(json.dumps(result.to_json()))


def test_an_empty_list_field_stays_on_its_line():
    _, lines = seed_json()
    assert ' "violations": [],' in lines


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=300)
@given(JSON_VALUES)
def test_a_list_element_is_encoded_as_json_dumps_encodes_it(value):
    assert formats._ENCODE_ELEMENT(value) == json.dumps(value)


EVENTS = st.builds(
    Event, seq=st.integers(0, 10**6), level=st.sampled_from(("HW", "L0", "L1", "L2")),
    kind=st.text(max_size=8), name=st.text(max_size=8), why=st.text(max_size=12),
    data=st.none() | st.dictionaries(
        st.sampled_from(("seq", "name", "why", "vector", "vmcs", "é")) | st.text(max_size=4),
        JSON_VALUES, max_size=4))


@settings(max_examples=300)
@given(st.lists(EVENTS, max_size=6))
def test_a_trace_step_is_encoded_as_json_dumps_encodes_its_dict(events):
    assert formats.event_lines(events) == [json.dumps(e.to_json()) for e in events]


# Strings that are hard on a writer that cuts encoded text apart: quotes, backslashes,
# non-ASCII, a lone surrogate, and the text at which formats cuts the data of many steps
# encoded in one call ("}, null, {"), alone and inside a list.
AWKWARD = st.sampled_from(('"', '\\', '"}, null, {"', "}, null, {", "é", "\u2028", "\ud800",
                           '", "why": "', "\n"))
DATA_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6) | AWKWARD,
    lambda inner: st.lists(inner | st.just({}), max_size=4)
    | st.dictionaries(st.text(max_size=4) | AWKWARD, inner, max_size=3),
    max_leaves=10)
DATA = st.dictionaries(st.text(max_size=4) | AWKWARD, DATA_VALUES, max_size=4)


@settings(max_examples=300)
@given(st.lists(DATA, max_size=8))
def test_dicts_encoded_in_one_call_are_cut_into_each_ones_encoding(dicts):
    assert formats._Dicts().inside(dicts) == [json.dumps(d)[1:-1] for d in dicts]


def test_a_dict_holding_the_cut_is_encoded_as_json_dumps_encodes_it():
    dicts = [{"a": 1}, {"cut": [{}, None, {"b": 2}]}, {"text": "}, null, {"}, {}]
    assert formats._Dicts().inside(dicts) == [json.dumps(d)[1:-1] for d in dicts]


@settings(max_examples=200)
@given(st.lists(st.builds(Event, seq=st.integers(0, 10**6),
                          level=st.sampled_from(("L0", "L1")), kind=AWKWARD | st.just("kvm"),
                          name=AWKWARD, why=AWKWARD | st.just(""),
                          data=st.none() | DATA), max_size=8))
def test_a_step_with_awkward_strings_is_encoded_as_json_dumps_encodes_its_dict(events):
    assert formats.event_lines(events) == [json.dumps(e.to_json()) for e in events]


def test_a_trace_written_in_pieces_is_the_document_made_whole(monkeypatch):
    result = nvmxlab.run(nvmxlab.load_bundled("seed-interrupt"))
    whole = formats.to_json(result)
    monkeypatch.setattr(formats, "STEPS_A_PIECE", 7)  # the seed case has 50 steps
    assert len(list(formats.json_pieces(result))) > len(result.events) // 7
    assert formats.to_json(result) == whole
    out = io.StringIO()
    formats.write_json(result, out)
    assert out.getvalue() == whole
    assert json.loads(whole) == json.loads(json.dumps(result.to_json()))


def command(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nvmxlab", *args], capture_output=True,
                          text=True)


def test_the_command_prints_the_document_formats_to_json_writes():
    done = command("run", "seed-interrupt", "--format", "json")
    result = nvmxlab.run(nvmxlab.load_bundled("seed-interrupt"))
    assert done.returncode == 0 and done.stdout == formats.to_json(result) + "\n"


def test_the_command_exits_with_the_status_of_the_command_line():
    assert command("run", "bug-kick-without-req-event").returncode == 1
    assert command("run", "no-such-scenario").returncode == 2


def test_a_document_half_read_leaves_the_collector_running():
    """The collector is paused while to_json/write_json make the document, not while a
    reader of json_pieces holds it unfinished (a notebook kernel would run without it)."""
    pieces = formats.json_pieces(nvmxlab.run(nvmxlab.load_bundled("seed-interrupt")))
    next(pieces)
    assert gc.isenabled()
    formats.write_json(nvmxlab.run(nvmxlab.load_bundled("seed-interrupt")), io.StringIO())
    assert gc.isenabled()
