"""The state graph: states replayed from the trace, edges weighted by how often they were taken."""

from __future__ import annotations

import html

import pytest

import nvmxlab
from nvmxlab.views import state_graph_figure
from nvmxlab.views.stategraph import GRAPH_TRACES, ROWS, highlight, state_graph
from nvmxlab.views.states import L1_BLOCKING, L2_BLOCKED, step_states

WORLDS = ("bare", "nested")


def test_the_seed_run_passes_through_l1s_exit_handler_with_if_0_and_the_window_open(seed_runs):
    labels = {s.label for s in step_states(seed_runs["nested"])}
    assert "L1 exit handler, IF = 0 · window open" in labels
    assert "L0 handles an exit from L2" in labels
    assert "L2 runs" in labels


def test_bare_metal_has_no_l0_states(seed_runs):
    assert not any(s.running == "L0" for s in step_states(seed_runs["bare"]))


def test_there_is_one_state_per_step(seed_runs):
    assert len(step_states(seed_runs["nested"])) == len(seed_runs["nested"].events)


def test_edge_weights_count_every_change_of_state(seed_runs):
    states = step_states(seed_runs["nested"])
    graph = state_graph(states)
    changes = sum(1 for a, b in zip(states, states[1:], strict=False) if a.label != b.label)
    assert sum(graph.edges.values()) == changes


def test_states_are_laid_out_in_rows_by_the_level_that_runs(seed_runs):
    graph = state_graph(step_states(seed_runs["nested"]))
    for node, (_, y) in graph.positions.items():
        assert y == ROWS[graph.levels[node]]


def test_no_two_states_share_a_position(seed_runs):
    graph = state_graph(step_states(seed_runs["nested"]))
    assert len(set(graph.positions.values())) == len(graph.nodes)


def test_the_highlight_is_the_state_after_the_current_step(seed_runs):
    graph = state_graph(step_states(seed_runs["nested"]))
    for step in (0, 16, 30, len(graph.path) - 1):
        here = highlight(graph, step)["here"]
        assert (here["x"][0], here["y"][0]) == graph.positions[graph.path[step]]


def test_the_lab_moves_the_graphs_highlight_with_the_step(lab):
    here = GRAPH_TRACES.index("here")
    lab.show_step(30)
    graph = lab.snapshot.graphs["nested"]
    assert (lab.graph.data[here].x[0], lab.graph.data[here].y[0]) == \
        graph.positions[graph.path[30]]


def test_a_figure_of_the_graph_draws_every_state(seed):
    fig = state_graph_figure(nvmxlab.run(seed))
    nodes = fig.data[GRAPH_TRACES.index("nodes")]
    assert len(nodes.x) == len(state_graph(step_states(nvmxlab.run(seed))).nodes)


@pytest.fixture(scope="module")
def blocking_runs() -> dict[str, nvmxlab.Result]:
    """L1 keeps L2's vCPU blocked after its intercepted HLT, in both worlds."""
    scenario = nvmxlab.resolve("l2-halt-intercepted")
    return {world: nvmxlab.run(scenario, world, record_states=True) for world in WORLDS}


@pytest.mark.parametrize("world", WORLDS)
def test_while_l1_keeps_l2s_vcpu_blocked_the_graph_has_l1_states_saying_so(blocking_runs, world):
    graph = state_graph(step_states(blocking_runs[world]))
    blocked = {n for n in graph.nodes if L2_BLOCKED in n}
    assert {L1_BLOCKING, f"L1 IRQ handler · {L2_BLOCKED}"} <= blocked
    assert {graph.levels[n] for n in blocked} == {"L1"}


@pytest.mark.parametrize("world", WORLDS)
def test_an_l1_state_names_l2s_vcpu_blocked_exactly_while_l1_keeps_it_halted(blocking_runs,
                                                                            world):
    r = blocking_runs[world]
    for vcpu, step in zip(r.states, step_states(r), strict=True):
        if vcpu.running == "L1":
            assert (L2_BLOCKED in step.label) == vcpu.l2_halted_by_l1, step.label


def test_bare_metal_ends_with_l1_halted_and_l2s_vcpu_blocked(blocking_runs):
    assert step_states(blocking_runs["bare"])[-1].label == f"L1 halted · {L2_BLOCKED}"


def test_the_step_text_says_l2s_vcpu_is_blocked_while_l1_idles_for_it():
    from nvmxlab.widgets import Lab

    lab = Lab("l2-halt-intercepted")
    try:
        states = lab.snapshot.sequence.worlds[lab.state.world].states
        lab.show_step(next(i for i, s in enumerate(states) if s.label == L1_BLOCKING))
        assert f"vCPU state now: <b>{html.escape(L1_BLOCKING)}</b>" in lab.step_text.value
    finally:
        lab.close()
