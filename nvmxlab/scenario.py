"""Scenario files (TOML, format 1): parsing and strict validation.

A scenario describes an experiment; the engine, not the file, decides what happens.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import limits
from .bugs import BUGS, POLICIES
from .errors import ScenarioError
from .intake import parse_toml, plain, read_file
from .limits import describe, kind, shown

INSTRUCTIONS = ("nop", "cli", "sti", "hlt", "vmcall", "eoi", "iret")
L1_ONLY_INSTRUCTIONS = ("vmlaunch", "vmresume")
IDT_FAULTS = ("none", "l0-ept", "l1-ept")
TYPES = ("external", "nmi")
TARGETS = ("L1", "L2")

VMCS12_DEFAULTS = {
    "external_interrupt_exiting": True,
    "ack_interrupt_on_exit": False,
    "interrupt_window_exiting": False,
    "nmi_exiting": False,
    "virtual_nmis": False,
    "nmi_window_exiting": False,
    "hlt_exiting": True,
}
L1_DEFAULTS = {
    "program": ["nop", "vmlaunch"],
    "exit_handler": ["nop", "nop", "sti", "nop", "vmresume"],
    "irq_handler": ["nop", "eoi", "iret"],
    "nmi_handler": ["nop", "iret"],
}
L2_DEFAULTS = {
    "program": ["nop", "nop", "nop", "nop", "vmcall"],
    "irq_handler": ["nop", "eoi", "iret"],
    "nmi_handler": ["nop", "iret"],
    "rflags_if": True,
    "idt_fault": "none",
}
SECTIONS = {"vmcs12": VMCS12_DEFAULTS, "l1": L1_DEFAULTS, "l2": L2_DEFAULTS}
TOP_DEFAULTS = {"policy": "kvm-2011-vmx", "bugs": [], "settle": 8, "max_steps": 200_000}
TOP_KEYS = ("format", "name", "description", "explain", "policy", "bugs", "settle", "max_steps",
            "vmcs12", "l1", "l2", "interrupt")
INTERRUPT_KEYS = ("vector", "to", "at", "type")
# ASCII digits only, and \Z rather than $ (which also matches before a final newline).
TRIGGER_RE = re.compile(r"(L1|L2):([0-9]+)\Z|L1:(vmlaunch|vmresume)(?::([0-9]+))?\Z")
TRIGGER_FORMS = '"L1:N", "L2:N" (N >= 1), "L1:vmlaunch", "L1:vmresume", "L1:vmresume:K"'


@dataclass(frozen=True)
class Trigger:
    """When an interrupt is raised, in guest-visible progress (identical in both worlds)."""

    level: str  # "L1" or "L2"
    count: int  # instructions retired by `level`, or the K-th `instr`
    instr: str | None = None  # "vmlaunch" or "vmresume"

    def __str__(self) -> str:
        if self.instr is None:
            return f"{self.level}:{self.count}"
        return f"L1:{self.instr}" + (f":{self.count}" if self.count != 1 else "")


@dataclass(frozen=True)
class Interrupt:
    vector: int
    to: str
    at: Trigger
    type: str = "external"


@dataclass(frozen=True)
class Scenario:
    name: str
    policy: str
    bugs: tuple[str, ...]
    vmcs12: dict
    l1: dict
    l2: dict
    interrupts: tuple[Interrupt, ...]
    settle: int
    max_steps: int
    description: str = ""
    explain: str = ""
    source: str = field(default="<scenario>", compare=False)
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    def with_overrides(self, overrides: Mapping[str, object],
                       source: str | Mapping[str, str] | None = None) -> Scenario:
        """The same scenario with dotted keys replaced, validated like a file:
        e.g. {"vmcs12.ack_interrupt_on_exit": True}.

        `source` says where the overrides come from, for error messages: one label for all
        of them ("the lab control PIN_BASED_EXT_INTR_MASK"), or a label per key
        ({"vmcs12.hlt_exiting": "--set vmcs12.hlt_exiting"}).  By default an error names
        "override KEY".  An error that no single override explains (a trigger the new
        program can no longer reach) names the scenario's source and the overrides."""
        if not isinstance(overrides, Mapping):
            raise ScenarioError("with_overrides()", "overrides", f"expected a table of "
                                f"dotted keys, got {describe(overrides)}",
                                "e.g. {'vmcs12.ack_interrupt_on_exit': True}")
        labels = {key: _label(source, key) for key in overrides}
        raw = copy.deepcopy(self.raw)
        for dotted, value in overrides.items():
            _apply(raw, dotted, value, labels)
        try:
            return from_dict(raw, self.source)
        except ScenarioError as e:
            raise _blame(e, labels, self.source) from None

    def to_dict(self) -> dict:
        return copy.deepcopy(self.raw)


def _label(source: str | Mapping[str, str] | None, key: object) -> str:
    if isinstance(source, str):
        return source
    if isinstance(source, Mapping) and key in source:
        return str(source[key])
    return f"override {key}" if isinstance(key, str) else "override"


def _apply(raw: dict, dotted: object, value: object, labels: dict) -> None:
    """Set one override in `raw` (a copy), refusing keys that no file could hold."""
    label = labels[dotted]
    if not isinstance(dotted, str):
        raise ScenarioError(label, "key", f"a key must be a string, got {describe(dotted)}",
                            "e.g. 'vmcs12.hlt_exiting'")
    *parents, last = dotted.split(".")
    allowed = "top-level keys, vmcs12.*, l1.*, l2.*"
    if not last or len(parents) > 1 or (parents and parents[0] not in SECTIONS):
        raise ScenarioError(label, dotted, "cannot set this key", allowed)
    node = raw
    if parents:
        section = parents[0]
        node = raw.setdefault(section, {})
        if not isinstance(node, dict) or any(key == section for key in labels):
            # Both "vmcs12" and "vmcs12.x": which one wins would depend on their order.
            raise ScenarioError(label, dotted, f"{section} is also set as a whole",
                                f"either {section} or keys inside it, not both")
    node[last] = value


def _blame(e: ScenarioError, labels: dict[str, str], source: str) -> ScenarioError:
    """The error, said of the override that caused it, or of the file and the overrides."""
    for key, label in labels.items():
        if isinstance(key, str) and (e.key == key or e.key.startswith((key + ".", key + "["))):
            return ScenarioError(label, e.key, e.problem, e.allowed)
    if e.source != source or not labels:
        return e
    return ScenarioError(f"{source} with " + ", ".join(dict.fromkeys(labels.values())), e.key,
                         e.problem, e.allowed)


def load(path: str | Path) -> Scenario:
    """A scenario file (see the README for its format and limits)."""
    if not isinstance(path, str | Path):
        raise ScenarioError("load()", "path", f"expected a path, got {describe(path)}",
                            "a str or pathlib.Path naming a TOML file")
    if path == "":  # Path("") would be the current directory
        raise ScenarioError("load()", "path", "empty", "a path naming a TOML file")
    path = Path(path)
    return from_dict(parse_toml(read_file(path), str(path)), str(path))


def loads(text: str, source: str = "<string>") -> Scenario:
    """A scenario from TOML text; `source` names it in error messages."""
    if not isinstance(text, str):
        raise ScenarioError(source, "text", f"expected TOML text, got {describe(text)}",
                            "a str")
    return from_dict(parse_toml(text, source), source)


def parse_value(text: str, source: str = "--set") -> object:
    """A --set value: a TOML value (true, 0x30, ["nop"]) or else a bare string."""
    try:
        table = parse_toml(f"v = {text}", source, "value")
    except ScenarioError as e:
        if e.problem.startswith("not valid TOML"):
            return text
        raise
    if list(table) != ["v"]:  # "1\nname = 'x'" would set a second key unseen
        raise ScenarioError(source, "value", f"more than one TOML value in {shown(text)}",
                            'one value, e.g. true, 0x30, ["nop"]')
    return table["v"]


def from_dict(raw: dict, source: str = "<dict>") -> Scenario:
    """A scenario from a table as a TOML file would give it; validated like a file."""
    if not isinstance(raw, dict):
        raise ScenarioError(source, "scenario", f"expected a table of scenario keys, got "
                            f"{describe(raw)}", ", ".join(TOP_KEYS))
    raw = plain(raw, source)
    v = _Validator(source)
    v.keys(raw, "", TOP_KEYS)
    fmt = v.typed(raw, "format", int, 1)
    if fmt != 1:
        v.fail("format", f"unknown format {shown(fmt)}", "1")
    name = v.text(raw, "name", _default_name(source), single_line=True)
    policy = v.choice(raw, "policy", POLICIES, TOP_DEFAULTS["policy"])
    bugs = v.bugs(raw, policy)
    vmcs12 = v.section(raw, "vmcs12", VMCS12_DEFAULTS)
    l1 = v.section(raw, "l1", L1_DEFAULTS)
    l2 = v.section(raw, "l2", L2_DEFAULTS)
    for level, cfg, extra in (("l1", l1, L1_ONLY_INSTRUCTIONS), ("l2", l2, ())):
        for stream in ("program", "exit_handler", "irq_handler", "nmi_handler"):
            if stream in cfg:
                v.program(f"{level}.{stream}", cfg[stream], INSTRUCTIONS + extra)
    if l2["idt_fault"] not in IDT_FAULTS:
        v.fail("l2.idt_fault", f"unknown value {shown(l2['idt_fault'])}", ", ".join(IDT_FAULTS))
    settle = v.count(raw, "settle", TOP_DEFAULTS["settle"], 0, limits.MAX_SETTLE)
    max_steps = v.count(raw, "max_steps", TOP_DEFAULTS["max_steps"], 1, limits.MAX_STEPS)
    items = v.typed(raw, "interrupt", list, [])
    if len(items) > limits.MAX_INTERRUPTS:
        v.fail("interrupt", f"{len(items)} interrupts", f"up to {limits.MAX_INTERRUPTS}")
    interrupts = tuple(v.interrupt(i, item, l1, max_steps) for i, item in enumerate(items))
    for i, irq in enumerate(interrupts):
        if irq.type == "nmi" and irq.to == "L1" and policy != "kvm-modern":
            v.fail(f"interrupt[{i}].type", "an NMI for L1 is modelled under kvm-modern only, "
                   f"not under {policy!r} (its nested NMI path is not part of this model)",
                   'policy = "kvm-modern"')
    return Scenario(
        name=name, policy=policy, bugs=bugs, vmcs12=vmcs12, l1=l1, l2=l2,
        interrupts=interrupts, settle=settle, max_steps=max_steps,
        description=v.text(raw, "description", ""), explain=v.text(raw, "explain", ""),
        source=source, raw=raw)


def _default_name(source: str) -> str:
    # A file's name may hold bytes that are not UTF-8 (a surrogate escape in Python).
    stem = Path(str(source)).stem.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return "".join(c if c.isprintable() else "?" for c in stem[:limits.MAX_NAME])


class _Validator:
    def __init__(self, source: str):
        self.source = source

    def fail(self, key: str, problem: str, allowed: str = ""):
        raise ScenarioError(self.source, key, problem, allowed)

    def keys(self, table: dict, prefix: str, allowed) -> None:
        for key in table:
            if key not in allowed:
                named = key if key.isprintable() and len(key) <= limits.SHOWN else shown(key)
                self.fail(prefix + named, "unknown key", ", ".join(allowed))

    def typed(self, table: dict, key: str, want: type, default, prefix: str = ""):
        value = table.get(key, default)
        # bool is an int in Python; a scenario's `true` must not pass for a count.
        if not isinstance(value, want) or (want is int and isinstance(value, bool)):
            if value is None:
                self.fail(prefix + key, "missing", f"{kind(want)}")
            self.fail(prefix + key, f"expected {kind(want)}, got {describe(value)}",
                      limits.EXAMPLES.get(want, ""))
        return value

    def count(self, table: dict, key: str, default: int, low: int, high: int) -> int:
        value = self.typed(table, key, int, default)
        if not low <= value <= high:
            self.fail(key, f"{shown(value)} is out of range", f"{low}..{high}")
        return value

    def choice(self, table: dict, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.typed(table, key, str, default)
        if value not in choices:
            self.fail(key, f"unknown {key} {shown(value)}", ", ".join(choices))
        return value

    def text(self, table: dict, key: str, default: str, single_line: bool = False) -> str:
        value = self.typed(table, key, str, default)
        if single_line and len(value) > limits.MAX_NAME:
            self.fail(key, f"{len(value)} characters", f"up to {limits.MAX_NAME}")
        # Control characters would reach the terminal that prints the name or explanation.
        bad = next((c for c in value if not c.isprintable()
                    and (single_line or c not in "\n\t")), None)
        if bad is not None:
            self.fail(key, f"contains the control character {bad!r}",
                      "printable text" + ("" if single_line else ", newlines and tabs"))
        return value

    def bugs(self, raw: dict, policy: str) -> tuple[str, ...]:
        bugs = self.typed(raw, "bugs", list, [])
        for i, bug in enumerate(bugs):
            if not isinstance(bug, str) or bug not in BUGS:
                self.fail(f"bugs[{i}]", f"unknown bug {shown(bug)}", ", ".join(BUGS))
            if bug in bugs[:i]:
                self.fail(f"bugs[{i}]", f"{bug!r} is listed twice", "each bug once")
            if policy not in BUGS[bug].policies:
                self.fail(f"bugs[{i}]", f"{bug!r} cannot be expressed under policy {policy!r}: "
                          f"{BUGS[bug].refusal}", "policies " + ", ".join(BUGS[bug].policies))
        return tuple(bugs)

    def section(self, raw: dict, name: str, defaults: dict) -> dict:
        table = raw.get(name, {})
        if not isinstance(table, dict):
            self.fail(name, f"expected a table, got {describe(table)}",
                      f"[{name}] with keys " + ", ".join(defaults))
        self.keys(table, name + ".", defaults)
        return {k: self.typed(table, k, type(d), d, name + ".") for k, d in defaults.items()}

    def program(self, key: str, program: list, allowed: tuple[str, ...]) -> None:
        if not program and key.endswith("program"):
            self.fail(key, "a program needs at least one instruction", ", ".join(allowed))
        if len(program) > limits.MAX_PROGRAM:
            self.fail(key, f"{len(program)} instructions", f"up to {limits.MAX_PROGRAM}")
        for i, instr in enumerate(program):
            if not isinstance(instr, str) or instr not in allowed:
                self.fail(f"{key}[{i}]", f"unknown instruction {shown(instr)}",
                          ", ".join(allowed))

    def interrupt(self, i: int, item: object, l1: dict, max_steps: int) -> Interrupt:
        key = f"interrupt[{i}]"
        if not isinstance(item, dict):
            self.fail(key, f"expected a table, got {describe(item)}",
                      "[[interrupt]] with " + ", ".join(INTERRUPT_KEYS))
        self.keys(item, key + ".", INTERRUPT_KEYS)
        for required in ("to", "at"):
            if required not in item:
                self.fail(f"{key}.{required}", "missing", ", ".join(INTERRUPT_KEYS))
        kind_ = self.typed(item, "type", str, "external", key + ".")
        if kind_ not in TYPES:
            self.fail(f"{key}.type", f"unknown type {shown(kind_)}", ", ".join(TYPES))
        if kind_ == "external" and "vector" not in item:
            self.fail(f"{key}.vector", "missing", "0x20..0xff for an external interrupt")
        vector = self.typed(item, "vector", int, 2, key + ".")
        if kind_ == "external" and not 0x20 <= vector <= 0xFF:
            self.fail(f"{key}.vector", "bad vector " + (f"{vector:#x}" if abs(vector) < 2**64
                                                        else shown(vector)),
                      "0x20..0xff for external interrupts (0..0x1f are exceptions)")
        if kind_ == "nmi" and vector != 2:
            self.fail(f"{key}.vector", "an NMI always uses vector 2", "2, or leave it out")
        to = self.typed(item, "to", str, None, key + ".")
        if to not in TARGETS:
            self.fail(f"{key}.to", f"unknown target {shown(to)}", "L1, L2")
        at = self._trigger(f"{key}.at", self.typed(item, "at", str, None, key + "."), l1,
                           max_steps)
        return Interrupt(vector=vector, to=to, at=at, type=kind_)

    def _trigger(self, key: str, text: str, l1: dict, max_steps: int) -> Trigger:
        m = TRIGGER_RE.match(text)
        if not m:
            self.fail(key, f"bad trigger {shown(text)}", TRIGGER_FORMS)
        digits = (m.group(2) or m.group(4) or "1").lstrip("0") or "0"
        # Every count a trigger waits for takes at least one step of the run.
        if len(digits) > len(str(max_steps)) or int(digits) > max_steps:
            self.fail(key, f"trigger {shown(text)} can never fire: a run ends after max_steps "
                      f"({max_steps}) steps", "a count up to max_steps")
        l1_code = l1["program"] + l1["exit_handler"] + l1["irq_handler"] + l1["nmi_handler"]
        if m.group(1):
            trig = Trigger(m.group(1), int(digits))
            if trig.count < 1:
                self.fail(key, f"trigger {text!r} counts from 1", TRIGGER_FORMS)
            if trig.level == "L2" and "vmlaunch" not in l1["program"]:
                self.fail(key, f"trigger {text!r} can never fire: L1's program never executes "
                          "vmlaunch, so L2 never runs", "add vmlaunch to l1.program")
            return trig
        instr, k = m.group(3), int(digits)
        if k < 1:
            self.fail(key, f"trigger {text!r} counts from 1", TRIGGER_FORMS)
        if instr not in l1_code:
            self.fail(key, f"trigger {text!r} can never fire: L1 never executes {instr}",
                      f"add {instr} to L1's program or exit_handler")
        return Trigger("L1", k, instr)
