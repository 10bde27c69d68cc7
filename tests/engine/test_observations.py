"""What a guest level observes (nvmxlab/observations.py): each kind's JSON, its words, and
what makes two observations the same."""

import dataclasses
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nvmxlab
from nvmxlab.observations import (
    ENTRY,
    ENTRY_VIEWS,
    VIA_EXIT,
    VIA_IDT,
    ObservedEntry,
    ObservedExit,
    ObservedInterrupt,
    ObservedNmi,
    ObservedVmFail,
    delivered,
)
from nvmxlab.vmcs import Vmcs
from nvmxlab.vmx import ACTIVE, HLT, EventInfo, ExitReason

EXT = ExitReason.EXTERNAL_INTERRUPT
SETTINGS = settings(max_examples=300, deadline=None)


def an_exit(reason=EXT, intr=None, idt=None, activity=ACTIVE, retired=3) -> ObservedExit:
    return ObservedExit(reason, intr, idt, activity, retired)


# -- VM entry ------------------------------------------------------------------------------------
def test_an_entry_is_one_shared_instance_for_l1_and_l2():
    assert ENTRY_VIEWS == (("L1", ENTRY), ("L2", ENTRY))
    assert ObservedEntry() == ENTRY


def test_an_entry_has_todays_json_and_words():
    assert ENTRY.to_json() == {"kind": "entry"}
    assert ENTRY.describe() == "a successful VM entry into L2"


# -- VMfailValid ---------------------------------------------------------------------------------
def test_a_failed_entry_names_its_vm_instruction_error():
    o = ObservedVmFail(7)
    assert o.to_json() == {"kind": "vmfail", "error": 7}
    assert o.describe() == "VMfailValid (VM-instruction error 7)"


def test_failed_entries_are_equal_when_their_errors_are():
    assert ObservedVmFail(7) == ObservedVmFail(7) != ObservedVmFail(5)


# -- VM exit -------------------------------------------------------------------------------------
def test_an_exit_has_todays_json_keys_in_order():
    o = an_exit(intr=EventInfo(0x30), idt=EventInfo(0x40), activity=HLT, retired=5)
    assert json.dumps(o.to_json()) == (
        '{"kind": "vmexit", "reason": "EXTERNAL_INTERRUPT", "intr_info": {"vector": 48, '
        '"type": "external"}, "idt_vectoring": {"vector": 64, "type": "external"}, '
        '"guest_activity_state": "hlt", "l2_retired": 5}')


def test_an_exit_without_valid_information_fields_shows_them_as_null():
    assert an_exit().to_json() == {"kind": "vmexit", "reason": "EXTERNAL_INTERRUPT",
                                   "intr_info": None, "idt_vectoring": None,
                                   "guest_activity_state": "active", "l2_retired": 3}


def test_an_external_interrupt_exit_without_ack_on_exit_says_it_has_no_vector():
    assert an_exit().describe() == "a VM exit (EXTERNAL_INTERRUPT, no vector)"


def test_an_exit_of_another_reason_says_nothing_of_a_vector():
    assert an_exit(ExitReason.VMCALL).describe() == "a VM exit (VMCALL)"


def test_an_exit_names_the_vector_its_interruption_information_carries():
    o = an_exit(ExitReason.EXCEPTION_NMI, intr=EventInfo(2, "nmi"))
    assert o.describe() == "a VM exit (EXCEPTION_NMI, vector 0x02)"


def test_an_exit_names_the_event_in_idt_vectoring_information_and_a_halted_l2():
    o = an_exit(ExitReason.EPT_VIOLATION, idt=EventInfo(0x40), activity=HLT)
    assert o.describe() == "a VM exit (EPT_VIOLATION, IDT-vectoring 0x40, L2 halted)"
    assert o.halted and not an_exit().halted


def test_an_exit_reads_what_l1_reads_from_vmcs12_without_raise_ids_or_apic():
    v = Vmcs("vmcs12", exit_reason=EXT, exit_intr_info=EventInfo(0x30, ids=(4,), source=object()),
             idt_vectoring_info=EventInfo(0x40, ids=(5,)), guest_activity=HLT, guest_retired=9)
    o = ObservedExit.from_vmcs(v)
    assert o == an_exit(intr=EventInfo(0x30), idt=EventInfo(0x40), activity=HLT, retired=9)
    assert [(f.name, getattr(o, f.name)) for f in dataclasses.fields(o)] == [
        ("exit_reason", EXT), ("exit_intr_info", EventInfo(0x30)),
        ("idt_vectoring_info", EventInfo(0x40)), ("guest_activity_state", HLT),
        ("l2_retired", 9)]
    assert o.exit_intr_info.ids == () and o.exit_intr_info.source is None
    assert "ids=()" in repr(o) and "source=None" in repr(o)


def test_exits_at_different_progress_differ_but_not_once_progress_is_dropped():
    early, late = an_exit(retired=3), an_exit(retired=5)
    assert early != late
    assert early.progress_free() == late.progress_free()
    assert an_exit(ExitReason.VMCALL).progress_free() != early.progress_free()


# -- interrupts and NMIs -------------------------------------------------------------------------
def test_an_interrupt_through_the_idt_has_todays_json_and_words():
    o = ObservedInterrupt(0x30)
    assert o.to_json() == {"kind": "irq", "vector": 0x30}
    assert o.describe() == "interrupt 0x30 through its IDT"


def test_an_interrupt_that_came_in_the_exit_is_not_worded_as_an_idt_delivery():
    o = ObservedInterrupt(0x30, VIA_EXIT)
    assert o.to_json() == {"kind": "irq", "vector": 0x30, "via": "exit"}
    assert o.describe() == "its handler for 0x30, run because of the exit"


def test_an_nmi_through_the_idt_and_one_in_the_exit():
    assert ObservedNmi().to_json() == {"kind": "nmi", "vector": 2}
    assert ObservedNmi().describe() == "an NMI through its IDT (vector 2)"
    assert ObservedNmi(2, VIA_EXIT).to_json() == {"kind": "nmi", "vector": 2, "via": "exit"}
    assert ObservedNmi(2, VIA_EXIT).describe() == "its NMI handler, run because of the exit"


def test_how_an_event_arrived_is_part_of_what_was_observed():
    assert ObservedInterrupt(0x30) != ObservedInterrupt(0x30, VIA_EXIT)
    assert ObservedNmi() != ObservedNmi(2, VIA_EXIT)
    assert ObservedNmi() != ObservedInterrupt(2)


def test_a_delivery_is_observed_as_its_type_says_and_shared():
    assert delivered(EventInfo(0x30, ids=(1,))) is delivered(EventInfo(0x30, ids=(2,)))
    assert delivered(EventInfo(0x30)) == ObservedInterrupt(0x30, VIA_IDT)
    assert delivered(EventInfo(2, "nmi")) == ObservedNmi()


# -- all kinds -----------------------------------------------------------------------------------
@pytest.mark.parametrize("o", [ObservedVmFail(7), an_exit(), ObservedInterrupt(0x30),
                               ObservedNmi()], ids=lambda o: o.kind)
def test_an_observation_is_immutable_and_has_no_instance_dict(o):
    assert not hasattr(o, "__dict__")
    first = dataclasses.fields(o)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(o, first, getattr(o, first))
    assert hash(o) == hash(dataclasses.replace(o))


def test_an_entry_holds_nothing_at_all():
    assert ObservedEntry.__slots__ == () and dataclasses.fields(ENTRY) == ()


events = st.none() | st.builds(EventInfo, st.integers(0, 255), st.sampled_from(["external",
                                                                                "nmi"]))
observations = st.one_of(
    st.just(ENTRY),
    st.builds(ObservedVmFail, st.sampled_from([4, 5, 7])),
    st.builds(ObservedExit, st.sampled_from(list(ExitReason)), events, events,
              st.sampled_from([ACTIVE, HLT]), st.integers(0, 20)),
    st.builds(ObservedInterrupt, st.integers(16, 255), st.sampled_from([VIA_IDT, VIA_EXIT])),
    st.builds(ObservedNmi, st.just(2), st.sampled_from([VIA_IDT, VIA_EXIT])),
)


@SETTINGS
@given(observations, observations)
def test_two_observations_are_equal_exactly_when_their_json_is(a, b):
    assert (a == b) == (a.to_json() == b.to_json())


@SETTINGS
@given(observations, observations)
def test_dropping_progress_equates_exactly_the_json_without_l2_retired(a, b):
    def sans(o):
        return {k: v for k, v in o.to_json().items() if k != "l2_retired"}
    assert (a.progress_free() == b.progress_free()) == (sans(a) == sans(b))


def test_a_runs_json_views_are_its_observations_json():
    r = nvmxlab.run(nvmxlab.load_bundled("ack-on-exit-modern"))
    doc = r.to_json()
    assert doc["l1_view"] == [o.to_json() for o in r.l1_view]
    assert doc["l2_view"] == [o.to_json() for o in r.l2_view]
    assert {type(o) for o in r.l1_view} == {ObservedEntry, ObservedExit, ObservedInterrupt}
