"""Invariants over generated scenarios (hypothesis)."""

from hypothesis import HealthCheck, example, given, settings
from strategies import scenarios

import nvmxlab
from nvmxlab import share
from nvmxlab.observations import ObservedEntry

SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


# An NMI for L1 that KVM relays with a kick, below the interrupt-window exit L1 asked for
# (test_fidelity.py, WINDOW_AND_NMI): a later arrival, not a mismatch.
WINDOW_THEN_NMI = share.decode(
    "nvmx1:eNp9kVFugzAMhu_iZyYN1ocpZ9gNqiqywEDUxEFJoK0Qd59D6dpp7fISy_78-48zQwQ1g-FEIYxDAr"
    "WfAeWCr1JNzuLIdQ8FJJ9TlUQT1ckHULvPpfgHLXN0GUhidgbubKU-XkKHAmyZ_dDZJN0jN5Zk1B5iMoKyH7"
    "IBFyiOjkDoIfguoMvIrbj5OCyiVa1va5JucbR5OnumLOTMo_qttUZrJTCB0lPx3y5WWrDQWuyiNi2oFEaSuQ"
    "7POiYaZLXVuxzpQZcf2RFTwESNCAzemvoiyePk3pxvKPBVNparbayP-udbtGeddwKqRRupkAVJhdE-ILluuL"
    "u6KKC3D6mt6w6fDDf-9AfIi3mWe4FPJqRRTAgSt-SyLN-Vzcm4"
).scenario


@SETTINGS
@given(scenarios())
def test_bare_metal_never_loses_or_duplicates_an_interrupt(s):
    assert nvmxlab.run(s, "bare").violations == []


# With L1's own window controls KVM differs from hardware in named ways (test_fidelity.py).
@SETTINGS
@given(scenarios(policy="kvm-modern", exiting=True, windows=False))
@example(WINDOW_THEN_NMI)
def test_modern_kvm_is_indistinguishable_from_bare_metal(s):
    c = nvmxlab.check(s)
    # Two NMIs for L1 pending at once: the pin merges them, process_nmi() keeps two.
    merged = c.notes and all("process_nmi" in n for n in c.notes)
    assert c.ok or merged, c.mismatches + c.nested.violations


@SETTINGS
@given(scenarios(policy="kvm-2011-vmx", exiting=True, ack=False))
def test_the_2011_design_differs_from_bare_metal_only_in_documented_ways(s):
    c = nvmxlab.check(s)
    assert c.ok or c.notes, c.mismatches


# Its example count comes from the Hypothesis profile (tests/engine/conftest.py): 10,000 in CI.
@given(scenarios())
def test_every_nested_only_difference_is_none_a_delay_or_documented(s):
    """Under every policy, without a teaching bug: L1's and L2's views match bare metal up to
    delays, or `check` names the documented cause; bare metal itself never loses an event."""
    c = nvmxlab.check(s)
    assert c.bare.violations == []
    assert c.ok or c.notes, c.mismatches + c.nested.violations


# kvm-2011-vmx loops on L1's NMI window (KVM's documented window priority), with an HLT L1
# intercepts in L2's program.
WINDOW_PRIORITY_LIVELOCK = (
    "nvmx1:eNqNUtFugzAM_Bc_U2mgvSzfsD-oqsgCQ6M6CUoM7VTx73PK1CL2sPEAyL7z3Tm5QwZzBxeEUppGAXO8A-oHPm"
    "sze8YptGeoQOKjpH8ztRITmKZ5X6p_YuuPZjlVwHXRopsTe8bQMWnrCFmcQkMcd-_ZJ8qTJ1DmmOKQ0Bd4yy_4Sn1KnxbV"
    "aB55OrE9TlzMcX0gDaYc77a66wiXSP5UOLPszG3rK34bY_YtMpexqWccsnU9GEkTqUGPN5uFRt1786aPclBDGhgoUEKhTge"
    "MkV37pcXL7A8-dpTCOjbXj3zYXuzzzGwMtiwVTI-cqdINaycgbyCl78LwhKjzV604q153wF5d6OL1F6fsb8cppT167cwuy"
    "aQWFJF_si_LN4v90Q8")


def l2_resumed_without_an_event(r) -> bool:
    """After L1 skipped an HLT of L2's, it entered L2 again with no interrupt or NMI for L2
    pending: none raised before that entry and still undelivered at the HLT."""
    for_l2 = [d for d in r.deliveries if d.to == "L2"]
    halted_at = None
    for e in r.events:
        if e.level == "L2" and e.kind == "retire" and e.name == "hlt" and e.data:
            halted_at = e.seq  # the HLT that L1 intercepted and skipped
        elif halted_at is not None and any(lvl == "L2" and isinstance(v, ObservedEntry)
                                            for lvl, v in e.views):
            if not any(d.raised_seq < e.seq and (not d.delivered or d.delivered[0][0] > halted_at)
                       for d in for_l2):
                return True
            halted_at = None
    return False


@SETTINGS
@given(scenarios(halts=True))
@example(share.decode(WINDOW_PRIORITY_LIVELOCK).scenario)
def test_l1_resumes_l2_after_an_intercepted_hlt_only_for_an_event_for_l2(s):
    """KVM as L1 (handle_halt → kvm_emulate_halt → vcpu_block) does not VMRESUME a halted
    vCPU until kvm_vcpu_has_events(), in both worlds; bare metal ends without a loss, and
    nested does too unless `check` names the documented cause (e.g. KVM's window priority)."""
    c = nvmxlab.check(s)
    for r in (c.bare, c.nested):
        assert not l2_resumed_without_an_event(r)
    assert c.bare.status in ("idle", "settled", "max_steps"), c.bare.detail
    assert c.bare.violations == []
    assert c.nested.status != "livelock" or c.notes, c.nested.detail
