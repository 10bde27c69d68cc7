"""The comparison view: two configurations side by side, what L1 saw and what it cost."""

from __future__ import annotations

import dataclasses
import re

import pytest

import nvmxlab
from nvmxlab.observations import ENTRY, ObservedInterrupt
from nvmxlab.widgets.compare import SAME_SHOWN, _why, l1_rows

DIFFERS = "<td>≠</td>"  # the first cell of a row whose observations differ


def test_flipping_ack_under_the_2011_code_marks_the_failed_vmlaunch_as_the_difference(lab):
    lab.compare.choice.value = "ack"
    table = lab.compare.output.value
    assert "VM_EXIT_ACK_INTR_ON_EXIT = 1" in table
    assert "VMfailValid" in table
    assert DIFFERS in table


def test_two_policies_with_the_same_l1_view_show_no_difference_but_their_costs(lab):
    lab.compare.choice.value = "policy:kvm-2011-svm"
    table = lab.compare.output.value
    assert DIFFERS not in table
    assert "vcpu_enter_guest iterations" in table


def test_the_comparison_follows_the_labs_configuration(lab):
    lab.controls["policy"].value = "kvm-modern"
    labels = [label for label, _ in lab.compare.choice.options]
    assert "policy kvm-modern" not in labels  # A is kvm-modern now: not a variation of itself
    assert "policy kvm-2011-vmx" in labels


def test_a_refused_variation_is_a_message(lab):
    lab.controls["bugs"].value = ("no-req-event-rearm",)
    lab.compare.choice.value = "policy:kvm-modern"
    assert "B is refused" in lab.compare.output.value


def test_agreeing_observations_are_folded_around_differences():
    same = [ENTRY] * 10
    rows = l1_rows(same + [ObservedInterrupt(48)], same + [ObservedInterrupt(64)])
    assert len(rows) == 2 * SAME_SHOWN + 1 + 1
    assert rows[SAME_SHOWN][0].startswith("… 6 observations the same")
    assert rows[-1][2] is True


def test_the_default_b_under_the_2011_code_enters_successfully(lab):
    # Flipping ack-on-exit there fails L1's VMLAUNCH (error 7), taught only in notebook 04.
    assert lab.scenario.policy == "kvm-2011-vmx"
    assert lab.compare.choice.value != "ack"
    assert "VMfailValid" not in lab.compare.output.value


def test_the_default_b_is_the_ack_flip_where_the_policy_offers_it():
    from nvmxlab.widgets import Lab

    modern = Lab("ack-on-exit-modern")
    try:
        assert modern.compare.choice.value == "ack"
    finally:
        modern.close()


def test_a_b_the_learner_picks_stays_and_says_why_its_entry_fails(lab):
    lab.compare.choice.value = "ack"
    lab.controls["l2.rflags_if"].value = False  # a new A: B stays the learner's choice
    assert lab.compare.choice.value == "ack"
    why = next(row for row in lab.compare.output.value.split("<tr")
               if "nvmx-compare-why" in row)
    assert "VMLAUNCH failed" in why
    assert "does not offer VM_EXIT_ACK_INTR_ON_EXIT" in why


@pytest.mark.parametrize("variant", ["ack", "pin", "policy:kvm-modern"])
def test_the_count_of_rows_marked_different_is_the_number_of_marks(lab, variant):
    lab.compare.choice.value = variant
    table = lab.compare.output.value
    marks = table.count(DIFFERS)
    said = re.search(r"≠ marks the (\d+) rows? where A and B differ", table)
    assert (int(said.group(1)) if said else 0) == marks
    assert ("A and B agree throughout" in table) == (marks == 0)


def test_the_verdict_against_bare_metal_says_what_it_counts(lab):
    lab.compare.choice.value = "ack"
    assert "✗ differs from bare metal (2 mismatches)" in lab.compare.output.value


def test_a_count_of_one_is_singular(lab):
    lab.compare.choice.value = "ack"
    table = lab.compare.output.value
    assert "1 hardware exit to L0" in table and "1 hardware exits" not in table


def test_why_an_entry_failed_is_read_from_the_comparison_not_from_the_words_of_its_notes():
    refused = nvmxlab.check(nvmxlab.load_bundled("ack-on-exit-refused"))
    reason = refused.refused_entry.removeprefix("documented: ")
    assert reason in _why(refused)
    worded = dataclasses.replace(refused, refused_entry="",
                                 notes=["documented: here a VM entry fails for no reason"])
    assert "VM entry fails for no reason" not in _why(worded)
    assert "VMLAUNCH failed" in _why(worded)  # the failed entry itself is still said
