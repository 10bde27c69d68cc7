"""The cost model: exact counts, adjustable cycle figures, and the designs' differences."""

import pytest

import nvmxlab
from nvmxlab import costs
from nvmxlab.cli import main


def rows(name):
    return {r["policy"]: r for r in costs.compare_policies(nvmxlab.load_bundled(name))}


def test_the_svm_shape_costs_one_loop_iteration_that_enters_no_guest():
    r = rows("seed-interrupt")
    assert r["kvm-2011-svm"]["counts"]["idle_iterations"] == 1
    assert r["kvm-2011-vmx"]["counts"]["idle_iterations"] == 0
    assert (r["kvm-2011-svm"]["counts"]["loop_iterations"]
            == r["kvm-2011-vmx"]["counts"]["loop_iterations"] + 1)


def test_all_designs_show_l1_the_same_number_of_exits():
    r = rows("seed-interrupt")
    assert {r[p]["counts"]["l1_exits"] for p in r} == {3}


def test_without_shadow_vmcs_every_l1_vmcs_access_is_an_exit():
    r = rows("seed-interrupt")
    model = costs.DEFAULT
    trapped = r["kvm-2011-vmx"]["counts"]["trapped_vmcs_accesses"]
    assert trapped == 3 * model.l1_vmcs_accesses_per_exit
    assert r["kvm-modern"]["counts"]["trapped_vmcs_accesses"] == 0
    assert r["kvm-2011-vmx"]["l0_exits_per_l1_exit"] > r["kvm-modern"]["l0_exits_per_l1_exit"]


def test_bare_metal_is_cheapest():
    r = rows("seed-interrupt")
    assert r["bare"]["total_cycles"] < min(r[p]["total_cycles"] for p in r if p != "bare")


def test_cycles_follow_the_model():
    result = nvmxlab.run(nvmxlab.load_bundled("seed-interrupt"), "bare")
    base = costs.estimate(result)
    dearer = costs.estimate(result, costs.DEFAULT.with_(vm_exit=costs.DEFAULT.vm_exit + 100))
    assert dearer["total_cycles"] - base["total_cycles"] == 100 * base["counts"]["vm_exits"]


def test_an_unknown_cost_is_refused_with_the_names():
    with pytest.raises(ValueError, match="vm_exit"):
        costs.DEFAULT.with_(vmexit=1)


def test_cost_command_prints_a_row_per_world(capsys):
    assert main(["cost", "seed-interrupt", "--cost", "vm_exit=800"]) == 0
    out = capsys.readouterr().out
    for world in ("bare", "kvm-2011-vmx", "kvm-2011-svm", "kvm-modern"):
        assert world in out


def test_cost_command_reports_refused_policies(capsys):
    assert main(["cost", "nmi-exiting"]) == 0
    assert "refused" in capsys.readouterr().out
