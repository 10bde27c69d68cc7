"""The command line and its JSON: the contract of interfaces.md."""

import json

import pytest

from nvmxlab.cli import main


def run_cli(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_names_the_bundled_scenarios(capsys):
    code, out, _ = run_cli(capsys, "list")
    assert code == 0 and out.splitlines()[0].split()[0] in out
    assert "seed-interrupt" in out


def test_check_exits_0_when_l1_and_l2_match_bare_metal(capsys):
    code, out, _ = run_cli(capsys, "check", "seed-interrupt")
    assert code == 0 and "MATCH" in out


def test_check_exits_1_on_a_mismatch(capsys):
    code, out, _ = run_cli(capsys, "check", "at-vmlaunch")
    assert code == 1 and "mismatch" in out


def test_check_policy_override_fixes_the_2011_lateness(capsys):
    assert run_cli(capsys, "check", "at-vmlaunch", "--policy", "kvm-modern")[0] == 0


def test_set_overrides_one_key(capsys):
    code, out, _ = run_cli(capsys, "run", "seed-interrupt", "--format", "json",
                           "--set", "vmcs12.ack_interrupt_on_exit=true")
    assert json.loads(out)["l1_view"][0] == {"kind": "vmfail", "error": 7}


def test_bad_file_exits_2_with_one_line_on_stderr(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[l2]\nprogram = ["jump"]\n')
    code, out, err = run_cli(capsys, "run", str(bad))
    assert code == 2 and out == ""
    assert err.count("\n") <= 2 and "unknown instruction 'jump'" in err
    assert "Traceback" not in err


def test_missing_file_exits_2(capsys):
    code, _, err = run_cli(capsys, "run", "no-such-file.toml")
    assert code == 2 and "no such file" in err


def test_a_missing_file_names_the_other_kinds_of_scenario_argument(capsys):
    _, _, err = run_cli(capsys, "run", "no-such-file.toml")
    assert "bundled scenario's name" in err and "share string" in err


def test_a_misspelled_scenario_name_suggests_the_nearest(capsys):
    code, _, err = run_cli(capsys, "run", "seed-interupt")
    assert code == 2 and "no bundled scenario of that name (did you mean 'seed-interrupt'?)" in err


def test_an_unknown_option_points_at_the_commands_own_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["check", "seed-interrupt", "--mode", "bare"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "unrecognized arguments: --mode bare" in err
    assert "see 'nvmxlab check --help'" in err


def test_a_value_of_the_wrong_kind_shows_how_it_is_written(capsys):
    _, _, err = run_cli(capsys, "run", "seed-interrupt", "--set", "l2.program=nop,sti")
    assert "expected an array" in err and '["nop", "sti"]' in err


def test_check_lines_up_the_bare_metal_column(capsys):
    _, out, _ = run_cli(capsys, "check", "seed-interrupt")
    rows = [line for line in out.splitlines() if " | " in line and line.startswith("  ")]
    assert len(rows) > 3 and len({row.index(" | ") for row in rows}) == 1


def test_bad_set_syntax_exits_2(capsys):
    code, _, err = run_cli(capsys, "run", "seed-interrupt", "--set", "novalue")
    assert code == 2 and "KEY=VALUE" in err


def test_refused_bug_policy_pair_exits_2(capsys):
    code, _, err = run_cli(capsys, "check", "seed-interrupt", "--policy", "kvm-modern",
                           "--bug", "no-req-event-rearm")
    assert code == 2 and "cannot be expressed" in err


def test_debug_shows_the_traceback(capsys):
    from nvmxlab.scenario import ScenarioError
    with pytest.raises(ScenarioError):
        main(["--debug", "run", "no-such-file.toml"])


def test_json_output_has_the_documented_shape(capsys):
    code, out, _ = run_cli(capsys, "run", "seed-interrupt", "--format", "json")
    doc = json.loads(out)
    assert code == 0
    assert {"format", "scenario", "mode", "policy", "events", "l1_view", "l2_view",
            "deliveries", "violations", "stats"} <= set(doc)
    assert doc["format"] == 1 and doc["mode"] == "nested" and doc["policy"] == "kvm-2011-vmx"
    assert all({"seq", "level", "kind"} <= set(e) for e in doc["events"])
    assert [e["seq"] for e in doc["events"]] == list(range(len(doc["events"])))
    exit_ = doc["l1_view"][1]
    assert exit_ == {"kind": "vmexit", "reason": "EXTERNAL_INTERRUPT", "intr_info": None,
                     "idt_vectoring": None, "guest_activity_state": "active", "l2_retired": 3}
    assert doc["l1_view"][2] == {"kind": "irq", "vector": 48}
    d = doc["deliveries"][0]
    assert d["vector"] == 48 and d["to"] == "L1" and d["delivered_seq"] > d["raised_seq"]
    assert {"l0_exits", "l1_exits", "steps"} <= set(doc["stats"])


def test_bare_mode_json_has_the_same_views(capsys):
    _, nested, _ = run_cli(capsys, "run", "seed-interrupt", "--format", "json")
    _, bare, _ = run_cli(capsys, "run", "seed-interrupt", "--format", "json", "--mode", "bare")
    assert json.loads(nested)["l1_view"] == json.loads(bare)["l1_view"]
    assert json.loads(bare)["stats"]["l0_exits"] == 0


def test_kvm_trace_prints_kernel_tracepoints(capsys):
    code, out, _ = run_cli(capsys, "run", "seed-interrupt", "--format", "kvm-trace")
    assert code == 0
    for name in ("kvm_entry: vcpu 0, rip 0x", "kvm_exit: vcpu 0 reason EXTERNAL_INTERRUPT",
                 "kvm_nested_vmexit: vcpu 0 reason", "kvm_nested_vmexit_inject: reason: "
                 "EXTERNAL_INTERRUPT ext_inf1: 0x", "kvm_inj_virq: IRQ 0x30",
                 "kvm_nested_vmenter: rip: 0x", "kvm_apic_accept_irq: apicid 0 vec 48"):
        assert name in out, name


def test_kvm_trace_of_a_bare_run_is_refused(capsys):
    code, _, err = run_cli(capsys, "run", "seed-interrupt", "--format", "kvm-trace",
                           "--mode", "bare")
    assert code == 2 and "only a nested run" in err


def test_run_by_share_string(capsys):
    import nvmxlab
    from nvmxlab.share import encode
    text = encode(nvmxlab.load_bundled("seed-interrupt"))
    assert run_cli(capsys, "run", text)[0] == 0


def test_explain_prints_the_scenario_explanation(capsys):
    code, out, _ = run_cli(capsys, "explain", "seed-interrupt")
    assert code == 0 and "interrupt window" in out


def test_livelock_exits_1_and_names_the_loop(capsys):
    code, _, err = run_cli(capsys, "run", "bug-kick-without-req-event")
    assert code == 1 and "stuck in:" in err


def test_python_dash_m_works():
    import subprocess
    import sys
    p = subprocess.run([sys.executable, "-m", "nvmxlab", "list"], capture_output=True,
                       text=True)
    assert p.returncode == 0 and "seed-interrupt" in p.stdout


def test_run_does_not_import_what_only_other_commands_need():
    # The exercises and the cost model were a fifth of `nvmxlab run`'s start-up.
    import subprocess
    import sys
    code = ("import sys; from nvmxlab import cli; cli.main(['run', 'seed-interrupt']); "
            "print(sorted(m for m in sys.modules if m.startswith(('nvmxlab.exercises', "
            "'nvmxlab.costs'))))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.splitlines()[-1] == "[]"


def test_a_reader_that_stops_early_ends_the_command_quietly_with_its_status():
    # A document larger than a pipe holds, of which the reader takes 100 bytes (as
    # `| head -c 100` does), with the standard streams buffered (no PYTHONUNBUFFERED).
    import os
    import subprocess
    import sys

    import nvmxlab
    from nvmxlab import share
    raw = nvmxlab.load_bundled("seed-interrupt").to_dict()
    raw["interrupt"] = [{"vector": 0x30, "to": "L1", "at": f"L2:{3 + 10 * i}"}
                        for i in range(100)]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    p = subprocess.Popen([sys.executable, "-m", "nvmxlab", "run",
                          share.encode(nvmxlab.from_dict(raw)), "--format", "json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert len(p.stdout.read(100)) == 100
    p.stdout.close()
    err = p.stderr.read()
    assert p.wait() == 0 and err == b""
