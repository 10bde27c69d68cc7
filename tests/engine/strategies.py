"""Hypothesis strategies: well-formed scenarios, as a learner or instructor might write them.

Well-formed: L1's exit handler enables interrupts before it resumes L2, handlers end with
IRET, L2 eventually exits to L1 - the conditions under which hardware itself never loses or
stalls an interrupt.
"""

from __future__ import annotations

from hypothesis import strategies as st

import nvmxlab

PLAIN = ("nop", "nop", "nop", "cli", "sti")


@st.composite
def l2_programs(draw, hlt: bool = False, halts: bool = False):
    # A HLT that L1 does not intercept waits for an interrupt that may never come.  One that
    # it intercepts waits too (L1 blocks L2's vCPU until it has an event for L2), but comes as
    # `sti; hlt`, as an idle loop halts: L2 can take the interrupt that wakes it.
    # `halts`: at least one such HLT.
    body = draw(st.lists(st.sampled_from(PLAIN + (("sti; hlt",) if hlt else ())), min_size=1,
                         max_size=6))
    if halts:
        body.insert(draw(st.integers(0, len(body))), "sti; hlt")
    # L2 ends each round with IF = 1 and a VMCALL, so L1 always gets control back.
    return [i for token in body for i in token.split("; ")] + ["sti", "nop", "vmcall"]


def before_l2_halts(l1: dict, l2: dict) -> tuple[int, int] | None:
    """With an HLT in L2's program, the L2 and L1 instruction counts reached for certain
    before L1 first blocks L2's vCPU: L2 has retired its program up to that HLT (which L1
    skips), L1 its program up to VMLAUNCH and its exit handler up to VMRESUME.  Nothing
    later is certain to come: a trigger there might never be reached."""
    if "hlt" not in l2["program"]:
        return None
    return l2["program"].index("hlt") + 1, len(l1["program"]) + len(l1["exit_handler"]) - 2


@st.composite
def exit_handlers(draw):
    before = draw(st.lists(st.sampled_from(("nop", "cli")), max_size=3))
    after = draw(st.lists(st.just("nop"), max_size=2))
    return before + ["sti", "nop"] + after + ["vmresume"]


@st.composite
def l1_programs(draw):
    # VMLAUNCH in STI's shadow, too: an interrupt then waits for the nested entry.
    return draw(st.sampled_from((["nop", "vmlaunch"], ["nop", "vmlaunch"], ["sti", "vmlaunch"],
                                 ["cli", "nop", "sti", "vmlaunch"])))


def trigger_points(l1_triggers_only: bool, reach: tuple[int, int] | None):
    """Where an interrupt is raised; `reach`: only points reached for certain (see
    before_l2_halts)."""
    if reach is not None:
        l2_max, l1_max = reach
        return st.one_of(
            *(() if l1_triggers_only else (st.integers(1, l2_max).map(lambda n: f"L2:{n}"),)),
            st.integers(1, l1_max).map(lambda n: f"L1:{n}"),
            st.just("L1:vmlaunch"),
        )
    return st.one_of(
        st.integers(1, 30).map(lambda n: f"L1:{n}" if l1_triggers_only else f"L2:{n}"),
        st.integers(3, 30).map(lambda n: f"L1:{n}"),
        st.just("L1:vmlaunch"),
        st.integers(1, 3).map(lambda k: f"L1:vmresume:{k}"),
    )


@st.composite
def interrupts(draw, n_max=3, nmis_for_l1=False, l1_triggers_only=False, nmis_for_l2=True,
               reach: tuple[int, int] | None = None):
    n = draw(st.integers(1, n_max))
    out = []
    vectors = draw(st.lists(st.sampled_from(range(0x30, 0xF0, 0x10)), min_size=n, max_size=n,
                            unique=True))
    for vector in vectors:
        # With a window always open L2 may never take an interrupt L1 injects: for L1 only.
        to = "L1" if l1_triggers_only else draw(st.sampled_from(("L1", "L1", "L2")))
        nmi = draw(st.sampled_from((False, False, True))) and (
            nmis_for_l2 if to == "L2" else nmis_for_l1)
        at = draw(trigger_points(l1_triggers_only, reach))
        out.append({"type": "nmi", "to": to, "at": at} if nmi else
                   {"vector": vector, "to": to, "at": at})
    return out


@st.composite
def scenarios(draw, policy: str | None = None, ack: bool | None = None,
              exiting: bool | None = None, windows: bool = True, halts: bool = False):
    """`exiting`: PIN_BASED_EXT_INTR_MASK, or drawn.  With it off, an interrupt L2 cannot
    take before it exits to L1 waits, under the 2011 policies, for an unrelated event (KVM's
    gap until 2025, README "Known differences").  `halts`: L1 intercepts HLT and L2's program
    has one."""
    hlt_exiting = halts or draw(st.booleans())
    policy = policy or draw(st.sampled_from(nvmxlab.bugs.POLICIES))
    # NMI controls as the SDM allows them: virtual NMIs need NMI exiting.
    nmi_exiting = draw(st.booleans())
    virtual_nmis = nmi_exiting and draw(st.booleans())
    # `windows`: L1 may also keep interrupt-window or NMI-window exiting on in vmcs12.
    window = draw(st.sampled_from(("none", "none", "none", "none", "interrupt", "nmi"))) \
        if windows else "none"
    l1 = {"program": draw(l1_programs()), "exit_handler": draw(exit_handlers())}
    l2 = {"program": draw(l2_programs(hlt_exiting, halts)),
          "rflags_if": window != "none" or draw(st.booleans()),
          "idt_fault": draw(st.sampled_from(("none", "none", "l0-ept", "l1-ept"))),
          "nmi_handler": draw(st.sampled_from((["nop", "iret"], ["nop", "vmcall", "iret"])))}
    raw = {
        "name": "generated",
        "policy": policy,
        "vmcs12": {
            "nmi_exiting": nmi_exiting,
            "virtual_nmis": virtual_nmis,
            # L1's own window requests, as kvm-unit-tests' window tests make them.  With a
            # window always open, L2 may make no progress: triggers are then L1's.
            "interrupt_window_exiting": window == "interrupt",
            "nmi_window_exiting": window == "nmi" and virtual_nmis,
            "external_interrupt_exiting": draw(st.booleans()) if exiting is None else exiting,
            "ack_interrupt_on_exit": draw(st.booleans()) if ack is None else ack,
            "hlt_exiting": hlt_exiting,
        },
        "l1": l1,
        "l2": l2,
        # NMIs for L1 are modelled under kvm-modern only (other policies refuse them).
        # With NMI exiting and no virtual NMIs, L2's IRET leaves NMI blocking on (SDM 26.3)
        # and L1 has no NMI window: a second NMI for L2 would wait for ever, on hardware too.
        "interrupt": draw(interrupts(nmis_for_l1=policy == "kvm-modern",
                                     nmis_for_l2=virtual_nmis or not nmi_exiting,
                                     l1_triggers_only=window != "none",
                                     reach=before_l2_halts(l1, l2))),
        "max_steps": 20_000,
    }
    return nvmxlab.from_dict(raw, "generated")
