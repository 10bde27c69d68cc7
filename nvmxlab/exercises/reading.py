"""Reading a run: where things happened in the trace, and how to describe an experiment.

Every answer an exercise gives is found here, in the events of a run of the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from .. import checker, engine, formats
from ..observations import Observation, ObservedExit, ObservedVmFail
from ..result import Result
from ..scenario import Scenario, Trigger, from_dict
from ..scenarios import load_bundled
from ..share import encode
from ..trace import Event, Kind
from ..vmx import ExitReason

ObservationT = TypeVar("ObservationT", bound=Observation)


def run(scenario: Scenario, mode: str = "nested") -> Result:
    # Through the module attribute, so that a test can swap the engine and watch the answers
    # follow it.
    return engine.run(scenario, mode)


def compare(scenario: Scenario) -> checker.Comparison:
    return engine.compare(run(scenario, "nested"), run(scenario, "bare"))


def first(result: Result, test: Callable[[Event], bool], after: int = -1) -> Event | None:
    """The first event after step `after` that passes `test`."""
    return next((e for e in result.events if e.seq > after and test(e)), None)


def raised(result: Result, index: int = 0) -> Event:
    """The step at which interrupt `index` of the scenario was raised."""
    found = first(result, lambda e: e.kind == Kind.RAISE and e.data["irq"] == index)
    if found is None:
        raise LookupError(f"interrupt {index} was never raised in this run")
    return found


def hw_exit(e: Event) -> bool:
    """A VM exit taken by the real CPU: in the nested world, every one of them goes to L0."""
    return e.level == "HW" and e.kind == Kind.VMEXIT


def l1_observation(e: Event, kind: type[ObservationT]) -> ObservationT | None:
    """What L1 observes of step `e`, if it is a `kind` (ObservedExit, ObservedVmFail, ...)."""
    return next((v for level, v in e.views if level == "L1" and isinstance(v, kind)), None)


def excerpt(result: Result, start: int, end: int) -> tuple[str, ...]:
    """The timeline of steps start..end, as `nvmxlab run` prints it."""
    return tuple(formats.timeline(e for e in result.events if start <= e.seq <= end))


def around(result: Result, *seqs: int, before: int = 0, after: int = 0) -> tuple[str, ...]:
    return excerpt(result, max(0, min(seqs) - before), max(seqs) + after)


def observation(o: Observation) -> str:
    """One thing L1 or L2 observed, in words, with L2's progress for an exit."""
    where = f" [L2 retired {o.l2_retired}]" if isinstance(o, ObservedExit) else ""
    return o.describe() + where


def hexv(vector: int) -> str:
    return f"0x{vector:02x}"


# -- describing the experiment ------------------------------------------------------------------
CONTROL_NAMES = {
    "external_interrupt_exiting": "external-interrupt exiting (PIN_BASED_EXT_INTR_MASK)",
    "ack_interrupt_on_exit": "acknowledge interrupt on exit (VM_EXIT_ACK_INTR_ON_EXIT)",
    "interrupt_window_exiting": "interrupt-window exiting",
    "hlt_exiting": "HLT exiting",
    "nmi_exiting": "NMI exiting",
    "virtual_nmis": "virtual NMIs",
    "nmi_window_exiting": "NMI-window exiting",
}
# Always shown, because every lesson turns on them; the rest only when they are set.
ALWAYS_SHOWN = ("external_interrupt_exiting", "ack_interrupt_on_exit")


def when(trigger: Trigger) -> str:
    if trigger.instr is None:
        count = trigger.count
        noun = "instruction" if count == 1 else "instructions"
        return f"when {trigger.level} has retired {count} {noun}"
    nth = {1: "", 2: "second ", 3: "third "}.get(trigger.count, f"{trigger.count}th ")
    return f"as L1's {nth}{trigger.instr.upper()} completes"


def setting(scenario: Scenario) -> tuple[str, ...]:
    """The experiment in a few lines: which controls, which programs, which interrupts."""
    lines = []
    controls = [f"{CONTROL_NAMES[k]} = {int(v)}" for k, v in scenario.vmcs12.items()
                if k in ALWAYS_SHOWN or (v and k in CONTROL_NAMES and k != "hlt_exiting")]
    lines.append("vmcs12 (L1's controls for L2):")
    lines += [f"  {control}" for control in controls]
    l1, l2 = scenario.l1, scenario.l2
    lines.append(f"L1 program:        {' '.join(l1['program'])}")
    lines.append(f"L1 exit handler:   {' '.join(l1['exit_handler'])}   "
                 "(runs after every exit from L2)")
    lines.append(f"L1 IRQ handler:    {' '.join(l1['irq_handler'])}")
    lines.append(f"L2 program:        {' '.join(l2['program'])}   (repeats; "
                 f"L2 starts with IF = {int(l2['rflags_if'])})")
    if l2["idt_fault"] != "none":
        owner = "L0's" if l2["idt_fault"] == "l0-ept" else "L1's"
        lines.append(f"L2's IRQ handler page is missing from {owner} EPT until it is mapped")
    for irq in scenario.interrupts:
        lines.append(f"Interrupt {hexv(irq.vector)} for {irq.to}, raised {when(irq.at)}")
    return tuple(lines)


def nested_world(scenario: Scenario) -> str:
    return f"Nested: L0 is KVM with policy {scenario.policy}; L1 runs L2."


BARE_WORLD = "Bare metal: no L0; L1 runs directly on the CPU and runs L2."


# -- building variations of a bundled scenario --------------------------------------------------
def variant(base: str, title: str, overrides: dict | None = None,
            interrupts: list[dict] | None = None) -> Scenario:
    """A bundled scenario with some keys replaced and, optionally, new interrupts.

    The title replaces the name and the explanation is dropped: a question must not come with
    its answer attached."""
    raw = load_bundled(base).with_overrides(overrides or {}).to_dict()
    raw["name"] = title
    raw.pop("description", None)
    raw.pop("explain", None)
    if interrupts is not None:
        raw["interrupt"] = interrupts
    return from_dict(raw, f"exercise based on {base}")


def share(scenario: Scenario) -> str:
    return encode(scenario)


def random_vector(rng, low: int = 0x30) -> int:
    """A device vector: 0x30..0xe0, on a 16-vector boundary so it reads easily."""
    return rng.randrange(low, 0xF0, 0x10)


# -- what became of an interrupt -----------------------------------------------------------------
def fate(result: Result, index: int = 0) -> tuple[str, Event | None]:
    """The first thing that happened to interrupt `index`, and the step that shows it.

    vmfail        L1's VM entry failed (L2 never ran)
    exit-novector L2 exited to L1 with EXTERNAL_INTERRUPT and no vector
    exit-vector   ... with the vector in the exit's interruption information
    l2-idt        no exit: it went through L2's IDT
    l1-later      no exit for it: it reached L1's IDT after some other exit
    lost          never delivered
    """
    failed = first(result, lambda e: l1_observation(e, ObservedVmFail) is not None)
    if failed is not None:
        return "vmfail", failed
    start = raised(result, index).seq
    delivery = result.deliveries[index]
    end = delivery.delivered_seq if delivery.delivered else len(result.events)

    def external_exit(e: Event) -> bool:
        seen = l1_observation(e, ObservedExit)
        return seen is not None and seen.exit_reason == ExitReason.EXTERNAL_INTERRUPT

    exit_ = first(result, external_exit, after=start - 1)
    if exit_ is not None and exit_.seq <= end:
        key = "exit-vector" if l1_observation(exit_, ObservedExit).exit_intr_info \
            else "exit-novector"
        return key, exit_
    if not delivery.delivered:
        return "lost", None
    step = next(e for e in result.events if e.seq == delivery.delivered_seq)
    return ("l2-idt" if delivery.delivered_to == "L2" else "l1-later"), step


def fate_text(key: str, vector: int) -> str:
    v = hexv(vector)
    return {
        "vmfail": "L1's VMLAUNCH fails (VMfailValid, VM-instruction error 7): L2 never runs",
        "exit-novector": "L2 exits to L1: EXTERNAL_INTERRUPT, with no vector in the exit",
        "exit-vector": f"L2 exits to L1: EXTERNAL_INTERRUPT, with vector {v} in the exit",
        "l2-idt": f"no exit: L2 takes {v} through its own IDT",
        "l1-later": f"no exit for it: L2 runs on, and L1 takes {v} through its own IDT only "
                    "after a later, unrelated exit",
        "lost": f"{v} is never delivered",
    }[key]


FATES = ("vmfail", "exit-novector", "exit-vector", "l2-idt", "l1-later")


def fate_why_not(scenario: Scenario, mode: str, answer: str, vector: int
                 ) -> tuple[tuple[str, str], ...]:
    """For each wrong fate, the sentence that answers the misconception behind it, read off
    the scenario's controls and policy (the run itself gave `answer`)."""
    vmcs12 = scenario.vmcs12
    exiting, ack = vmcs12["external_interrupt_exiting"], vmcs12["ack_interrupt_on_exit"]
    if answer == "vmfail":
        refused = (f"Look at the policy first: {scenario.policy} does not offer acknowledge "
                   "interrupt on exit to L1, so L1's VMLAUNCH fails and L2 never runs: nothing "
                   "can exit from it or be delivered to it.")
        return tuple((fate_text(k, vector), refused) for k in FATES if k != answer)
    no_exit = ("External-interrupt exiting is 0: the interrupt does not make L2 exit at all; it "
               "can only go through the IDT of whoever runs.")
    sentences = {
        "vmfail": "A VM entry fails only with a control that is not offered. "
                  + ("On bare metal the CPU offers every control L1 sets here."
                     if mode == "bare" or ack else
                     "L1 did not set acknowledge interrupt on exit, the one control the 2011 "
                     "code refuses, so the entry succeeds."),
        "exit-novector": no_exit if not exiting else
        "Acknowledge interrupt on exit is 1: the CPU acknowledges the interrupt as part of the "
        "exit and writes its vector into the exit's interruption information (SDM Vol. 3C "
        "§25.9.2).",
        "exit-vector": no_exit if not exiting else
        "The vector comes with the exit only when acknowledge interrupt on exit is 1; here it "
        "is 0, so the interrupt stays pending in the APIC and the exit's interruption "
        "information is not valid (§28.1).",
        "l2-idt": "External-interrupt exiting is 1: the interrupt makes L2 exit whatever L2's "
                  "RFLAGS.IF; L2's IF masks only interrupts that would go through L2's own IDT "
                  "(§26.2)." if exiting else
                  "L2 never has IF = 1 when the interrupt could reach it, so L2 cannot take it "
                  "through its IDT; it waits until L1 runs with interrupts enabled.",
        "l1-later": "Nothing waits for another exit: with external-interrupt exiting = 1 the "
                    "interrupt itself causes the exit." if exiting else
                    "L2 can take it: external-interrupt exiting is 0, the interrupt goes to "
                    "whoever runs, and L2 runs with IF = 1 and no STI blocking.",
    }
    return tuple((fate_text(k, vector), sentences[k]) for k in FATES if k != answer)
