"""The comparison view: two configurations side by side, what L1 saw and what it cost."""

from __future__ import annotations

from nvmxlab.observations import ENTRY, ObservedInterrupt
from nvmxlab.widgets.compare import SAME_SHOWN, l1_rows

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
