"""The command line: `nvmxlab run | check | list | explain | exercise`.

Exit status: 0 fine (for check: L1's and L2's views match bare metal), 1 a difference or a
violated invariant, 2 a bad scenario file or bad usage.  Errors are one or two lines on
stderr; --debug shows the traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys

from . import formats
from .bugs import BUGS, POLICIES
from .engine import MODES, check, run
from .limits import shown
from .scenario import ScenarioError, parse_value
from .scenarios import bundled, load_bundled, resolve


class UsageError(Exception):
    pass


# What the last command made: its result or comparison.  The process that runs one command
# ends without freeing it (__main__.console): freeing a long run's trace object by object
# took 35 ms of `nvmxlab run` at 3,000 interrupts, a twentieth of its time.
made: list = []


class Parser(argparse.ArgumentParser):
    """argparse, with its errors in two lines (not the usage block) and the values it
    repeats shortened."""

    def error(self, message: str):
        message = re.sub(r"'[^']{60,}'", lambda m: shown(m.group()[1:-1]), message)
        self.exit(2, f"{self.prog}: error: {message}\n  see '{self.prog} --help'\n")


def main(argv: list[str] | None = None) -> int:
    made.clear()
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        # Reported by the command's own parser, whose message points at its own --help
        # (`nvmxlab check --help` lists what check takes; `nvmxlab --help` does not).
        parser.commands[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return args.func(args)
    except (ScenarioError, UsageError, ValueError) as e:
        if getattr(args, "debug", False):
            raise
        print(f"nvmxlab: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="nvmxlab", description="Nested VMX interrupt injection: "
                                "run, compare and explain scenarios.")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    r = sub.add_parser("run", help="run a scenario in one world")
    _scenario_args(r)
    r.add_argument("--mode", choices=MODES, default="nested")
    r.add_argument("--format", choices=("text", "json", "kvm-trace"), default="text")
    r.add_argument("--explain", action="store_true", help="print the scenario's explanation")
    r.set_defaults(func=cmd_run)

    c = sub.add_parser("check", help="run nested and on bare metal, and compare")
    _scenario_args(c)
    c.add_argument("--format", choices=("text", "json"), default="text")
    c.set_defaults(func=cmd_check)

    co = sub.add_parser("cost", help="estimated cost on bare metal and under each policy")
    _scenario_args(co)
    co.add_argument("--cost", action="append", default=[], metavar="NAME=CYCLES",
                    help="change one cost of the model, e.g. vm_exit=800")
    co.add_argument("--format", choices=("text", "json"), default="text")
    co.set_defaults(func=cmd_cost)

    ls = sub.add_parser("list", help="list the bundled scenarios")
    ls.set_defaults(func=cmd_list)

    ex = sub.add_parser("explain", help="print a bundled scenario's explanation")
    ex.add_argument("scenario")
    ex.set_defaults(func=cmd_explain)

    e = sub.add_parser("exercise", help="print a generated exercise (with --solve, its answer)")
    e.add_argument("name", nargs="?", help="the exercise; none lists them")
    e.add_argument("--seed", "-s", type=_seed, default=0)
    e.add_argument("--solve", "-c", action="store_true", help="show the worked answer")
    e.set_defaults(func=cmd_exercise)
    p.commands = {"run": r, "check": c, "cost": co, "list": ls, "explain": ex, "exercise": e}
    for sp in p.commands.values():
        # SUPPRESS: a --debug before the command must not be reset by the subcommand's default.
        sp.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show tracebacks")
    return p


def _seed(text: str) -> int:
    # int() also reads '١٢' and '1_000'; a seed is what a learner types from a slide.
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise argparse.ArgumentTypeError(f"{shown(text)}: expected 0..10**18, in digits")
    return int(text)


def _scenario_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="a TOML file, a bundled scenario's name, or a share "
                   "string (nvmx1:...)")
    p.add_argument("--policy", choices=POLICIES, help="override the scenario's policy")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override one key, e.g. vmcs12.ack_interrupt_on_exit=true")
    p.add_argument("--bug", action="append", default=[], choices=sorted(BUGS),
                   help="switch a teaching bug on (repeatable)")


def _load(args):
    scenario = resolve(args.scenario)
    overrides, labels = {}, {}
    for item in args.set:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--set {shown(item)}: expected KEY=VALUE, e.g. "
                             "vmcs12.ack_interrupt_on_exit=true")
        label = f"--set {key}"
        if key in overrides:
            raise UsageError(f"--set {shown(key)}: given twice (each key once)")
        overrides[key], labels[key] = parse_value(value.strip(), label), label
    for key, option, value in (("policy", "--policy", args.policy),
                               ("bugs", "--bug", args.bug and sorted(set(scenario.bugs)
                                                                     | set(args.bug)))):
        if value:
            if key in overrides:
                raise UsageError(f"{option} and --set {key} both given (one of them)")
            overrides[key], labels[key] = value, option
    return scenario.with_overrides(overrides, source=labels) if overrides else scenario


def cmd_run(args) -> int:
    scenario = _load(args)
    result = run(scenario, args.mode)
    made.append(result)
    if args.format == "json":
        formats.write_json(result, sys.stdout)
        print()
    elif args.format == "kvm-trace":
        print(formats.kvm_trace(result))
    else:
        print(formats.text(result, explain=args.explain))
    if result.status == "livelock":
        print(f"nvmxlab: livelock: {result.detail}\n  stuck in: {result.loop}", file=sys.stderr)
        return 1
    return 0 if result.ok else 1


def cmd_check(args) -> int:
    comparison = check(_load(args))
    made.append(comparison)
    if args.format == "json":
        formats.write_json(comparison, sys.stdout)
        print()
    else:
        print(formats.comparison_text(comparison))
    return 0 if comparison.ok else 1


def cmd_cost(args) -> int:
    # The cost model and the exercises are imported by their own commands alone: importing
    # them for every command made a fifth of the start-up of `nvmxlab run`.
    from . import costs

    changes = {}
    for item in args.cost:
        name, sep, value = item.partition("=")
        value = value.strip()
        # ASCII digits: str.isdigit() also takes '３' and '²'; 9 digits are plenty of cycles.
        if not sep or not (value.isascii() and value.isdigit() and len(value) <= 9):
            raise UsageError(f"--cost {shown(item)}: expected NAME=CYCLES, e.g. vm_exit=800 "
                             "(CYCLES: 0..999999999)")
        name = name.strip()
        known = [f.name for f in dataclasses.fields(costs.CostModel)]
        if name not in known:
            raise UsageError(f"--cost {shown(name)}: unknown cost (allowed: "
                             + ", ".join(known) + ")")
        changes[name] = int(value)
    model = costs.DEFAULT.with_(**changes)
    rows = costs.compare_policies(_load(args), model)
    if args.format == "json":
        print(json.dumps(rows, indent=1))
    else:
        print(costs.table(rows))
        print("\nestimated cycles use adjustable assumptions (nvmxlab/costs.py); counts are exact")
    return 0


def cmd_list(args) -> int:
    for name in bundled():
        s = load_bundled(name)
        print(f"{name:<34} {s.policy:<13} {s.name}")
    return 0


def cmd_explain(args) -> int:
    s = resolve(args.scenario)
    print(s.name)
    print()
    print("\n".join(formats.wrap(s.explain or s.description or "(no explanation)")))
    return 0


def cmd_exercise(args) -> int:
    from . import exercises  # imported by this command alone (see cmd_cost)

    return exercises.cli(args.name, args.seed, args.solve)


if __name__ == "__main__":
    sys.exit(main())
