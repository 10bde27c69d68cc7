"""Ways to print a result: a readable timeline, JSON, and `trace-cmd report` style.

All three are views of the same trace; none runs the engine again.
"""

from __future__ import annotations

import contextlib
import gc
import json
import textwrap
from collections.abc import Iterator
from typing import TextIO

from .checker import Comparison
from .observations import Observation, ObservedExit
from .result import Result
from .trace import Event, Fact, Kind

INDENT = {"HW": 0, "L0": 2, "L1": 4, "L2": 6}


# -- text ----------------------------------------------------------------------------------------
def text(result: Result, explain: bool = False) -> str:
    lines = [f"{result.scenario.name} — {result.mode}"
             + (f", policy {result.policy}" if result.mode == "nested" else "")
             + (f", bugs: {', '.join(result.scenario.bugs)}" if result.scenario.bugs else "")]
    if explain and result.scenario.explain:
        lines += ["", *wrap(result.scenario.explain), ""]
    lines.append(f"{'step':>5}  level")
    lines += timeline(result.events)
    lines += ["", f"run ended: {result.status}" + (f" — {result.detail}" if result.detail else "")]
    if result.loop:
        lines.append(f"stuck in: {result.loop}")
    lines += ["", "L1 saw:"] + [f"  {o.describe()}" + _where(o) for o in result.l1_view]
    lines += ["L2 saw:"] + [f"  {o.describe()}" for o in result.l2_view]
    lines += ["", "deliveries:"]
    for d in result.deliveries:
        where = f"delivered to {d.delivered_to} at step {d.delivered_seq}" if d.delivered \
            else "never delivered"
        times = f" ({len(d.delivered)} times)" if len(d.delivered) > 1 else ""
        lines.append(f"  0x{d.vector:02x} for {d.to}, raised at step {d.raised_seq} ({d.at}): "
                     f"{where}{times}")
    lines += ["", "violations:" if result.violations else "violations: none"]
    lines += [f"  {v}" for v in result.violations]
    lines += ["", "stats: " + ", ".join(f"{k} {v}" for k, v in result.stats.items())]
    return "\n".join(lines)


def _where(o: Observation) -> str:
    return f"  [after L2 retired {o.l2_retired}]" if isinstance(o, ObservedExit) else ""


def timeline(events) -> list[str]:
    """One line per step, indented by level; runs of plain instructions folded into one."""
    lines: list[str] = []
    run: list[Event] = []
    retired = {"L1": 0, "L2": 0}

    def flush():
        if run:
            first = run[0]
            names = " ".join(e.name for e in run)
            lines.append(f"{first.seq:>5}  {' ' * INDENT[first.level]}{first.level} runs: "
                         f"{names}  (retired {retired[first.level]})")
            run.clear()

    retire = Kind.RETIRE  # once, not at each step: an enum member's lookup is slow in 3.11
    for e in events:
        if e.kind == retire:
            if run and run[-1].level != e.level:
                flush()
            run.append(e)
            retired[e.level] += 1
            continue
        flush()
        lines.append(f"{e.seq:>5}  {' ' * INDENT[e.level]}{e.level} {e.name}"
                     + (f": {e.why}" if e.why else ""))
    flush()
    return lines


def wrap(text_: str, width: int = 96) -> list[str]:
    """textwrap's wrap: it breaks after a hyphen ("interruption-" / "information") and splits a
    word longer than the line, and the text outputs' golden files pin those breaks.  The hover
    text has its own greedy wrap (views.explain.wrap), which does neither, for speed."""
    return textwrap.wrap(" ".join(text_.split()), width)


def _raised_later(c: Comparison) -> str:
    """Which raise the delay's bare-metal run moved, for the listing's heading."""
    if c.delayed_reference is None:
        return ""
    moved = [("the NMI" if r.type == "nmi" else f"0x{r.vector:02x}") + f" raised at {r.at}"
             for r, o in
             zip(c.delayed_reference.deliveries, c.bare.deliveries, strict=False) if r.at != o.at]
    return f" ({', '.join(moved)}, where nested took it)"


def comparison_text(c: Comparison) -> str:
    s = c.nested.scenario
    lines = [f"{s.name} — nested under {c.nested.policy} vs bare metal"
             + (f" (bugs: {', '.join(s.bugs)})" if s.bugs else "")]
    lines.append("")
    ref = c.reference
    lines.append("L1's view, nested | bare metal" + _raised_later(c) + ":")
    n, b = c.nested.l1_view, ref.l1_view
    rows = [(n[i].describe() + _where(n[i]) if i < len(n) else "—",
             b[i].describe() + _where(b[i]) if i < len(b) else "—",
             "  " if i < len(n) and i < len(b) and n[i] == b[i] else "≠ ")
            for i in range(max(len(n), len(b)))]
    # The nested column as wide as its widest row, so that the bare-metal column lines up.
    width = max((len(left) for left, _, _ in rows), default=0)
    for left, right, mark in rows:
        lines.append(f"  {mark}{left:<{width}} | {right}")
    lines.append("")
    if c.ok:
        lines.append("MATCH: L1 and L2 see what they would see on bare metal.")
    else:
        lines.append("DIFFERENT:")
    lines += [f"  mismatch: {m}" for m in c.mismatches]
    own = c.nested_only_violations
    lines += [f"  violation{'' if v in own else ' (bare metal too)'}: {v}"
              for v in c.nested.violations]
    lines += [f"  delay (reported, not a failure): {d}" for d in c.delays]
    lines += [f"  {note}" for note in c.notes]
    st = c.nested.stats
    lines.append("")
    lines.append(f"cost: {st['l0_exits']} L0 exits for {st['l1_exits']} L1-visible exits, "
                 f"{st['loop_iterations']} vCPU loop iterations, {st['steps']} steps "
                 f"(bare metal: {c.bare.stats['steps']} steps)")
    return "\n".join(lines)


# -- JSON ----------------------------------------------------------------------------------------
# Any `indent` makes json use its pure-Python encoder, several times slower than the run it
# prints.  The layout is written here instead, the values encoded by the C encoder: one
# top-level field a line, each element of a list field a line (a trace step, an observation,
# a delivery).
_ENCODER = json.JSONEncoder()
_ENCODE = _ENCODER.encode


def _c_encoder(encode_str=json.encoder.encode_basestring_ascii):
    """CPython's C encoder, built once, with the arguments `JSONEncoder.iterencode` gives it
    (no indent, ", " and ": ", ASCII, no cycle check: a result is a tree), and `encode_str`
    for strings.  It returns a value's text in chunks.  None where there is no C accelerator."""
    make = getattr(json.encoder, "c_make_encoder", None)
    return make and make(None, _ENCODER.default, encode_str, None, ": ", ", ", False, False, True)


def _element_encoder():
    """One encoder for every list element.  `JSONEncoder.encode` builds a new C encoder on each
    call, which costs more than encoding one trace step; this builds CPython's once
    (_c_encoder).  Elsewhere (no C accelerator): `encode` itself."""
    chunks = _c_encoder()
    if chunks is None:
        return _ENCODE
    return lambda value: "".join(chunks(value, 0))


_ENCODE_ELEMENT = _element_encoder()
# Between two elements' lines of a list field.
LINE_BREAK = ",\n  "
# The trace is encoded and written this many steps at a time: a long run's document is tens
# of megabytes, and made whole - its lines, then their join, then its bytes - it costs the
# process a page fault for each 4 KiB of it, where the memory of a piece is reused by the next.
STEPS_A_PIECE = 2000


def to_json(obj: Result | Comparison) -> str:
    """The JSON document of a result or a comparison (fields: README, "JSON")."""
    with _collector_paused():
        return "".join(json_pieces(obj))


def write_json(obj: Result | Comparison, out: TextIO) -> None:
    """Write to_json(obj) to `out`, piece by piece (at most STEPS_A_PIECE steps of the trace
    at a time)."""
    with _collector_paused():
        for piece in json_pieces(obj):
            out.write(piece)


def json_pieces(obj: Result | Comparison) -> Iterator[str]:
    """to_json's document in the pieces that make it, in order."""
    result = obj if isinstance(obj, Result) else None
    doc = obj.to_json() if result is None else result.to_json(events=False)
    dicts = _Dicts()  # one string cache for the document's lists of dicts
    yield "{\n "
    for i, (key, value) in enumerate(doc.items()):
        if i:
            yield ",\n "
        if result is not None and key == "events":
            yield from _events_field(result.events, dicts)
        else:
            yield from _json_field(key, value, dicts)
    yield "\n}"


def _events_field(events, dicts: _Dicts) -> Iterator[str]:
    if not events:
        yield '"events": []'
        return
    yield '"events": [\n  '
    lines = _Lines(dicts)
    for start in range(0, len(events), STEPS_A_PIECE):
        if start:
            yield LINE_BREAK
        yield LINE_BREAK.join(lines(events[start:start + STEPS_A_PIECE]))
    yield "\n ]"


def _json_field(key: str, value, dicts: _Dicts) -> list[str]:
    if not isinstance(value, list):
        return [f"{_ENCODE(key)}: {_ENCODE(value)}"]
    if not value:
        return [f"{_ENCODE(key)}: []"]
    if all(type(v) is dict for v in value):
        # The views and the deliveries: tens of thousands of dicts in a long run.
        text = "{" + ("}" + LINE_BREAK + "{").join(dicts.inside(value)) + "}"
    else:
        text = LINE_BREAK.join(map(_ENCODE_ELEMENT, value))
    return [f"{_ENCODE(key)}: [\n  ", text, "\n ]"]


def event_lines(events) -> list[str]:
    """Each event as `json.dumps(event.to_json())` encodes it: the trace's lines, as the
    document holds them (for a reader of single steps, and the tests of the encoding)."""
    return _Lines(_Dicts())(events)


class _Strings(dict):
    """str -> its JSON text, made once each: the strings of a trace's data repeat ("vmcs",
    "vmcs02", an exit reason), and looking one up costs less than escaping it again."""

    def __missing__(self, text: str) -> str:
        encoded = self[text] = json.encoder.encode_basestring_ascii(text)
        return encoded


# Between two dicts encoded in one call, a None: "}, null, {" in the text.  It cannot start
# inside one boundary and end in the next ("}" and "{" appear in it once, at its ends), so
# every boundary is found; text inside a value can hold it too (a string, a list of dicts
# and None), and then the text falls into more pieces than there are dicts.
_CUT = "}, null, {"


class _Dicts:
    """Encodes lists of dicts, each list in one call of CPython's C encoder (a call costs more
    than encoding a trace step's data; _c_encoder), its strings looked up in one _Strings.
    Elsewhere (no C accelerator): one dict at a time."""

    def __init__(self):
        self._chunks = _c_encoder(_Strings().__getitem__)

    def inside(self, dicts: list[dict]) -> list[str]:
        """[_ENCODE_ELEMENT(d)[1:-1] for d in dicts]: each dict's fields, without braces.
        The list is encoded with None between the dicts and its text cut at _CUT; if a
        dict's text holds _CUT too, they are encoded one by one."""
        if self._chunks and dicts:
            mixed = [None] * (2 * len(dicts) - 1)
            mixed[::2] = dicts
            pieces = "".join(self._chunks(mixed, 0))[2:-2].split(_CUT)
            if len(pieces) == len(dicts):
                return pieces
        return [_ENCODE_ELEMENT(d)[1:-1] for d in dicts]


# The keys of Event.to_json() itself: an event whose data holds one takes the general path.
_EVENT_KEYS = frozenset(("seq", "level", "kind", "name", "why"))


class _LineParts(dict):
    """(level, kind, name, why) -> what a step's line holds after its seq: without data, all
    of it; with data, what comes before the data's fields and after them.  Made once each:
    a long trace has a few thousand distinct ones."""

    def __missing__(self, key: tuple[str, str, str, str]) -> tuple[str, str, str]:
        level, kind, name, why = key
        head = f', "level": {_ENCODE(level)}, "kind": {_ENCODE(kind)}, "name": {_ENCODE(name)}'
        tail = f', "why": {_ENCODE(why)}}}' if why else "}"
        parts = self[key] = (head + tail, head + ", ", tail)
        return parts


class _Lines:
    """Encodes steps as `json.dumps(event.to_json())` encodes each, without building that dict:
    what comes around `seq` and the data is encoded once for each (level, kind, name, why)
    (_LineParts), and the data of all steps of a call in one call of the C encoder (_Dicts).
    One instance for a trace keeps both for the next call."""

    def __init__(self, dicts: _Dicts):
        self._parts = _LineParts()
        self._dicts = dicts

    def __call__(self, events) -> list[str]:
        datas = [e.data for e in events if e.data]
        data_fields = iter(self._dicts.inside(datas)).__next__
        parts = self._parts
        lines = []
        for seq, level, kind, name, why, data, _, _ in events:
            whole, head, tail = parts[level, kind, name, why]
            lines.append(f'{{"seq": {seq}{head}{data_fields()}{tail}' if data
                         else f'{{"seq": {seq}{whole}')
        if not all(map(_EVENT_KEYS.isdisjoint, datas)):
            _merge_clashing(events, lines)
        return lines


def _merge_clashing(events, lines: list[str]) -> None:
    """The lines of steps whose data has a key of the step's own ("level"), as
    Event.to_json() merges them: the data's value in the step's field's place."""
    for i, e in enumerate(events):
        if e.data and not _EVENT_KEYS.isdisjoint(e.data):
            lines[i] = _ENCODE_ELEMENT(e.to_json())


@contextlib.contextmanager
def _collector_paused():
    """Pause the cyclic garbage collector: the document is made of many small objects while the
    run's hundreds of thousands of containers are alive, and a collection would only rescan
    them (the engine pauses it for a run for the same reason)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# -- trace-cmd report ----------------------------------------------------------------------------
# The task that hits the tracepoints: QEMU's vCPU thread, named "CPU <n>/KVM" by QEMU, as
# `trace-cmd report` prints it (comm-pid).
COMM = "CPU 0/KVM-4242"
INTR_TYPE_CODE = {"external": 0, "nmi": 2}


def intr_info_word(info: dict | None) -> int:
    """Encode an interruption-information field (SDM 25.8.3): valid | type << 8 | vector."""
    if not info:
        return 0
    return 0x80000000 | INTR_TYPE_CODE.get(info["type"], 0) << 8 | info["vector"]


def kvm_trace(result: Result) -> str:
    """The nested run as `trace-cmd report` would print KVM's tracepoints (arch/x86/kvm/trace.h).

    Timestamps are synthetic: one microsecond per model step.  RIPs are stand-ins."""
    if result.mode != "nested":
        raise ValueError("kvm-trace shows L0's tracepoints: only a nested run has them "
                         "(use --mode nested)")
    out = [f"# nvmxlab {result.scenario.name}: policy {result.policy}; timestamps are "
           "synthetic (1 µs per model step)"]
    last_rip = 0
    guest_mode = False
    vmentry = Kind.VMENTRY  # once, not at each step: an enum member's lookup is slow in 3.11
    for e in result.events:
        line = _tracepoint(e, last_rip, guest_mode)
        if e.data and "rip" in e.data:
            last_rip = e.data["rip"]
        if e.kind == vmentry:
            guest_mode = e.data["vmcs"] == "vmcs02"
        for text_ in line:
            out.append(f"{COMM:>24} [000] {100 + e.seq * 1e-6:.6f}: {text_}")
    return "\n".join(out)


def _tracepoint(e: Event, last_rip: int, guest_mode: bool) -> list[str]:
    tracepoints = _TRACEPOINTS.get(e.kind)
    return tracepoints(e, e.data or {}, last_rip) if tracepoints else []


def _entry(e: Event, d: dict, last_rip: int) -> list[str]:
    if e.level != "L0":
        return []
    # trace.h since December 2024 (Maxim Levitsky, "KVM: x86: Add interrupt injection
    # information to the kvm_entry tracepoint"): the VM-entry interruption information,
    # and "[immediate exit]" when KVM forces one (force_immediate_exit).
    immediate = "[immediate exit]" if d.get("immediate_exit") else ""
    return [f"kvm_entry: vcpu 0, rip 0x{d['rip']:x} intr_info "
            f"0x{intr_info_word(d.get('inject')):08x} error_code 0x{0:08x}{immediate}"]


def _exit(e: Event, d: dict, last_rip: int) -> list[str]:
    intr = intr_info_word(d.get("intr_info"))
    idt = intr_info_word(d.get("idt_vectoring"))
    text_ = (f"vcpu 0 reason {d['reason']} rip 0x{d['rip']:x} info1 0x{0:016x} "
             f"info2 0x{idt:016x} intr_info 0x{intr:08x} error_code 0x{0:08x}")
    lines = [f"kvm_exit: {text_}"]
    if d["vmcs"] == "vmcs02":
        lines.append(f"kvm_nested_vmexit: {text_}")
    return lines


def _nested_vmexit(e: Event, d: dict, last_rip: int) -> list[str]:
    return [f"kvm_nested_vmexit_inject: reason: {d['reason']} ext_inf1: 0x{0:016x} "
            f"ext_inf2: 0x{intr_info_word(d.get('idt_vectoring')):016x} "
            f"ext_int: 0x{intr_info_word(d.get('intr_info')):08x} "
            f"ext_int_err: 0x{0:08x}"]


def _nested_vmenter(e: Event, d: dict, last_rip: int) -> list[str]:
    return [f"kvm_nested_vmenter: rip: 0x{last_rip:016x} vmcs: 0x{0x12000:016x} "
            f"nested_rip: 0x{0xFFFFFFFF81000000:016x} int_ctl: 0x{0:08x} "
            f"event_inj: 0x{intr_info_word(d.get('inject')):08x} nested_ept=n "
            f"guest_cr3: 0x{0x1000:016x}"]


def _inject(e: Event, d: dict, last_rip: int) -> list[str]:
    if e.level != "L0":
        return []
    re = " [reinjected]" if Fact.REINJECTED in e.facts else ""
    return [f"kvm_inj_virq: IRQ 0x{d['vector']:x}{re}"]


def _apic(e: Event, d: dict, last_rip: int) -> list[str]:
    if e.name == "kvm_apic_set_irq":
        return [f"kvm_apic_accept_irq: apicid 0 vec {d['vector']} (Fixed|edge)"]
    if e.name == "EOI" and d.get("apic", "").startswith("L1's local APIC"):
        return ["kvm_msr: msr_write 80b = 0x0", f"kvm_eoi: apicid 0 vector {d['vector']}"]
    return []


def _window(e: Event, d: dict, last_rip: int) -> list[str]:
    if e.name == "nested_svm_intr":
        return [f"kvm_nested_intr_vmexit: rip: 0x{last_rip:016x}"]
    return []


def _kvm(e: Event, d: dict, last_rip: int) -> list[str]:
    if e.name == "nested_vmx_failValid":
        # CC(): trace_kvm_nested_vmenter_failed(#consistency_check, 0), printed "%s%s".
        return [f"kvm_nested_vmenter_failed: {d.get('check', '')}"]
    return []


# The tracepoints a step of each kind hits (a dict: one lookup a step, whatever its kind).
_TRACEPOINTS = {Kind.VMENTRY: _entry, Kind.VMEXIT: _exit, Kind.NESTED_VMEXIT: _nested_vmexit,
                Kind.NESTED_VMENTER: _nested_vmenter, Kind.INJECT: _inject, Kind.APIC: _apic,
                Kind.WINDOW: _window, Kind.KVM: _kvm}
