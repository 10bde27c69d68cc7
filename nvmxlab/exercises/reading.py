"""Reading a run: where things happened in the trace, and how to describe an experiment.

Every answer an exercise gives is found here, in the events of a run of the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from .. import checker, engine, formats
from ..limits import counted
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
        return f"when {trigger.level} has retired {counted(trigger.count, 'instruction')}"
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
    """For each wrong fate, why it cannot be right: what that fate would need, and which
    control or part of the setting to check.  A sentence never says what does happen: the
    learner reads the setting and decides (the run itself gave `answer`)."""
    exiting = scenario.vmcs12["external_interrupt_exiting"]
    if answer == "vmfail":
        first = ("Before asking what the interrupt does, ask whether L2 runs at all: compare "
                 "the controls L1 sets with the ones L0 offers L1 under the policy shown "
                 "(notebook 04).")
        return tuple((fate_text(k, vector), first) for k in FATES if k != answer)
    needs_exit = ("An EXTERNAL_INTERRUPT exit needs external-interrupt exiting "
                  "(PIN_BASED_EXT_INTR_MASK) = 1 in L1's controls for L2 (SDM Vol. 3C §26.2): "
                  "check that control.")
    sentences = {
        "vmfail": "A VM entry fails only when L1 sets a control that "
                  + ("the CPU does not offer in its VMX capability MSRs." if mode == "bare" else
                     "L0 does not offer L1: check, for the policy shown, which controls L0 "
                     "offers (notebook 04)."),
        "exit-novector": needs_exit if not exiting else
        "An exit without the vector is what the CPU gives when it does not acknowledge the "
        "interrupt as part of the exit: check acknowledge interrupt on exit "
        "(VM_EXIT_ACK_INTR_ON_EXIT, SDM Vol. 3C §25.9.2).",
        "exit-vector": needs_exit if not exiting else
        "The vector comes in the exit only if the CPU acknowledges the interrupt as part of "
        "the exit: check acknowledge interrupt on exit (VM_EXIT_ACK_INTR_ON_EXIT, SDM Vol. 3C "
        "§25.9.2, §28.1).",
        "l2-idt": "Going through L2's IDT needs an interrupt that causes no VM exit: check "
                  "external-interrupt exiting (§26.2). L2's RFLAGS.IF masks only interrupts "
                  "that would go through L2's own IDT." if exiting else
                  "Going through L2's IDT needs L2 to be running with RFLAGS.IF = 1, and no "
                  "blocking by STI, while the interrupt is pending: follow L2's IF through its "
                  "program from the step the interrupt is raised.",
        "l1-later": "Waiting for an unrelated exit needs an interrupt that causes no exit of "
                    "its own: check external-interrupt exiting (§26.2)." if exiting else
                    "Waiting for a later, unrelated exit needs L2 to be unable to take the "
                    "interrupt for as long as it runs: follow L2's RFLAGS.IF and blocking by "
                    "STI through its program from the step the interrupt is raised.",
    }
    return tuple((fate_text(k, vector), sentences[k]) for k in FATES if k != answer)
