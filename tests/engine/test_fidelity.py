"""Fidelity to the SDM and to real KVM: one behaviour per test, each citing what it follows."""

from views import ENTRY, exit_, irq, nmi, nmis

import nvmxlab
from nvmxlab.observations import ObservedExit


def scenario(policy="kvm-modern", vmcs12=None, l1=None, l2=None, interrupts=(), **top):
    raw = {"name": "fidelity", "policy": policy, "vmcs12": vmcs12 or {}, "l1": l1 or {},
           "l2": l2 or {}, "interrupt": list(interrupts), **top}
    return nvmxlab.from_dict(raw, "fidelity")


# -- 1. bare metal honours the HLT activity state before VMLAUNCH/VMRESUME -----------------------
def test_bare_metal_l1_halted_before_vmlaunch_stays_halted():
    # SDM 6.10 / 26.6.2: HLT stops instruction execution until an event wakes the processor;
    # the VMLAUNCH after it does not run while L1 waits with nothing pending.
    s = scenario(l1={"program": ["sti", "hlt", "vmlaunch"]},
                 interrupts=[{"vector": 0x30, "to": "L1", "at": "L2:3"}])
    r = nvmxlab.run(s, "bare")
    assert r.status == "idle"
    assert r.l1_view == []


def test_bare_metal_halted_l1_exit_handler_does_not_resume_l2():
    s = scenario(l1={"exit_handler": ["sti", "hlt", "vmresume"]},
                 interrupts=[{"vector": 0x30, "to": "L1", "at": "L2:30"}])
    r = nvmxlab.run(s, "bare")
    assert r.status == "idle"
    assert r.l1_view == [ENTRY, exit_("VMCALL", 4)]


def test_an_interrupt_wakes_a_halted_l1_and_then_it_launches_in_both_worlds():
    s = scenario(l1={"program": ["nop", "hlt", "vmlaunch"]},
                 interrupts=[{"vector": 0x30, "to": "L1", "at": "L1:2"}])
    c = nvmxlab.check(s)
    assert c.ok, c.mismatches
    assert c.bare.l1_view[:2] == [irq(0x30), ENTRY]


# -- 2. window exits against the event they wait for (SDM 26.7.5, 26.7.6) ------------------------
def test_bare_metal_takes_l1s_interrupt_window_exit_before_a_pending_interrupt():
    c = nvmxlab.check(nvmxlab.load_bundled("window-priority-modern"))
    assert c.bare.l1_view[3:5] == [exit_("INTERRUPT_WINDOW", 0), irq(0x30)]


def test_kvm_exits_for_the_interrupt_instead_and_check_names_it_kvms_difference():
    c = nvmxlab.check(nvmxlab.load_bundled("window-priority-modern"))
    assert c.nested.l1_view[3:5] == [exit_("EXTERNAL_INTERRUPT", 0), irq(0x30)]
    assert not c.ok
    assert any("KVM's difference" in n and "vmx_check_nested_events" in n for n in c.notes)


def test_with_exiting_off_kvm_injects_into_l2_where_hardware_takes_the_window_exit():
    s = nvmxlab.load_bundled("window-priority-modern").with_overrides(
        {"vmcs12.external_interrupt_exiting": False})
    c = nvmxlab.check(s)
    assert c.bare.deliveries[0].delivered_to == "L1"
    assert c.nested.deliveries[0].delivered_to == "L2"
    assert any("KVM's difference" in n for n in c.notes)


def test_bare_metal_takes_the_nmi_window_exit_before_a_pending_nmi_and_kvm_does_not():
    s = scenario(vmcs12={"nmi_exiting": True, "virtual_nmis": True,
                         "nmi_window_exiting": True},
                 interrupts=[{"type": "nmi", "to": "L1", "at": "L1:vmresume"}])
    c = nvmxlab.check(s)
    assert c.bare.l1_view[3] == exit_("NMI_WINDOW", 0)
    assert c.nested.l1_view[3] == exit_("EXCEPTION_NMI", 0, vector=0x02)
    assert any("NMI-window" in n and "KVM's difference" in n for n in c.notes)


# -- 4. an overwrite of L1's injection by an event with the same vector is still an overwrite ----
SAME_VECTOR = {"vmcs12": {"external_interrupt_exiting": False},
               "interrupts": [{"vector": 0x30, "to": "L2", "at": "L2:2"},
                              {"vector": 0x30, "to": "L1", "at": "L1:vmresume"}]}


def test_l0_overwriting_l1s_injection_with_the_same_vector_is_traced_as_lost():
    for policy in ("kvm-2011-vmx", "kvm-2011-svm"):
        r = nvmxlab.run(scenario(policy, **SAME_VECTOR))
        overwrites = [e for e in r.events if e.data and e.data.get("overwrote")]
        assert overwrites and "(lost)" in overwrites[0].why, policy


def test_check_explains_the_same_vector_overwrite():
    c = nvmxlab.check(scenario("kvm-2011-vmx", **SAME_VECTOR))
    assert any("over the event" in n for n in c.notes), c.mismatches


# -- 5. the activity state that a window exit saves (SDM 26.7.5, 28.3.4) -------------------------
HALT_IN_WINDOW = {"vmcs12": {"interrupt_window_exiting": True, "hlt_exiting": False},
                  "l2": {"program": ["nop", "sti", "hlt", "nop", "vmcall"], "rflags_if": False},
                  "interrupts": [{"vector": 0x30, "to": "L1", "at": "L1:9"}]}


def test_a_window_exit_wakes_the_halted_guest_and_saves_the_active_state():
    r = nvmxlab.run(scenario(**HALT_IN_WINDOW), "bare")
    assert r.l1_view[1] == exit_("INTERRUPT_WINDOW", 3)


def test_an_external_interrupt_exit_from_hlt_still_saves_the_hlt_state():
    r = nvmxlab.run(nvmxlab.load_bundled("l2-halted"), "bare")
    assert any(isinstance(o, ObservedExit) and o.halted for o in r.l1_view)


def test_kvm_does_not_wake_a_halted_l2_for_l1s_window_and_check_says_so():
    c = nvmxlab.check(scenario(**HALT_IN_WINDOW))
    assert c.nested.status == "idle"
    assert any("vmx_has_nested_events" in n and "KVM's" in n for n in c.notes), c.notes


# -- 3. KVM_REQ_EVENT on nested VM exit (2025) and nested VM entry (2018, 2024) ------------------
# L1 lets its interrupt through to L2 (exiting off); L2 has IF = 0 and exits to L1 first.
LET_THROUGH = {"vmcs12": {"external_interrupt_exiting": False},
               "l2": {"program": ["nop", "nop", "nop", "vmcall", "sti", "nop", "vmcall"],
                      "rflags_if": False},
               "interrupts": [{"vector": 0x30, "to": "L1", "at": "L2:2"}]}


def test_on_bare_metal_l1_takes_the_interrupt_l2_could_not_after_the_exit():
    r = nvmxlab.run(scenario(**LET_THROUGH), "bare")
    assert r.l1_view[:3] == [ENTRY, exit_("VMCALL", 3), irq(0x30)]


def test_modern_kvm_re_evaluates_events_on_nested_vm_exit_and_matches_bare_metal():
    c = nvmxlab.check(scenario(**LET_THROUGH))
    assert c.ok, c.mismatches
    assert any(e.level == "L0" and "nested VM exit" in e.why for e in c.nested.events)


def test_the_2011_designs_take_it_later_which_is_a_delay_and_name_kvms_gap():
    from nvmxlab.checker import documented_differences
    for policy in ("kvm-2011-vmx", "kvm-2011-svm"):
        s = scenario(policy, **LET_THROUGH)
        c = nvmxlab.check(s)
        # As if the interrupt had arrived later (item 7's rule): the 2011-vmx design gives
        # it to L1 one round later, the SVM shape to L2 once it has IF = 1.
        assert c.ok and any("arrived later" in d for d in c.delays), (policy, c.mismatches)
        notes = documented_differences(nvmxlab.run(s), nvmxlab.run(s, "bare"))
        assert any("2025" in n and "KVM" in n for n in notes), policy


# -- 6. notes for every documented difference, and both worlds at the same progress -------------
def test_two_nmis_for_l1_at_once_merge_on_bare_metal_and_check_says_why():
    # Both arrive while L1 runs its exit handler (root operation on bare metal).
    s = scenario(vmcs12={"nmi_exiting": True},
                 interrupts=[{"type": "nmi", "to": "L1", "at": "L1:3"},
                             {"type": "nmi", "to": "L1", "at": "L1:3"}])
    c = nvmxlab.check(s)
    assert nmis(c.bare.l1_view) == 1
    assert nmis(c.nested.l1_view) == 2
    # As if the second NMI had come after the first was taken: a delay (item 7's rule).
    assert c.ok and any("an NMI for L1 arrived later" in d for d in c.delays), c.mismatches


def test_merged_nmis_that_no_later_arrival_explains_get_a_note():
    from nvmxlab.checker import documented_differences
    s = scenario(vmcs12={"nmi_exiting": True},
                 interrupts=[{"type": "nmi", "to": "L1", "at": "L1:3"},
                             {"type": "nmi", "to": "L1", "at": "L1:3"}])
    nested, bare = nvmxlab.run(s), nvmxlab.run(s, "bare")
    assert any("process_nmi" in n and "merged" in n
               for n in documented_differences(nested, bare))


def test_worlds_that_loop_alike_are_compared_up_to_the_same_progress():
    # L1 keeps interrupt-window exiting on with L2's IF = 1: every entry exits at once, in
    # both worlds, until the run repeats itself - later in the world with more state.
    s = scenario(vmcs12={"interrupt_window_exiting": True, "external_interrupt_exiting": False,
                         "ack_interrupt_on_exit": True},
                 l1={"exit_handler": ["sti", "nop", "vmresume"]},
                 l2={"program": ["nop", "nop", "nop", "sti", "nop", "vmcall"]},
                 interrupts=[{"vector": 0xc0, "to": "L2", "at": "L1:3"}])
    c = nvmxlab.check(s)
    assert len(c.nested.l1_view) != len(c.bare.l1_view)
    assert c.ok, c.mismatches


LOOPING_WINDOW = {"vmcs12.interrupt_window_exiting": True}


def test_worlds_that_livelock_alike_end_at_once_with_no_mismatch():
    # L1's exit handler never clears the window it asked for: every VM entry exits again
    # before L2's first instruction, in both worlds, and the trigger at L2:N is never reached.
    for name in ("seed-interrupt", "pin-based-off"):
        for policy in ("kvm-2011-vmx", "kvm-modern"):
            s = nvmxlab.load_bundled(name).with_overrides(LOOPING_WINDOW)
            c = nvmxlab.check(s, policy)
            for r in (c.nested, c.bare):
                assert r.status == "livelock" and "max_steps" not in r.detail, (name, policy)
            assert c.mismatches == [], (name, policy)


def test_a_livelock_bare_metal_shares_is_named_the_scenarios_own_loop():
    s = nvmxlab.load_bundled("seed-interrupt").with_overrides(LOOPING_WINDOW)
    c = nvmxlab.check(s, "kvm-modern")
    assert c.ok
    assert any("bare metal loops the same way" in n for n in c.notes), c.notes


def test_a_livelock_only_the_nested_world_has_is_still_a_failure():
    c = nvmxlab.check(nvmxlab.load_bundled("bug-kick-without-req-event"))
    assert c.nested.status == "livelock" and c.bare.status != "livelock"
    assert not c.ok
    assert not any("loops the same way" in n for n in c.notes)


def test_worlds_that_livelock_alike_after_a_difference_still_report_it():
    # An interrupt pending at VMLAUNCH: bare metal takes L1's window exit first (SDM 26.7.5),
    # KVM the EXTERNAL_INTERRUPT exit; then both worlds go round the window for ever.
    s = nvmxlab.load_bundled("seed-interrupt").with_overrides(
        {**LOOPING_WINDOW, "policy": "kvm-modern",
         "interrupt": [{"vector": 0x40, "to": "L1", "at": "L1:vmlaunch"},
                       {"vector": 0x30, "to": "L1", "at": "L2:3"}]})
    c = nvmxlab.check(s)
    assert c.nested.status == c.bare.status == "livelock"
    assert not c.ok
    assert "observation 2" in c.mismatches[0], c.mismatches
    assert not any("loops the same way" in n for n in c.notes)


# -- 7. a later arrival is a delay, proved by a bare-metal run with the later trigger -----------
# L2's NMI handler exits to L1 with L2's IF = 0 and an interrupt for L2 pending in L1, which asks
# for an interrupt window; L2's IRET opens it just as another NMI for L1 arrives (L2:3).
# Found by hypothesis (test_properties.py).
WINDOW_AND_NMI = {"vmcs12": {"external_interrupt_exiting": True},
                  "l1": {"program": ["nop", "vmlaunch"],
                         "exit_handler": ["sti", "nop", "vmresume"]},
                  "l2": {"program": ["nop", "sti", "nop", "vmcall"],
                         "nmi_handler": ["nop", "vmcall", "iret"]},
                  "interrupts": [{"vector": 0x30, "to": "L2", "at": "L1:vmlaunch"},
                                 {"type": "nmi", "to": "L1", "at": "L1:vmlaunch"},
                                 {"type": "nmi", "to": "L1", "at": "L2:3"}]}


def test_on_bare_metal_the_nmi_on_the_pin_goes_before_l1s_interrupt_window_exit():
    # SDM 6.9 / 26.7.5: an NMI ranks above an interrupt-window exit; NMI exiting is off, so
    # the NMI goes through L2's IDT.
    r = nvmxlab.run(scenario(**WINDOW_AND_NMI), "bare")
    assert [d.delivered_to for d in r.deliveries] == ["L2", "L2", "L2"]
    assert r.l1_view[3] == exit_("VMCALL", 4)


def test_kvm_relays_the_nmi_with_a_kick_that_ranks_below_l1s_interrupt_window_exit():
    # kvm_inject_nmi() → kvm_vcpu_kick(): a reschedule IPI, an external interrupt on vmcs02,
    # below the interrupt-window exit that vmcs02 carries for L1; nested_vmx_l1_wants_exit()
    # reflects that exit (vmcs12 asks for it), and the NMI is injected into L1.
    r = nvmxlab.run(scenario(**WINDOW_AND_NMI))
    names = [e.name for e in r.events if e.level == "L1" or e.kind == "vmexit"]
    window = names.index("INTERRUPT_WINDOW")
    assert "enable_irq_window" in names[:window]  # L1 asked for this window
    assert r.l1_view[3:5] == [exit_("INTERRUPT_WINDOW", 3), nmi()]
    assert r.deliveries[2].delivered_to == "L1"


def test_an_nmi_that_kvm_gives_l1_after_its_window_exit_arrived_later_not_elsewhere():
    # Hardware promises no arrival time: bare metal with the NMI raised once L1 runs its exit
    # handler (L1:4) shows L1 and L2 exactly what the nested run showed them.
    c = nvmxlab.check(scenario(**WINDOW_AND_NMI))
    assert c.ok, c.mismatches
    assert c.delays == ["an NMI for L1 arrived later than on bare metal: the nested run equals "
                        "bare metal with it raised at L1:4 instead of L2:3"]


# -- 8. implementation-specific choices and KVM's assumptions -------------------------------------
def test_process_nmi_counts_nmis_against_the_running_contexts_nmi_mask():
    # KVM's process_nmi() asks get_nmi_mask() of the current context: L2's, in guest mode.
    # L2 is in its NMI handler (an NMI L1 injected) when two NMIs for L1 arrive, which L1
    # lets through to L2: one may pend behind the running one, as on the NMI pin.
    s = scenario(l2={"nmi_handler": ["nop", "nop", "nop", "nop", "iret"]},
                 interrupts=[{"type": "nmi", "to": "L2", "at": "L2:1"},
                             {"type": "nmi", "to": "L1", "at": "L2:6"},
                             {"type": "nmi", "to": "L1", "at": "L2:6"}])
    c = nvmxlab.check(s)
    assert nmis(c.bare.l2_view) == 2
    assert c.ok, c.mismatches


# L1 injects two NMIs into L2 with NMI exiting on and virtual NMIs off.
NMI_NO_VNMI = {"vmcs12": {"nmi_exiting": True},
               "l2": {"nmi_handler": ["nop", "iret"],
                      "program": ["nop", "nop", "nop", "nop", "nop", "vmcall"]},
               "interrupts": [{"type": "nmi", "to": "L2", "at": "L2:1"},
                              {"type": "nmi", "to": "L2", "at": "L2:4"}]}


def test_without_virtual_nmis_l2s_iret_keeps_nmi_blocking_on_bare_metal():
    # SDM 26.3: the second NMI finds L2 still blocking NMIs, and L1 has no NMI window.
    r = nvmxlab.run(scenario(**NMI_NO_VNMI), "bare")
    assert nmis(r.l2_view) == 1


def test_kvm_lifts_l2s_nmi_blocking_at_iret_and_check_names_it():
    c = nvmxlab.check(scenario(**NMI_NO_VNMI))
    assert nmis(c.nested.l2_view) == 2
    assert nmis(c.bare.l2_view) == 1
    assert any("virtual NMIs" in n and "KVM" in n for n in c.notes), c.notes


# KVM as L1 blocks L2's vCPU on an HLT it intercepts (vmx.c handle_halt() → x86.c
# kvm_emulate_halt(), vcpu_block()): L2 runs `sti; hlt` and then exits with VMCALL.
HALT_EXITING = {"vmcs12": {"hlt_exiting": True},
                "l2": {"program": ["nop", "sti", "hlt", "nop", "vmcall"]}}


def halt_exiting(*interrupts, program=None):
    l2 = {**HALT_EXITING["l2"], **({"program": program} if program else {})}
    return scenario(vmcs12=HALT_EXITING["vmcs12"], l2=l2, interrupts=interrupts)


def test_l1_does_not_resume_l2_after_its_intercepted_hlt_without_an_event_for_l2():
    c = nvmxlab.check(halt_exiting({"vector": 0x30, "to": "L1", "at": "L2:1"}))
    for r in (c.bare, c.nested):
        assert r.l1_view[-1] == exit_("HLT", 2)
        assert r.status == "idle" and "kvm_vcpu_block" in r.detail
        assert r.stats["l2_retired"] == 3  # the skipped HLT, and nothing after it
    assert c.ok, c.mismatches


def test_an_interrupt_for_l1_runs_l1s_handler_while_l2s_vcpu_stays_blocked():
    c = nvmxlab.check(halt_exiting({"vector": 0x30, "to": "L1", "at": "L2:3"}))
    for r in (c.bare, c.nested):
        assert r.l1_view == [ENTRY, exit_("HLT", 2), irq(0x30)]
        assert r.status == "idle"
    assert c.ok, c.mismatches


def test_an_interrupt_for_l2_pending_at_its_hlt_keeps_the_vcpu_runnable():
    # __kvm_emulate_halt(): with kvm_vcpu_has_events() already true, no HALTED state.
    r = nvmxlab.run(halt_exiting({"vector": 0x40, "to": "L2", "at": "L2:3"}), "bare")
    assert r.l1_view[:3] == [ENTRY, exit_("HLT", 2), ENTRY]
    assert r.l2_view[2] == irq(0x40)
    first = next(e for e in r.events if e.name == "kvm_emulate_halt")
    assert first.level == "L1" and first.data["mp_state"] == "RUNNABLE"


def test_l1_wakes_l2s_vcpu_for_an_interrupt_its_own_handler_raises_for_l2():
    c = nvmxlab.check(halt_exiting({"vector": 0x30, "to": "L1", "at": "L2:3"},
                                   {"vector": 0x40, "to": "L2", "at": "L1:7"}))
    for r in (c.bare, c.nested):
        assert r.l1_view[:4] == [ENTRY, exit_("HLT", 2), irq(0x30), ENTRY]
        assert r.l2_view[2] == irq(0x40)
        wake = [e.name for e in r.events if e.level == "L1" and e.kind == "loop"]
        assert wake[:2] == ["kvm_vcpu_block", "vcpu_block"]
    assert c.ok, c.mismatches


def test_an_interrupt_for_l2_does_not_wake_its_vcpu_halted_with_if_0():
    # kvm_vcpu_has_events() counts an interrupt only if kvm_arch_interrupt_allowed().
    c = nvmxlab.check(halt_exiting({"vector": 0x40, "to": "L2", "at": "L2:3"},
                                   program=["nop", "cli", "hlt", "sti", "vmcall"]))
    for r in (c.bare, c.nested):
        assert r.l1_view == [ENTRY, exit_("HLT", 2)]
        assert r.deliveries[0].delivered == ()  # as a CPU halted with IF = 0 would never take it
    assert c.mismatches == []


def test_an_nmi_for_l2_wakes_its_vcpu_halted_with_if_0():
    c = nvmxlab.check(halt_exiting({"type": "nmi", "to": "L2", "at": "L2:3"},
                                   program=["nop", "cli", "hlt", "sti", "vmcall"]))
    for r in (c.bare, c.nested):
        assert r.l1_view[:3] == [ENTRY, exit_("HLT", 2), ENTRY]
        assert nmis(r.l2_view) >= 1
    assert c.ok, c.mismatches


# L2 halts in its NMI handler (NMIs blocked); L1's own interrupt 0x30 comes as it blocks L2's
# vCPU, and its handler queues a second NMI for L2 (kvm_inject_nmi(): KVM_REQ_NMI).
def nmi_while_blocked(nmi_handler):
    return scenario(vmcs12={"hlt_exiting": True, "nmi_exiting": True, "virtual_nmis": True},
                    l2={"program": ["nop", "vmcall", "nop", "nop", "vmcall"],
                        "nmi_handler": nmi_handler},
                    interrupts=[{"type": "nmi", "to": "L2", "at": "L2:1"},
                                {"vector": 0x30, "to": "L1", "at": "L2:4"},
                                {"type": "nmi", "to": "L2", "at": "L1:10"}])


def test_kvm_req_nmi_wakes_l2s_blocked_vcpu_for_an_nmi_l2_blocks():
    # kvm_vcpu_has_events() returns true on kvm_test_request(KVM_REQ_NMI) before it asks
    # nmi_allowed(); vcpu_enter_guest() then runs process_nmi() and, L2 still blocking NMIs,
    # opens an NMI window (inject_pending_event).  L2 goes on after its HLT, and its IRET
    # takes the NMI-window exit through which L1 injects the NMI.
    c = nvmxlab.check(nmi_while_blocked(["nop", "hlt", "nop", "iret"]))
    for r in (c.bare, c.nested):
        assert r.l1_view[3:7] == [exit_("HLT", 3), irq(0x30), ENTRY, exit_("NMI_WINDOW", 6)]
        wake = next(e for e in r.events if e.name == "vcpu_block")
        assert "KVM_REQ_NMI" in wake.why
        assert nmis(r.l2_view) == 2
    assert c.ok, c.mismatches


def test_kvm_req_nmi_wakes_l2s_vcpu_once_and_the_next_hlt_blocks_it_again():
    # process_nmi() consumed the request: with the NMI still pending and blocked,
    # kvm_vcpu_has_events() is false at L2's next HLT (nmi_allowed() refuses it).
    c = nvmxlab.check(nmi_while_blocked(["nop", "hlt", "hlt", "iret"]))
    for r in (c.bare, c.nested):
        assert r.l1_view[3:] == [exit_("HLT", 3), irq(0x30), ENTRY, exit_("HLT", 4)]
        assert r.status == "idle" and "kvm_vcpu_block" in r.detail
        assert nmis(r.l2_view) == 1
    assert c.mismatches == []

# -- 9. tracepoints as today's arch/x86/kvm/trace.h prints them -----------------------------------
def kvm_trace(name, **overrides):
    from nvmxlab import formats
    s = nvmxlab.load_bundled(name).with_overrides(overrides) if overrides else \
        nvmxlab.load_bundled(name)
    return formats.kvm_trace(nvmxlab.run(s)).splitlines()[1:]


def test_kvm_entry_prints_the_injected_event_and_marks_an_immediate_exit():
    lines = kvm_trace("at-vmlaunch-modern")
    entries = [line.split(": ", 1)[1] for line in lines if ": kvm_entry: " in line]
    assert all(" intr_info 0x" in e and " error_code 0x" in e for e in entries)
    assert any(e.endswith("error_code 0x00000000[immediate exit]") for e in entries)
    injected = [line for line in kvm_trace("seed-interrupt") if ": kvm_entry: " in line and
                "intr_info 0x80000030" in line]
    assert injected


def test_trace_lines_come_from_qemus_vcpu_thread():
    assert all(line.lstrip().startswith("CPU 0/KVM-") for line in kvm_trace("seed-interrupt"))


def test_a_failed_nested_entry_prints_the_consistency_check_that_failed():
    (line,) = [x for x in kvm_trace("ack-on-exit-refused") if "kvm_nested_vmenter_failed" in x]
    assert line.endswith("kvm_nested_vmenter_failed: !vmx_control_verify("
                         "vmcs12->vm_exit_controls, vmx->nested.msrs.exit_ctls_low, "
                         "vmx->nested.msrs.exit_ctls_high)")
