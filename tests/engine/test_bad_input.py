"""Bad input, one class each: a clear error naming the source, the key and what is allowed;
never a traceback, a hang or a silent default (README, "Bad input" and "Limits")."""

import base64
import json
import zlib

import pytest
from contract import api, assert_cli_contract, cli

import nvmxlab
from nvmxlab import exercises, limits, share
from nvmxlab.scenario import loads

GOOD = """
[[interrupt]]
vector = 0x30
to = "L1"
at = "L2:3"
"""
SEED = nvmxlab.load_bundled("seed-interrupt")


def refused(text: str, source: str = "lesson.toml") -> str:
    e = api(lambda: loads(text, source), source)
    assert e is not None, "accepted"
    return str(e)


def payload(obj: object) -> str:
    """A share string holding `obj`, well-formed on the outside."""
    raw = json.dumps(obj).encode()
    return share.PREFIX + base64.urlsafe_b64encode(zlib.compress(raw)).decode().rstrip("=")


def shared_refusal(text: str) -> str:
    e = api(lambda: share.decode(text), "share string")
    assert e is not None, "accepted"
    return str(e)


# -- values of the wrong shape ------------------------------------------------------------------

@pytest.mark.parametrize("bugs", ["[{a = 1}]", "[[1]]", "[1]"])
def test_a_bug_entry_that_is_not_a_name_is_an_unknown_bug(bugs):
    assert "bugs[0]: unknown bug" in refused(f"bugs = {bugs}\n" + GOOD)


def test_a_bug_listed_twice_is_refused():
    twice = 'policy = "kvm-modern"\nbugs = ["ack-before-exit", "ack-before-exit"]\n'
    assert "bugs[1]: 'ack-before-exit' is listed twice" in refused(twice + GOOD)


@pytest.mark.parametrize("value, given", [("true", "a boolean (true)"), ("1.0", "a float 1.0"),
                                          ('"1"', "a string '1'")])
def test_format_must_be_the_integer_1(value, given):
    assert f"format: expected an integer, got {given}" in refused(f"format = {value}\n" + GOOD)


@pytest.mark.parametrize("trigger", ["L2:３", "L1:vmresume:١", "L2:3\\n", "L2:3 ", "l2:3"])
def test_a_trigger_takes_ascii_digits_and_nothing_after(trigger):
    assert "bad trigger" in refused(GOOD.replace("L2:3", trigger))


def test_a_trigger_beyond_max_steps_can_never_fire():
    msg = refused("max_steps = 100\n" + GOOD.replace("L2:3", "L2:101"))
    assert "can never fire" in msg and "max_steps (100)" in msg


def test_a_missing_vector_says_missing_and_the_range():
    msg = refused(GOOD.replace("vector = 0x30\n", ""))
    assert "interrupt[0].vector: missing (allowed: 0x20..0xff" in msg


def test_a_huge_vector_is_shown_shortened():
    msg = refused(GOOD.replace("0x30", "0x" + "f" * 2000))
    assert "bad vector" in msg and len(msg) < 300


def test_a_control_character_in_the_name_is_refused():
    assert "control character" in refused('name = "a\\u001b[2Jb"\n' + GOOD)


# -- limits ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("key, value", [("max_steps", limits.MAX_STEPS + 1),
                                        ("settle", limits.MAX_SETTLE + 1), ("max_steps", 0),
                                        ("settle", -1)])
def test_counts_outside_their_limits_are_refused_with_the_range(key, value):
    assert f"{key}: {value} is out of range (allowed: " in refused(f"{key} = {value}\n" + GOOD)


def test_a_program_over_the_limit_is_refused():
    program = ", ".join(['"nop"'] * (limits.MAX_PROGRAM + 1))
    msg = refused(GOOD + f"[l2]\nprogram = [{program}]\n")
    assert f"l2.program: {limits.MAX_PROGRAM + 1} instructions" in msg


def test_more_interrupts_than_the_limit_are_refused():
    msg = refused(GOOD * (limits.MAX_INTERRUPTS + 1))
    assert f"interrupt: {limits.MAX_INTERRUPTS + 1} interrupts" in msg


@pytest.mark.parametrize("text", [
    "a = " + "[" * 500 + "]" * 500,
    "a = " + "{b = " * 500 + "1" + "}" * 500,
    "a" + ".a" * 100_000 + " = 1",
    "[a" + ".a" * 100_000 + "]",
])
def test_deep_nesting_in_a_file_is_refused_before_parsing(text):
    assert "nested too deeply at line 1" in refused(text)


def test_brackets_inside_strings_and_comments_are_not_nesting():
    text = 'explain = """' + "[" * 100 + '"""\n# ' + "{" * 100 + "\n" + GOOD
    assert loads(text).explain == "[" * 100


def test_an_integer_of_thousands_of_digits_is_refused_as_toml():
    assert "not valid TOML" in refused("settle = " + "9" * 5000 + "\n")


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    big = tmp_path / "big.toml"
    big.write_text(GOOD + "#" * limits.MAX_FILE_BYTES)
    assert "too large" in str(api(lambda: nvmxlab.load(big), str(big)))


# -- files -------------------------------------------------------------------------------------

def test_a_directory_an_empty_path_and_a_symlink_loop_are_refused(tmp_path):
    loop = tmp_path / "loop.toml"
    loop.symlink_to(loop)
    for path, problem in ((tmp_path, "a directory"), (loop, "cannot read it")):
        assert problem in str(api(lambda p=path: nvmxlab.load(p), str(path)))
    assert "empty" in str(api(lambda: nvmxlab.resolve(""), "scenario argument"))


def test_a_name_longer_than_the_system_allows_is_refused():
    name = "x" * 300 + ".toml"
    assert "cannot read it" in str(api(lambda: nvmxlab.resolve(name), "x" * 50))


def test_a_name_with_a_nul_character_is_refused():
    assert "NUL" in str(api(lambda: nvmxlab.resolve("a\0b.toml"), "a\\x00b.toml"))


def test_a_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    import os
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    assert "not a regular file" in str(api(lambda: nvmxlab.load(fifo), str(fifo)))


def test_a_file_that_is_not_utf8_names_the_file_and_the_byte(tmp_path):
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b'name = "caf\xe9"\n')
    msg = str(api(lambda: nvmxlab.load(latin), str(latin)))
    assert "not UTF-8 text: byte 0xe9 at line 1" in msg


def test_a_utf8_byte_order_mark_is_read_as_the_start_of_the_file(tmp_path):
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert nvmxlab.load(bom).interrupts[0].vector == 0x30


def test_a_bundled_name_is_never_a_path():
    assert "no bundled scenario" in str(api(lambda: nvmxlab.load_bundled("../scenario"),
                                            "../scenario"))


# -- share strings -------------------------------------------------------------------------------

@pytest.mark.parametrize("s", [[], 5, None, "x"])
def test_a_share_payload_whose_scenario_is_not_a_table_is_refused(s):
    assert "share string: scenario: expected a table" in shared_refusal(payload({"s": s}))


def test_a_share_payload_with_an_unknown_key_or_world_or_step_is_refused():
    raw = SEED.to_dict()
    assert "unknown key 'x'" in shared_refusal(payload({"s": raw, "x": 1}))
    assert "unknown world 'weird'" in shared_refusal(payload({"s": raw, "m": "weird"}))
    assert "expected a step number" in shared_refusal(payload({"s": raw, "t": "3"}))
    assert "appears twice" in shared_refusal(share.PREFIX + base64.urlsafe_b64encode(
        zlib.compress(b'{"s": {}, "s": {}}')).decode())


def test_characters_outside_base64url_are_refused_not_dropped():
    text = share.encode(SEED)
    damaged = text[:20] + "*" + text[20:]
    assert "'*' at character 21" in shared_refusal(damaged)


def test_a_share_string_that_expands_past_the_limit_is_refused_early():
    bomb = share.PREFIX + base64.urlsafe_b64encode(
        zlib.compress(b" " * (8 * limits.MAX_FILE_BYTES), 9)).decode()
    assert "expands to more than" in shared_refusal(bomb)


def test_a_share_string_nested_deeply_is_refused():
    nested: list = []
    for _ in range(limits.MAX_DEPTH + 2):
        nested = [nested]
    assert "nested too deeply" in shared_refusal(payload({"s": {"l1": nested}}))
    deep = share.PREFIX + base64.urlsafe_b64encode(zlib.compress(b"[" * 100_000)).decode()
    assert "nested too deeply" in shared_refusal(deep)


def test_a_lone_surrogate_in_a_shared_name_is_refused():
    raw = dict(SEED.to_dict(), name="\ud800")
    assert "lone surrogate" in shared_refusal(payload({"s": raw}))


def test_a_share_string_of_another_version_says_so():
    assert "another version (nvmx2:)" in str(api(lambda: nvmxlab.resolve("nvmx2:abc"),
                                                 "share string"))


# -- overrides, and whom they blame ---------------------------------------------------------------

def test_an_override_error_names_the_override_not_the_file():
    e = api(lambda: SEED.with_overrides({"vmcs12.hlt_exiting": "yes"}), "override")
    assert str(e) == ("override vmcs12.hlt_exiting: expected a boolean, got a string 'yes' "
                      "(allowed: true or false)")


def test_an_override_error_names_the_source_the_caller_gives():
    label = "the lab control HLT exiting"
    e = api(lambda: SEED.with_overrides({"vmcs12.hlt_exiting": 1}, source=label), label)
    assert e.key == "vmcs12.hlt_exiting"


def test_an_error_no_single_override_explains_names_the_file_and_the_overrides():
    e = api(lambda: SEED.with_overrides({"l1.program": ["nop"]}, source="--set l1.program"),
            SEED.source)
    assert str(e).startswith(f"{SEED.source} with --set l1.program: interrupt[0].at:")


def test_a_section_and_a_key_inside_it_cannot_both_be_overridden():
    e = api(lambda: SEED.with_overrides({"vmcs12": 5, "vmcs12.hlt_exiting": True}), "override")
    assert "also set as a whole" in str(e)


@pytest.mark.parametrize("overrides", [{1: True}, {"a.b.c": 1}, {"vmcs13.x": 1}, [], {".": 1}])
def test_malformed_overrides_are_refused(overrides):
    assert api(lambda: SEED.with_overrides(overrides), "") is not None


@pytest.mark.parametrize("raw", [{1: 2}, [], None, "x"])
def test_from_dict_of_something_else_than_a_table_of_names_is_refused(raw):
    assert api(lambda: nvmxlab.from_dict(raw, "mine"), "mine") is not None


def test_a_huge_list_is_refused_before_it_is_copied():
    program = ["nop"] * 8_000_000
    e = api(lambda: SEED.with_overrides({"l2.program": program}), "override l2.program")
    assert "too many values" in str(e)


def test_a_structure_containing_itself_is_refused_as_too_deep():
    raw: dict = {}
    raw["l1"] = raw
    assert "nested too deeply" in str(api(lambda: nvmxlab.from_dict(raw, "mine"), "mine"))


# -- the Python API takes what the CLI takes -------------------------------------------------------

def test_run_and_check_take_a_name_as_resolve_does():
    assert nvmxlab.run("seed-interrupt").status == "settled"
    assert nvmxlab.check("seed-interrupt").ok


@pytest.mark.parametrize("call, source", [
    (lambda: nvmxlab.run(42), "scenario argument"),
    (lambda: nvmxlab.run(SEED, "weird"), "run()"),
    (lambda: nvmxlab.run(SEED, policy="kvm-2024"), "run(policy=...)"),
    (lambda: nvmxlab.check(None), "scenario argument"),
    (lambda: nvmxlab.loads(b"name = 1"), "<string>"),
    (lambda: nvmxlab.load(3), "load()"),
    (lambda: nvmxlab.load_bundled(None), "load_bundled()"),
])
def test_bad_api_calls_raise_scenario_error_naming_the_call(call, source):
    assert api(call, source) is not None


# -- the command line ------------------------------------------------------------------------------

def test_an_argparse_error_is_two_lines():
    code, _, err = cli("run", "seed-interrupt", "--mode", "x" * 10_000)
    assert_cli_contract(code, err, "--mode")
    assert len(err) < 300


def test_set_errors_name_set_and_the_key():
    code, _, err = cli("run", "seed-interrupt", "--set", "vmcs12.hlt_exiting=yes")
    assert_cli_contract(code, err, "--set vmcs12.hlt_exiting: expected a boolean")


def test_the_same_set_key_twice_is_refused():
    code, _, err = cli("run", "seed-interrupt", "--set", "settle=1", "--set", "settle=2")
    assert_cli_contract(code, err, "given twice")


def test_a_deeply_nested_set_value_is_refused():
    code, _, err = cli("run", "seed-interrupt", "--set", "l1.program=" + "[" * 600 + "]" * 600)
    assert_cli_contract(code, err, "--set l1.program: value: nested too deeply")


def test_a_set_value_holding_a_second_key_is_refused():
    code, _, err = cli("run", "seed-interrupt", "--set", "settle=1\nmax_steps = 5")
    assert_cli_contract(code, err, "--set settle: value: more than one TOML value")


@pytest.mark.parametrize("cost", ["vm_exit=３", "vm_exit=" + "9" * 50, "vm_exit",
                                  "x" * 10_000 + "=1"])
def test_a_cost_takes_ascii_digits(cost):
    code, _, err = cli("cost", "seed-interrupt", "--cost", cost)
    assert_cli_contract(code, err, "--cost")
    assert code == 2 and len(err) < 400


def test_an_unknown_exercise_is_named_shortened():
    code, _, err = cli("exercise", "x" * 10_000)
    assert_cli_contract(code, err, "no exercise 'xxx")
    # Short but for the list of the exercises it names, which the name does not lengthen.
    assert len(err) < 200 + len(", ".join(exercises.names()))


# -- runs that cannot make progress end quickly, whatever max_steps says -----------------------

UNREACHABLE = f"""
max_steps = {limits.MAX_STEPS}
[vmcs12]
hlt_exiting = false
[l2]
program = ["nop", "cli", "nop"]
[[interrupt]]
vector = 0x30
to = "L1"
at = "L1:vmresume"
"""


@pytest.mark.parametrize("mode", nvmxlab.MODES)
def test_a_trigger_l2_never_exits_to_reach_ends_as_a_livelock_at_once(mode):
    r = nvmxlab.run(loads(UNREACHABLE), mode)
    assert r.status == "livelock" and "trigger(s) never reached: 0x30 at L1:vmresume" in r.detail
    assert r.stats["steps"] < 100 and set(r.loop.split(" → ")) == {"L2 nop", "L2 cli"}


def test_a_loop_between_l0_and_l1_with_a_trigger_pending_ends_as_a_livelock():
    # The teaching bug's loop never lets L2 retire, so the second interrupt's trigger waits.
    raw = nvmxlab.load_bundled("bug-kick-without-req-event").to_dict()
    raw["max_steps"] = limits.MAX_STEPS
    raw["interrupt"].append({"vector": 0x40, "to": "L2", "at": "L1:vmresume:3"})
    raw["l2"] = {"program": ["nop", "nop", "nop", "nop", "nop", "vmcall"]}
    r = nvmxlab.run(nvmxlab.from_dict(raw, "mine"))
    assert r.status == "livelock", r.detail
    assert r.stats["steps"] < 1000


def test_an_interrupt_l2_never_exits_to_take_ends_as_a_livelock_at_once():
    text = f"""max_steps = {limits.MAX_STEPS}
[vmcs12]
hlt_exiting = false
[l2]
program = ["cli", "nop"]
[[interrupt]]
vector = 0x30
to = "L2"
at = "L2:3"
"""
    r = nvmxlab.run(loads(text))
    assert r.status == "livelock" and "never delivered: 0x30 for L2" in r.detail
    assert r.stats["steps"] < 100 and set(r.loop.split(" → ")) == {"L2 nop", "L2 cli"}
