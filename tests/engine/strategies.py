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
def l2_programs(draw, hlt: bool = False):
    # A HLT that L1 does not intercept waits for an interrupt that may never come.
    body = draw(st.lists(st.sampled_from(PLAIN + (("hlt",) if hlt else ())), min_size=1,
                         max_size=6))
    # L2 ends each round with IF = 1 and a VMCALL, so L1 always gets control back.
    return body + ["sti", "nop", "vmcall"]


@st.composite
def exit_handlers(draw):
    before = draw(st.lists(st.sampled_from(("nop", "cli")), max_size=3))
    after = draw(st.lists(st.just("nop"), max_size=2))
    return before + ["sti", "nop"] + after + ["vmresume"]


@st.composite
def interrupts(draw, n_max=3, nmis_for_l1=False):
    n = draw(st.integers(1, n_max))
    out = []
    vectors = draw(st.lists(st.sampled_from(range(0x30, 0xF0, 0x10)), min_size=n, max_size=n,
                            unique=True))
    for vector in vectors:
        to = draw(st.sampled_from(("L1", "L1", "L2")))
        nmi = draw(st.sampled_from((False, False, True))) and (to == "L2" or nmis_for_l1)
        # Two NMIs for L1 at one instant merge on the NMI pin, while KVM's process_nmi()
        # keeps two: a difference of simultaneity the model does not arbitrate.
        nmi = nmi and not (to == "L1" and any(o.get("type") == "nmi" and o["to"] == "L1"
                                              for o in out))
        at = draw(st.one_of(
            st.integers(1, 30).map(lambda n: f"L2:{n}"),
            st.integers(3, 30).map(lambda n: f"L1:{n}"),
            st.just("L1:vmlaunch"),
            st.integers(1, 3).map(lambda k: f"L1:vmresume:{k}"),
        ))
        out.append({"type": "nmi", "to": to, "at": at} if nmi else
                   {"vector": vector, "to": to, "at": at})
    return out


@st.composite
def scenarios(draw, policy: str | None = None, ack: bool | None = None,
              exiting: bool | None = None):
    """`exiting`: PIN_BASED_EXT_INTR_MASK, or drawn.  With it off, an interrupt L2 cannot
    take before it exits to L1 meets the model's known limit (README, "Known differences")."""
    hlt_exiting = draw(st.booleans())
    policy = policy or draw(st.sampled_from(nvmxlab.bugs.POLICIES))
    # NMI controls as the SDM allows them: virtual NMIs need NMI exiting.
    nmi_exiting = draw(st.booleans())
    virtual_nmis = nmi_exiting and draw(st.booleans())
    raw = {
        "name": "generated",
        "policy": policy,
        "vmcs12": {
            "nmi_exiting": nmi_exiting,
            "virtual_nmis": virtual_nmis,
            "external_interrupt_exiting": draw(st.booleans()) if exiting is None else exiting,
            "ack_interrupt_on_exit": draw(st.booleans()) if ack is None else ack,
            "hlt_exiting": hlt_exiting,
        },
        "l1": {"program": ["nop", "vmlaunch"], "exit_handler": draw(exit_handlers())},
        "l2": {"program": draw(l2_programs(hlt_exiting)), "rflags_if": draw(st.booleans()),
               "idt_fault": draw(st.sampled_from(("none", "none", "l0-ept", "l1-ept"))),
               "nmi_handler": draw(st.sampled_from((["nop", "iret"],
                                                    ["nop", "vmcall", "iret"])))},
        # An NMI for L1 that L1 lets through to L2 meets the model's known limit when L2
        # exits to L1 first (README, "Known differences"): generate those with NMI exiting.
        "interrupt": draw(interrupts(nmis_for_l1=policy == "kvm-modern" and nmi_exiting)),
        "max_steps": 20_000,
    }
    return nvmxlab.from_dict(raw, "generated")
