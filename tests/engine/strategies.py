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
def interrupts(draw, n_max=3):
    n = draw(st.integers(1, n_max))
    out = []
    vectors = draw(st.lists(st.sampled_from(range(0x30, 0xF0, 0x10)), min_size=n, max_size=n,
                            unique=True))
    for vector in vectors:
        to = draw(st.sampled_from(("L1", "L1", "L2")))
        at = draw(st.one_of(
            st.integers(1, 30).map(lambda n: f"L2:{n}"),
            st.integers(3, 30).map(lambda n: f"L1:{n}"),
            st.just("L1:vmlaunch"),
            st.integers(1, 3).map(lambda k: f"L1:vmresume:{k}"),
        ))
        out.append({"vector": vector, "to": to, "at": at})
    return out


@st.composite
def scenarios(draw, policy: str | None = None, ack: bool | None = None,
              exiting: bool | None = None):
    hlt_exiting = draw(st.booleans())
    raw = {
        "name": "generated",
        "policy": policy or draw(st.sampled_from(nvmxlab.bugs.POLICIES)),
        "vmcs12": {
            "external_interrupt_exiting": draw(st.booleans()) if exiting is None else exiting,
            "ack_interrupt_on_exit": draw(st.booleans()) if ack is None else ack,
            "hlt_exiting": hlt_exiting,
        },
        "l1": {"program": ["nop", "vmlaunch"], "exit_handler": draw(exit_handlers())},
        "l2": {"program": draw(l2_programs(hlt_exiting)), "rflags_if": draw(st.booleans()),
               "idt_fault": draw(st.sampled_from(("none", "none", "l0-ept", "l1-ept")))},
        "interrupt": draw(interrupts()),
        "max_steps": 20_000,
    }
    return nvmxlab.from_dict(raw, "generated")
