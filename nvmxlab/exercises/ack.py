"""Notebook 04: acknowledge interrupt on exit, and external-interrupt exiting turned off."""

from __future__ import annotations

import random

from . import reading as rd
from .bare import L2_PROGRAMS
from .core import Question, Solution, exercise, shuffled_choices

SEED_PATCH_ON_ACK = ("The current code does not (yet) support this case, so we do not allow "
                     "the VM_EXIT_ACK_INTR_ON_EXIT exit-control to be turned on by L1.")


@exercise("what-l1-sees", "04-ack-on-exit",
          "nested: what does L1 see, given ack-on-exit, external-interrupt exiting and policy?",
          hint="Read the policy and the two controls in order: does L0 offer every control L1 "
               "set? Does the interrupt make L2 exit? Does the exit carry the vector?",
          second_hint="Notebook 04's table says which policy offers acknowledge interrupt on "
                      "exit to L1. If L2 runs, read external-interrupt exiting; with it off, "
                      "follow L2's IF and blocking by STI through its program from the step "
                      "the interrupt is raised.")
def what_l1_sees(rng: random.Random) -> Question:
    policy = rng.choice(("kvm-2011-vmx", "kvm-modern"))
    exiting = rng.random() < 0.75
    ack = rng.random() < 0.5
    # Not an L2 that never enables interrupts with exiting off: there the engine does not yet
    # match bare metal (the interrupt for L1 waits for a later exit, or is lost).
    program, rflags_if = rng.choice(L2_PROGRAMS if exiting else L2_PROGRAMS[:2])
    vector = rd.random_vector(rng)
    scenario = rd.variant(
        "seed-interrupt", "What does L1 see?",
        {"policy": policy, "vmcs12.external_interrupt_exiting": exiting,
         "vmcs12.ack_interrupt_on_exit": ack, "l2.program": program, "l2.rflags_if": rflags_if},
        [{"vector": vector, "to": "L1", "at": f"L2:{rng.randint(1, 3)}"}])
    result = rd.run(scenario)
    key, step = rd.fate(result)
    answer = rd.fate_text(key, vector)
    return Question(
        title="What does L1 see?",
        setting=(rd.nested_world(scenario), *rd.setting(scenario)),
        prompt=f"Interrupt {rd.hexv(vector)} is for L1. What happens first, as L1 and L2 see "
               "it?",
        choices=shuffled_choices(rng, answer, [rd.fate_text(k, vector) for k in rd.FATES]),
        solution=Solution(answer, _why(scenario, result, key), _steps(result, key, step),
                          why_not=rd.fate_why_not(scenario, "nested", key, vector)),
        scenario=scenario, share=rd.share(scenario))


def _why(scenario, result, key: str) -> tuple[str, ...]:
    policy = scenario.policy
    if key == "vmfail":
        return ("L1 set acknowledge interrupt on exit, and under "
                f"{policy} L0 does not offer that control in the VMX capability MSRs it shows "
                f"L1. The seed patch: \"{SEED_PATCH_ON_ACK}\"",
                "So L0 fails L1's VMLAUNCH the way hardware fails a VM entry with an "
                "unsupported control: VMfailValid with VM-instruction error 7, \"VM entry with "
                "invalid control field(s)\" (SDM Vol. 3C §31.4). L2 never runs, so an interrupt "
                "timed by L2's progress is never even raised. kvm-modern supports the control.")
    if key == "exit-vector":
        return ("L1 intercepts external interrupts and asked for acknowledge interrupt on "
                "exit. kvm-modern emulates it in vmx_check_nested_events(): it emulates the "
                "EXTERNAL_INTERRUPT exit with valid | external interrupt | vector in the exit "
                "interruption information, then acknowledges the interrupt in L1's APIC "
                "(kvm_apic_ack_interrupt, \"after emulating VM-Exit\"), so it is never "
                "delivered a second time.",)
    if key == "exit-novector":
        how = ("vmx_interrupt_allowed() performs nested_vmx_vmexit() with reason "
               "EXTERNAL_INTERRUPT" if policy == "kvm-2011-vmx" else
               "vmx_check_nested_events() calls nested_vmx_vmexit(vcpu, "
               "EXIT_REASON_EXTERNAL_INTERRUPT, 0, 0)")
        return ("L1 intercepts external interrupts (PIN_BASED_EXT_INTR_MASK = 1) and did not "
                "ask for the vector, so L0 emulates exactly the exit hardware would give: "
                f"{how}, interruption information not valid. L2's IF does not matter.",
                "The interrupt stays pending in L1's APIC (emulated by L0); L1 takes it through "
                "its IDT after its STI, through the interrupt window of notebook 02.")
    if key == "l2-idt":
        return ("L1 cleared external-interrupt exiting (\"no hypervisor that I know does\", "
                "says the seed mail), so nested_exit_on_intr() is false: L0 uses its normal "
                "injection path and injects L1's interrupt into L2 through vmcs02. L1 sees no "
                "exit, exactly as on bare metal.",
                "L2's IF decides when: if it is 0, interrupt_allowed() answers for L2 and "
                "enable_irq_window() opens the window on vmcs02; the injection follows L2's "
                "STI.")
    return ("L1 cleared external-interrupt exiting, so the interrupt may only go through the "
            "IDT of whoever runs, when that level has IF = 1. L2 never enables interrupts, so "
            "L0 cannot inject it into L2; it waits until an exit brings L1 back and L1 "
            "enables interrupts.",)


def _steps(result, key: str, step) -> tuple[str, ...]:
    if key == "vmfail":
        return rd.around(result, step.seq, before=3, after=1)
    start = rd.raised(result).seq
    return rd.excerpt(result, start, step.seq if step else start)
