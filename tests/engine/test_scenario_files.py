"""Scenario files: strict validation with one clear message naming file, key and fix."""

import pytest

import nvmxlab
from nvmxlab.scenario import ScenarioError, loads

GOOD = """
name = "ok"
[[interrupt]]
vector = 0x30
to = "L1"
at = "L2:3"
"""


def error(text: str) -> str:
    with pytest.raises(ScenarioError) as e:
        loads(text, "lesson.toml")
    return str(e.value)


def test_a_minimal_file_takes_the_documented_defaults():
    s = loads(GOOD)
    assert s.policy == "kvm-2011-vmx" and s.settle == 8
    assert s.vmcs12["external_interrupt_exiting"] is True
    assert s.l1["program"] == ["nop", "vmlaunch"]


def test_unknown_key_names_file_key_and_allowed_keys():
    msg = error(GOOD + "\n[vmcs12]\nack_on_exit = true\n")
    assert msg.startswith("lesson.toml: vmcs12.ack_on_exit: unknown key")
    assert "ack_interrupt_on_exit" in msg


def test_wrong_type_is_refused():
    assert "expected a boolean, got an integer 1" in error(GOOD + "\n[vmcs12]\nhlt_exiting = 1\n")


def test_a_boolean_is_not_a_count():
    assert "settle: expected an integer, got a boolean" in error("settle = true\n" + GOOD)


def test_unknown_instruction_lists_the_instructions():
    msg = error(GOOD + '\n[l2]\nprogram = ["nop", "jmp"]\n')
    assert "l2.program[1]: unknown instruction 'jmp'" in msg and "vmcall" in msg


def test_l2_cannot_execute_vmlaunch():
    assert "unknown instruction 'vmlaunch'" in error(GOOD + '\n[l2]\nprogram = ["vmlaunch"]\n')


def test_bad_vector_explains_the_range():
    msg = error(GOOD.replace("0x30", "0x10"))
    assert "interrupt[0].vector: bad vector 0x10" in msg and "0x20..0xff" in msg


def test_bad_trigger_shows_the_forms():
    msg = error(GOOD.replace("L2:3", "L3:1"))
    assert "bad trigger 'L3:1'" in msg and "L1:vmresume:K" in msg


def test_a_trigger_that_can_never_fire_is_refused():
    msg = error(GOOD.replace("L2:3", "L1:vmresume") + '\n[l1]\nexit_handler = ["nop"]\n')
    assert "can never fire" in msg


def test_an_l2_trigger_without_vmlaunch_can_never_fire():
    assert "L2 never runs" in error(GOOD + '\n[l1]\nprogram = ["nop"]\n')


def test_unknown_policy_and_bug_are_refused_with_the_choices():
    assert "kvm-modern" in error('policy = "kvm-2024"\n' + GOOD)
    assert "no-req-event-rearm" in error('bugs = ["oops"]\n' + GOOD)


def test_a_bug_the_policy_cannot_express_is_refused_with_the_reason():
    msg = error('policy = "kvm-modern"\nbugs = ["no-req-event-rearm"]\n' + GOOD)
    assert "cannot be expressed under policy 'kvm-modern'" in msg


def test_invalid_toml_is_reported_with_the_file():
    assert error("name = ").startswith("lesson.toml: file: not valid TOML")


def test_overrides_are_validated_like_the_file():
    s = nvmxlab.load_bundled("seed-interrupt")
    assert s.with_overrides({"vmcs12.ack_interrupt_on_exit": True}).vmcs12[
        "ack_interrupt_on_exit"]
    with pytest.raises(ScenarioError):
        s.with_overrides({"vmcs12.ack_interrupt_on_exit": "yes"})


def test_missing_bundled_scenario_lists_the_names():
    with pytest.raises(ScenarioError) as e:
        nvmxlab.load_bundled("nope")
    assert "seed-interrupt" in str(e.value)


def test_share_strings_round_trip_scenario_step_and_mode():
    from nvmxlab.share import decode, encode
    s = nvmxlab.load_bundled("seed-interrupt").with_overrides({"policy": "kvm-modern"})
    shared = decode(encode(s, step=12, mode="bare"))
    assert shared.scenario == s and shared.step == 12 and shared.mode == "bare"
    assert nvmxlab.resolve(encode(s)) == s


def test_a_damaged_share_string_gets_a_clear_error():
    with pytest.raises(ScenarioError) as e:
        nvmxlab.resolve("nvmx1:garbage!!")
    assert "not a valid nvmxlab share string" in str(e.value)
