"""Programs read a trace step's kind, data and facts, never its words: no module of nvmxlab
compares or searches a step's `why` (prose for people), and only the modules that print it
touch it at all; no module compares a step's kind with a bare string or makes a step with
one.  Read from the source with `ast`, without importing anything."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from test_imports import modules

# The modules that print `why`, and what they print it in.
PRINTERS = {
    "nvmxlab.trace": "Event.to_json()",
    "nvmxlab.formats": "the text timeline",
    "nvmxlab.views.explain": "the hover text and the step's explanation",
    "nvmxlab.widgets.status": "the message of a failed VM entry",
    "nvmxlab.exercises.nested": "a worked solution quoting an exit's reason",
    "nvmxlab.exercises.core": "a Solution's own `why` paragraphs (not a step's)",
}


def _is_why(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "why"


def why_uses(tree: ast.AST) -> list[int]:
    """Lines that mention an attribute named `why`."""
    return sorted({n.lineno for n in ast.walk(tree) if _is_why(n)})


def why_reads(tree: ast.AST) -> list[int]:
    """Lines that take something out of a `why`: compare it, search it, slice it or call one of
    its methods (`"x" in e.why`, `e.why == ...`, `e.why.startswith(...)`, `e.why[:3]`)."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            lines |= {node.lineno for op in operands if any(map(_is_why, ast.walk(op)))}
        elif isinstance(node, ast.Attribute | ast.Subscript) and _is_why(node.value):
            lines.add(node.lineno)
    return sorted(lines)


def _is_kind(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "kind"


def _strings(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    return isinstance(node, ast.Tuple | ast.List | ast.Set) and any(map(_strings, node.elts))


def bare_kinds(tree: ast.AST) -> list[int]:
    """Lines that compare a step's `.kind` with a string literal, or make a step with one
    (`kind="apic"`, `trace.add(level, "apic", ...)`)."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(map(_is_kind, operands)) and any(map(_strings, operands)):
                lines.add(node.lineno)
        elif isinstance(node, ast.Call):
            if any(k.arg == "kind" and _strings(k.value) for k in node.keywords):
                lines.add(node.lineno)
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "add" and \
                    len(node.args) >= 2 and _strings(node.args[1]):
                lines.add(node.lineno)
    return sorted(lines)


@cache
def _tree(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"))


def test_only_the_modules_that_print_why_touch_it():
    touching = {name for name, path in modules().items() if why_uses(_tree(path))}
    assert sorted(touching - set(PRINTERS)) == []


def test_no_module_reads_a_fact_out_of_why():
    found = {name: why_reads(_tree(path)) for name, path in modules().items()}
    assert {name: lines for name, lines in found.items() if lines} == {}


def test_no_module_compares_a_kind_with_a_bare_string_or_makes_a_step_with_one():
    found = {name: bare_kinds(_tree(path)) for name, path in modules().items()}
    assert {name: lines for name, lines in found.items() if lines} == {}


def test_the_why_reader_finder_sees_a_search_a_comparison_and_a_method_call():
    source = ('a = "(merged)" in e.why\nb = e.why == "x"\nc = e.why.startswith("nmi ")\n'
              'd = e.why[:3]\ne = f"{e.why}"\nf = wrap(e.why)\nif e.why:\n    pass\n')
    assert why_reads(ast.parse(source)) == [1, 2, 3, 4]
    assert why_uses(ast.parse(source)) == [1, 2, 3, 4, 5, 6, 7]


def test_the_bare_kind_finder_sees_comparisons_and_steps_made_with_a_string():
    source = ('a = e.kind == "retire"\nb = e.kind in ("raise", "nmi")\n'
              'c = o["kind"] == "vmexit"\nd = e.kind == Kind.RETIRE\n'
              'self.step("f", "why", kind="apic")\nself.trace.add("L0", "kvm", "f")\n'
              'self.trace.add("L0", Kind.KVM, "f")\n')
    assert bare_kinds(ast.parse(source)) == [1, 2, 5, 6]


def test_every_printer_named_is_a_module_of_nvmxlab():
    assert sorted(set(PRINTERS) - set(modules())) == []
