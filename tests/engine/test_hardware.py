"""The hardware model on its own (bare metal): SDM rules, one behaviour per test."""

from views import exit_, irq, vmfail

import nvmxlab
from nvmxlab.guest import Context
from nvmxlab.lapic import Lapic


def bare(**overrides):
    s = nvmxlab.load_bundled("seed-interrupt")
    return nvmxlab.run(s.with_overrides(overrides), "bare")


def test_vm_exit_leaves_l1_with_interrupts_disabled_until_sti_and_its_shadow():
    r = bare()
    kinds = [(e.level, e.kind, e.name) for e in r.events]
    exit_at = kinds.index(("HW", "vmexit", "EXTERNAL_INTERRUPT"))
    after = [k for k in kinds[exit_at:] if k[0] == "L1"][:5]
    # nop, nop, sti, then one more instruction (STI blocking), then the delivery.
    assert after == [("L1", "retire", "nop"), ("L1", "retire", "nop"), ("L1", "retire", "sti"),
                     ("L1", "retire", "nop"), ("L1", "deliver", "IDT delivery")]


def test_external_interrupt_exiting_ignores_the_guests_if():
    r = bare(**{"l2.rflags_if": False, "l2.program": ["nop", "nop", "nop", "nop", "vmcall"]})
    assert r.l1_view[1] == exit_("EXTERNAL_INTERRUPT", 3)


def test_without_ack_on_exit_the_interrupt_stays_pending_in_the_apic():
    r = bare()
    exit_ = next(e for e in r.events if e.name == "EXTERNAL_INTERRUPT")
    assert exit_.data["intr_info"] is None
    assert not any(e.name == "acknowledge" for e in r.events[:exit_.seq])


def test_with_ack_on_exit_the_exit_carries_the_vector_and_it_is_not_delivered_again():
    r = bare(**{"vmcs12.ack_interrupt_on_exit": True})
    assert r.l1_view[1] == exit_("EXTERNAL_INTERRUPT", 3, vector=0x30)
    assert len(r.deliveries[0].delivered) == 1 and r.deliveries[0].delivered[0][2] == "exit"


def test_with_exiting_off_the_interrupt_goes_through_l2s_idt():
    r = bare(**{"vmcs12.external_interrupt_exiting": False})
    assert irq(0x30) in r.l2_view
    assert r.deliveries[0].delivered_to == "L2"


def test_interrupt_window_exit_comes_after_the_sti_shadow():
    s = nvmxlab.load_bundled("l1-injects-l2-window")
    r = nvmxlab.run(s, "bare")
    exit_ = next(e for e in r.events if e.name == "INTERRUPT_WINDOW")
    before = [e.name for e in r.events[:exit_.seq] if e.level == "L2" and e.kind == "retire"]
    assert before[-2:] == ["sti", "nop"]


def test_vm_entry_with_a_control_the_capabilities_lack_fails_with_error_7():
    r = nvmxlab.run(nvmxlab.load_bundled("ack-on-exit-refused"), "nested")
    assert r.l1_view[0] == vmfail(7)


def test_vmresume_of_a_never_launched_vmcs_fails_with_error_5():
    r = bare(**{"l1.program": ["nop", "vmresume"], "interrupt": []})
    assert r.l1_view[0] == vmfail(5)


def test_sti_blocks_for_one_instruction_only_when_if_was_0():
    c = Context("L1", {"program": ["sti", "sti", "nop"]}, rflags_if=False, repeat=False)
    c.execute_simple("sti")
    assert c.sti_blocking
    c.execute_simple("sti")  # IF was already 1: no new blocking
    assert not c.sti_blocking


def test_apic_presents_the_highest_vector_above_the_in_service_priority_class():
    apic = Lapic("test", "HW")
    apic.set_irr(0x31, 0)
    apic.set_irr(0x52, 1)
    assert apic.ack() == (0x52, [1])
    assert apic.highest_irr() is None  # 0x31 is in a lower class than in-service 0x52
    apic.eoi()
    assert apic.highest_irr() == 0x31


def test_a_vector_raised_twice_before_delivery_coalesces():
    apic = Lapic("test", "HW")
    assert apic.set_irr(0x30, 0)
    assert not apic.set_irr(0x30, 1)
    assert apic.ack() == (0x30, [0, 1])


def test_halted_l2_wakes_into_the_exit_and_records_hlt():
    r = nvmxlab.run(nvmxlab.load_bundled("l2-halted"), "bare")
    assert r.l1_view[1] == exit_("EXTERNAL_INTERRUPT", 3, hlt=True)
