"""Engine speed: simulated steps per second, without and with recording the vCPU state
(`run(record_states=True)`, what the lab's views ask for), how time grows with scenario
length, the command line's rate with `--format json` (a fresh process: start-up, share-string
decode, run, JSON to /dev/null) against the engine alone (not recording) on the same scenario,
as this environment runs Python and with a bytecode cache, what the command line does besides
start-up and the run (decode, the result's views and invariants, JSON), and `import nvmxlab`
time - printed beside SimPy's raw timeout-event rate, measured in the same run, as a yardstick
for "a simple discrete-event core in pure Python".

    python benchmarks/bench_engine.py [--quick] [--cpu-time]

`--cpu-time`: time by the CPU time of this process (time.process_time) and of the command-line
processes it starts (getrusage of its children) instead of the wall clock - steadier on a
machine that other work loads, though it leaves out waiting for the disk and the pipe.

A benchmark, not a test: it prints numbers and ratios and never fails on a slow machine.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import nvmxlab
from nvmxlab import formats, share
from nvmxlab.limits import MAX_STEPS

QUICK = "--quick" in sys.argv
REPEAT = 1 if QUICK else 3
CPU_TIME = "--cpu-time" in sys.argv
clock = time.process_time if CPU_TIME else time.perf_counter


def child_clock() -> float:
    """The clock for the processes started here: their CPU time so far, or the wall clock."""
    if not CPU_TIME:
        return time.perf_counter()
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def long_scenario(n_interrupts: int, policy: str):
    """The seed case with `n_interrupts` interrupts for L1, one every ten L2 instructions."""
    raw = nvmxlab.load_bundled("seed-interrupt").to_dict()
    raw["policy"] = policy
    raw["interrupt"] = [{"vector": 0x30 + (i % 8) * 0x10, "to": "L1", "at": f"L2:{3 + 10 * i}"}
                        for i in range(n_interrupts)]
    raw["max_steps"] = MAX_STEPS  # the largest a scenario may ask for
    return nvmxlab.from_dict(raw, f"seed x{n_interrupts}")


def once(scenario, mode: str, record_states: bool = False) -> tuple[int, float]:
    """(steps, seconds) of one run."""
    t0 = clock()
    result = nvmxlab.run(scenario, mode, record_states=record_states)
    return result.stats["steps"], clock() - t0


def timed_run(scenario, mode: str) -> tuple[int, float]:
    """(steps, best time of REPEAT runs), not recording the vCPU state."""
    runs = [once(scenario, mode) for _ in range(REPEAT)]
    return runs[0][0], min(secs for _, secs in runs)


def timed_pair(scenario, mode: str) -> tuple[int, float, float]:
    """(steps, best time not recording, best time recording the vCPU state), REPEAT runs of
    each taken in turns, so that a drifting load weighs on both alike."""
    plain, recording = [], []
    for _ in range(REPEAT):
        steps, secs = once(scenario, mode)
        plain.append(secs)
        recording.append(once(scenario, mode, record_states=True)[1])
    return steps, min(plain), min(recording)


def marginal(points: list[tuple[int, int, float]]) -> float:
    """Steps per second between the two largest runs (start-up and set-up aside)."""
    (_, s1, t1), (_, s2, t2) = points[-2], points[-1]
    return (s2 - s1) / (t2 - t1)


def timed_cli_json(scenario, mode: str, env: dict | None = None) -> float:
    """Time of `nvmxlab run SCENARIO --mode MODE --format json > /dev/null`, best of REPEAT;
    the scenario goes in as a share string (as a learner would paste one).  `env`: the
    process's environment (None: this one's)."""
    cmd = [sys.executable, "-m", "nvmxlab", "run", share.encode(scenario), "--mode", mode,
           "--format", "json"]
    best = float("inf")
    for _ in range(REPEAT):
        t0 = child_clock()
        code = subprocess.run(cmd, stdout=subprocess.DEVNULL, env=env).returncode
        best = min(best, child_clock() - t0)
        if code not in (0, 1):
            raise RuntimeError(f"nvmxlab run exited with status {code}")
    return best


def cached_bytecode_env(cache: str) -> dict:
    """This environment with a bytecode cache in `cache` (filled by the first run), as a pip
    install of the package has one: PYTHONDONTWRITEBYTECODE, if set, compiles the sources
    at every start."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    subprocess.run([sys.executable, "-m", "nvmxlab", "run", "seed-interrupt", "--format",
                    "json"], stdout=subprocess.DEVNULL, env=env, check=True)
    return env


def command_line_parts(scenario, mode: str) -> dict[str, float]:
    """Seconds of what the command line does besides the run, in this process, after a run of
    `scenario`: decoding its share string, the result's views and invariants (read by the
    JSON and by `result.ok`), and the JSON (formats.write_json to /dev/null)."""
    text = share.encode(scenario)
    t0 = clock()
    share.decode(text)
    t1 = clock()
    result = nvmxlab.run(scenario, mode)
    t2 = clock()
    _ = result.l1_view, result.l2_view, result.ok
    t3 = clock()
    with open(os.devnull, "w") as out:
        formats.write_json(result, out)
    t4 = clock()
    return {"share decode": t1 - t0, "views and invariants": t3 - t2, "JSON": t4 - t3}


def timed_json(scenario, mode: str) -> float:
    """formats.to_json of one run's result, best of REPEAT."""
    result = nvmxlab.run(scenario, mode)
    best = float("inf")
    for _ in range(REPEAT):
        t0 = clock()
        formats.to_json(result)
        best = min(best, clock() - t0)
    return best


def simpy_rate(events: int = 300_000) -> float:
    """SimPy's raw rate: one process yielding `events` zero-delay timeouts."""
    import simpy

    def proc(env):
        for _ in range(events):
            yield env.timeout(1)

    env = simpy.Environment()
    env.process(proc(env))
    t0 = clock()
    env.run()
    return events / (clock() - t0)


def startup_times() -> tuple[float, float]:
    """Wall time of `nvmxlab run seed-interrupt --format json` (start-up, a 50-step run),
    best of REPEAT: as this environment runs Python, and with a bytecode cache (a fresh
    folder, filled by a first run) as a pip install of the package has - so that a run with
    PYTHONDONTWRITEBYTECODE set shows what compiling the sources at every start costs."""
    cmd = [sys.executable, "-m", "nvmxlab", "run", "seed-interrupt", "--format", "json"]

    def best(env=None) -> float:
        times = []
        for _ in range(REPEAT):
            t0 = child_clock()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, env=env, check=True)
            times.append(child_clock() - t0)
        return min(times)

    with tempfile.TemporaryDirectory() as cache:
        return best(), best(cached_bytecode_env(cache))


def import_time() -> float:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import nvmxlab"],
                         capture_output=True, text=True).stderr
    # The last line is the package itself: "import time: self | cumulative | name".
    last = [line for line in out.splitlines() if line.rstrip().endswith("nvmxlab")][-1]
    return int(last.split("|")[1]) / 1e6


def main() -> None:
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; times: "
          f"{'CPU time (--cpu-time)' if CPU_TIME else 'wall clock'}")
    yard = max(simpy_rate() for _ in range(REPEAT))
    print(f"SimPy yardstick: {yard:,.0f} timeout events/s")
    print(f"load average (1 min) at the start: {os.getloadavg()[0]:.2f}")
    print(f"import nvmxlab: {import_time() * 1000:.1f} ms")
    here, cached = startup_times()
    print(f"command line start-up (nvmxlab run seed-interrupt --format json): "
          f"{here * 1000:.1f} ms as run here (bytecode cache "
          f"{'off: PYTHONDONTWRITEBYTECODE' if sys.dont_write_bytecode else 'on'}), "
          f"{cached * 1000:.1f} ms with a bytecode cache")
    sizes = (10, 100, 1000) if QUICK else (10, 100, 1000, 3000)
    for mode, policy in (("bare", "kvm-2011-vmx"), ("nested", "kvm-2011-vmx"),
                         ("nested", "kvm-2011-svm"), ("nested", "kvm-modern")):
        label = "bare metal" if mode == "bare" else policy
        yard = max(simpy_rate() for _ in range(REPEAT))
        pairs = [(n, *timed_pair(long_scenario(n, policy), mode)) for n in sizes]
        points = [(n, steps, plain) for n, steps, plain, _ in pairs]
        recorded = [(n, steps, rec) for n, steps, _, rec in pairs]
        assert nvmxlab.run(long_scenario(10, policy), mode).status == "settled"
        print(f"\n{label}:  (engine alone, not recording | recording the vCPU state)")
        for n, steps, secs, rec in pairs:
            print(f"  {n:>5} interrupts: {steps:>9,} steps in {secs * 1000:8.1f} ms = "
                  f"{steps / secs:>9,.0f} steps/s | {rec * 1000:8.1f} ms = "
                  f"{steps / rec:>9,.0f} steps/s")
        (_, s1, _), (_, s2, _) = points[-2], points[-1]
        rate, rate_recording = marginal(points), marginal(recorded)
        # The yardstick again, right after: on a shared machine the load drifts.
        yard = (yard + max(simpy_rate() for _ in range(REPEAT))) / 2
        # Linearity from 100 interrupts up (the smallest run is dominated by set-up time).
        per_step = [secs / steps for n, steps, secs in points if n >= 100]
        growth = per_step[-1] / per_step[0]
        print(f"  marginal rate {rate:,.0f} steps/s = {rate / yard:.2f}x SimPy "
              f"({yard:,.0f} events/s around this measurement); "
              f"time per step at {sizes[-1]} interrupts is {growth:.2f}x that at 100 "
              f"({'linear' if growth < 1.5 else 'NOT linear'})")
        print(f"  recording the vCPU state: marginal rate {rate_recording:,.0f} steps/s = "
              f"{rate_recording / yard:.2f}x SimPy, {rate_recording / rate:.2f}x the engine "
              f"not recording")
        largest = points[-2:]
        cli = [timed_cli_json(long_scenario(n, policy), mode) for n, _, _ in largest]
        with tempfile.TemporaryDirectory() as cache:
            env = cached_bytecode_env(cache)
            cli_cached = [timed_cli_json(long_scenario(n, policy), mode, env)
                          for n, _, _ in largest]
        for (n, steps, secs), wall, cached in zip(largest, cli, cli_cached, strict=True):
            print(f"  command line, --format json, {n:>5} interrupts: {wall * 1000:8.1f} ms = "
                  f"{steps / wall:>9,.0f} steps/s = {secs / wall:.2f}x the engine alone, "
                  f"not recording (goal: at least 0.5x), {steps / wall / yard:.2f}x SimPy; "
                  f"with a bytecode cache {cached * 1000:.1f} ms = {secs / cached:.2f}x")
        cli_marginal = (s2 - s1) / (cli[1] - cli[0])
        encode = timed_json(long_scenario(sizes[-1], policy), mode)
        print(f"  command line marginal rate {cli_marginal:,.0f} steps/s = "
              f"{cli_marginal / rate:.2f}x the engine's (start-up aside); "
              f"formats.to_json alone {s2 / encode:,.0f} steps/s ({encode * 1000:.0f} ms)")
        parts = command_line_parts(long_scenario(sizes[-1], policy), mode)
        print(f"  the command line at {sizes[-1]} interrupts besides start-up and the run: "
              + ", ".join(f"{name} {secs * 1000:.1f} ms" for name, secs in parts.items()))
    med = statistics.median(timed_run(nvmxlab.load_bundled(n), "nested")[1]
                            for n in nvmxlab.bundled())
    print(f"\nbundled scenarios: median nested run {med * 1000:.2f} ms")


if __name__ == "__main__":
    main()
