"""Scenario files (TOML, format 1): parsing and strict validation.

A scenario describes an experiment; the engine, not the file, decides what happens.
"""

from __future__ import annotations

import copy
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .bugs import BUGS, POLICIES

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
TOP_DEFAULTS = {"policy": "kvm-2011-vmx", "bugs": [], "settle": 8, "max_steps": 200_000}
TOP_KEYS = ("format", "name", "description", "explain", "policy", "bugs", "settle", "max_steps",
            "vmcs12", "l1", "l2", "interrupt")
INTERRUPT_KEYS = ("vector", "to", "at", "type")
TRIGGER_RE = re.compile(r"^(L1|L2):(\d+)$|^L1:(vmlaunch|vmresume)(?::(\d+))?$")


class ScenarioError(ValueError):
    """A bad scenario: names the file, the key and what is allowed."""

    def __init__(self, source: str, key: str, problem: str, allowed: str = ""):
        self.source, self.key, self.problem, self.allowed = source, key, problem, allowed
        msg = f"{source}: {key}: {problem}"
        if allowed:
            msg += f" (allowed: {allowed})"
        super().__init__(msg)


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

    def with_overrides(self, overrides: dict[str, object]) -> Scenario:
        """The same scenario with dotted keys replaced, validated like a file:
        e.g. {"vmcs12.ack_interrupt_on_exit": True}."""
        raw = copy.deepcopy(self.raw)
        for dotted, value in overrides.items():
            node = raw
            *parents, last = dotted.split(".")
            for part in parents:
                if part not in ("vmcs12", "l1", "l2"):
                    raise ScenarioError(self.source, dotted, "cannot set this key",
                                        "top-level keys, vmcs12.*, l1.*, l2.*")
                node = node.setdefault(part, {})
            node[last] = value
        return from_dict(raw, self.source)

    def to_dict(self) -> dict:
        return copy.deepcopy(self.raw)


def load(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(str(path), "file", "no such file") from None
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(str(path), "file", f"not valid TOML: {e}") from None
    return from_dict(raw, str(path))


def loads(text: str, source: str = "<string>") -> Scenario:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(source, "file", f"not valid TOML: {e}") from None
    return from_dict(raw, source)


def parse_value(text: str) -> object:
    """A --set value: a TOML value (true, 0x30, ["nop"]) or else a bare string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def from_dict(raw: dict, source: str = "<dict>") -> Scenario:
    raw = copy.deepcopy(raw)
    v = _Validator(source)
    v.keys(raw, "", TOP_KEYS)
    if raw.get("format", 1) != 1:
        raise ScenarioError(source, "format", f"unknown format {raw['format']!r}", "1")
    name = v.typed(raw, "name", str, Path(source).stem)
    policy = v.typed(raw, "policy", str, TOP_DEFAULTS["policy"])
    if policy not in POLICIES:
        raise ScenarioError(source, "policy", f"unknown policy {policy!r}", ", ".join(POLICIES))
    bugs = tuple(v.typed(raw, "bugs", list, []))
    for i, bug in enumerate(bugs):
        if bug not in BUGS:
            raise ScenarioError(source, f"bugs[{i}]", f"unknown bug {bug!r}", ", ".join(BUGS))
        if policy not in BUGS[bug].policies:
            raise ScenarioError(
                source, f"bugs[{i}]",
                f"{bug!r} cannot be expressed under policy {policy!r}: {BUGS[bug].refusal}",
                "policies " + ", ".join(BUGS[bug].policies))
    vmcs12 = v.section(raw, "vmcs12", VMCS12_DEFAULTS)
    l1 = v.section(raw, "l1", L1_DEFAULTS)
    l2 = v.section(raw, "l2", L2_DEFAULTS)
    for level, cfg, extra in (("l1", l1, L1_ONLY_INSTRUCTIONS), ("l2", l2, ())):
        for stream in ("program", "exit_handler", "irq_handler", "nmi_handler"):
            if stream in cfg:
                v.program(f"{level}.{stream}", cfg[stream], INSTRUCTIONS + extra)
    if l2["idt_fault"] not in IDT_FAULTS:
        raise ScenarioError(source, "l2.idt_fault", f"unknown value {l2['idt_fault']!r}",
                            ", ".join(IDT_FAULTS))
    interrupts = tuple(v.interrupt(i, item, l1) for i, item in
                       enumerate(v.typed(raw, "interrupt", list, [])))
    for i, irq in enumerate(interrupts):
        if irq.type == "nmi" and irq.to == "L1" and policy != "kvm-modern":
            raise ScenarioError(source, f"interrupt[{i}].type", "an NMI for L1 is modelled "
                                f"under kvm-modern only, not under {policy!r} (its nested NMI "
                                "path is not part of this model)", 'policy = "kvm-modern"')
    settle = v.typed(raw, "settle", int, TOP_DEFAULTS["settle"])
    max_steps = v.typed(raw, "max_steps", int, TOP_DEFAULTS["max_steps"])
    if settle < 0 or max_steps < 1:
        raise ScenarioError(source, "settle/max_steps", "must be positive",
                            "settle >= 0, max_steps >= 1")
    return Scenario(
        name=name, policy=policy, bugs=bugs, vmcs12=vmcs12, l1=l1, l2=l2,
        interrupts=interrupts, settle=settle, max_steps=max_steps,
        description=v.typed(raw, "description", str, ""), explain=v.typed(raw, "explain", str, ""),
        source=source, raw=raw)


class _Validator:
    def __init__(self, source: str):
        self.source = source

    def fail(self, key: str, problem: str, allowed: str = ""):
        raise ScenarioError(self.source, key, problem, allowed)

    def keys(self, table: dict, prefix: str, allowed) -> None:
        for key in table:
            if key not in allowed:
                self.fail(prefix + key, "unknown key", ", ".join(allowed))

    def typed(self, table: dict, key: str, kind: type, default, prefix: str = ""):
        value = table.get(key, default)
        # bool is an int in Python; a scenario's `true` must not pass for a count.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.fail(prefix + key, f"expected {kind.__name__}, got {type(value).__name__} "
                      f"{value!r}")
        return value

    def section(self, raw: dict, name: str, defaults: dict) -> dict:
        table = raw.get(name, {})
        if not isinstance(table, dict):
            self.fail(name, "expected a table", f"[{name}] with keys " + ", ".join(defaults))
        self.keys(table, name + ".", defaults)
        return {k: self.typed(table, k, type(d), d, name + ".") for k, d in defaults.items()}

    def program(self, key: str, program: list, allowed: tuple[str, ...]) -> None:
        if not program and key.endswith("program"):
            self.fail(key, "a program needs at least one instruction", ", ".join(allowed))
        for i, instr in enumerate(program):
            if instr not in allowed:
                self.fail(f"{key}[{i}]", f"unknown instruction {instr!r}", ", ".join(allowed))

    def interrupt(self, i: int, item: dict, l1: dict) -> Interrupt:
        key = f"interrupt[{i}]"
        if not isinstance(item, dict):
            self.fail(key, "expected a table", "[[interrupt]] with " + ", ".join(INTERRUPT_KEYS))
        self.keys(item, key + ".", INTERRUPT_KEYS)
        for required in ("to", "at"):
            if required not in item:
                self.fail(f"{key}.{required}", "missing", ", ".join(INTERRUPT_KEYS))
        kind = self.typed(item, "type", str, "external", key + ".")
        if kind not in TYPES:
            self.fail(f"{key}.type", f"unknown type {kind!r}", ", ".join(TYPES))
        vector = self.typed(item, "vector", int, 2 if kind == "nmi" else None, key + ".")
        if kind == "external" and not 0x20 <= vector <= 0xFF:
            self.fail(f"{key}.vector", f"bad vector {vector:#x}",
                      "0x20..0xff for external interrupts (0..0x1f are exceptions)")
        if kind == "nmi" and vector != 2:
            self.fail(f"{key}.vector", "an NMI always uses vector 2", "2, or leave it out")
        to = self.typed(item, "to", str, None, key + ".")
        if to not in TARGETS:
            self.fail(f"{key}.to", f"unknown target {to!r}", "L1, L2")
        at = self._trigger(f"{key}.at", self.typed(item, "at", str, None, key + "."), l1)
        return Interrupt(vector=vector, to=to, at=at, type=kind)

    def _trigger(self, key: str, text: str, l1: dict) -> Trigger:
        m = TRIGGER_RE.match(text)
        allowed = '"L1:N", "L2:N" (N >= 1), "L1:vmlaunch", "L1:vmresume", "L1:vmresume:K"'
        if not m:
            self.fail(key, f"bad trigger {text!r}", allowed)
        l1_code = l1["program"] + l1["exit_handler"] + l1["irq_handler"] + l1["nmi_handler"]
        if m.group(1):
            trig = Trigger(m.group(1), int(m.group(2)))
            if trig.count < 1:
                self.fail(key, f"trigger {text!r} counts from 1", allowed)
            if trig.level == "L2" and "vmlaunch" not in l1["program"]:
                self.fail(key, f"trigger {text!r} can never fire: L1's program never executes "
                          "vmlaunch, so L2 never runs", "add vmlaunch to l1.program")
            return trig
        instr, k = m.group(3), int(m.group(4) or 1)
        if k < 1:
            self.fail(key, f"trigger {text!r} counts from 1", allowed)
        if instr not in l1_code:
            self.fail(key, f"trigger {text!r} can never fire: L1 never executes {instr}",
                      f"add {instr} to L1's program or exit_handler")
        return Trigger("L1", k, instr)
