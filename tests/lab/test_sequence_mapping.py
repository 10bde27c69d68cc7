"""The mapping from a run's trace to the sequence diagram's traces."""

from __future__ import annotations

import dataclasses
from collections import Counter

import plotly.graph_objects as go
import pytest

import nvmxlab
from nvmxlab.trace import Event
from nvmxlab.views import sequence_figure
from nvmxlab.views.classify import classify
from nvmxlab.views.figure import apply, new_figure, show_step
from nvmxlab.views.sequence import MAX_EVENTS, TRACE_INDEX, TRACE_NAMES, build
from nvmxlab.views.style import CATEGORIES, GREY, LIGHT_GREY, OKABE_ITO, lane_y

from .conftest import mark_points


def arrows(fig, category: str) -> list[tuple[float, float, float]]:
    """(x, from y, to y) of each arrow of a category."""
    trace = fig.data[TRACE_INDEX[f"arrow:{category}"]]
    xs, ys = list(trace.x), list(trace.y)
    return [(xs[i], ys[i], ys[i + 1]) for i in range(0, len(xs), 3)]


@pytest.mark.parametrize("name", nvmxlab.bundled())
def test_every_event_of_both_worlds_is_drawn_exactly_once(name):
    runs = nvmxlab.check(nvmxlab.resolve(name))
    fig = sequence_figure(runs)
    drawn = Counter(pid for t, n in zip(fig.data, TRACE_NAMES, strict=True)
                    if n.startswith("mark:") for pid in t.ids)
    expected = {f"{world}:{e.seq}" for world, r in (("nested", runs.nested),
                                                     ("bare", runs.bare)) for e in r.events}
    assert set(drawn) == expected
    assert max(drawn.values()) == 1


def test_each_mark_sits_on_its_levels_lane_in_its_worlds_panel(seed_runs, seed_data):
    points = mark_points(new_figure(seed_data))
    for world, result in seed_runs.items():
        for e in result.events:
            x, y, _ = points[f"{world}:{e.seq}"]
            assert y == lane_y(world, classify(e).lane), e


def test_marks_of_steps_without_a_transition_sit_on_the_lane_of_their_own_level(seed_runs,
                                                                             seed_data):
    points = mark_points(new_figure(seed_data))
    for e in seed_runs["nested"].events:
        if e.kind in ("retire", "kvm", "request", "loop", "deliver"):
            assert points[f"nested:{e.seq}"][1] == lane_y("nested", e.level), e


def test_time_flows_left_to_right_in_trace_order_within_each_world(seed_runs, seed_data):
    points = mark_points(new_figure(seed_data))
    for world, result in seed_runs.items():
        xs = [points[f"{world}:{e.seq}"][0] for e in result.events]
        assert all(a < b for a, b in zip(xs, xs[1:], strict=False)), world


def test_the_kth_guest_instruction_has_the_same_x_in_both_worlds(seed_runs, seed_data):
    def guest_instruction_xs(world):
        wt = seed_data.worlds[world]
        return [x for e, x in zip(wt.events, wt.x, strict=True)
                if e.kind == "retire" and e.level in ("L1", "L2")]

    nested, bare = guest_instruction_xs("nested"), guest_instruction_xs("bare")
    assert nested[:len(bare)] == bare[:len(nested)]


def test_extra_l0_work_leaves_a_gap_on_the_bare_metal_side(seed_data):
    # Nested L0 steps take room on the shared axis that bare metal leaves empty.
    assert seed_data.worlds["bare"].x[-1] > len(seed_data.worlds["bare"].events)


def test_a_hardware_exit_from_l2_points_down_to_its_handler(seed_data):
    fig = new_figure(seed_data)
    exits = {(round(top), round(bottom)) for _, top, bottom in arrows(fig, "exit")}
    assert (lane_y("nested", "L2"), lane_y("nested", "L0")) in exits  # L0 handles it nested
    assert (lane_y("bare", "L2"), lane_y("bare", "L1")) in exits  # L1 handles it on bare metal


def test_an_exit_l0_emulates_is_a_dashed_arrow_from_l2_to_l1(seed_data):
    fig = new_figure(seed_data)
    emulated = arrows(fig, "exit_emulated")
    assert emulated
    assert {(a, b) for _, a, b in emulated} == {(lane_y("nested", "L2"),
                                                lane_y("nested", "L1"))}
    assert fig.data[TRACE_INDEX["arrow:exit_emulated"]].line.dash == "dash"


def test_an_injection_arrow_points_at_the_level_it_injects_into(seed_data):
    fig = new_figure(seed_data)
    # The seed case: L0 injects 0x30 into L1 through vmcs01 once L1 opened its window.
    assert (lane_y("nested", "L0"), lane_y("nested", "L1")) in {
        (a, b) for _, a, b in arrows(fig, "inject")}


def test_idt_deliveries_are_labelled_with_their_vector(seed_data):
    fig = new_figure(seed_data)
    assert "IDT 0x30" in fig.data[TRACE_INDEX["mark:deliver"]].text


def test_sti_and_eoi_are_labelled_marks(seed_data):
    labels = set(new_figure(seed_data).data[TRACE_INDEX["mark:key_instr"]].text)
    assert {"STI", "EOI"} <= labels


def test_hover_shows_the_full_step_name_why_and_fields(seed_runs, seed_data):
    fig = new_figure(seed_data)
    exit_ = next(e for e in seed_runs["nested"].events
                 if e.kind == "vmexit" and e.data["reason"] == "EXTERNAL_INTERRUPT")
    trace = fig.data[TRACE_INDEX["mark:exit"]]
    text = trace.hovertext[list(trace.ids).index(f"nested:{exit_.seq}")]
    assert "EXTERNAL_INTERRUPT" in text
    assert "external-interrupt exiting" in text  # the why
    assert "vmcs: vmcs02" in text and "from: L2" in text


def test_an_event_kind_the_views_do_not_know_is_still_drawn(seed_runs):
    nested = seed_runs["nested"]
    novel = Event(len(nested.events), "L0", "brand_new_kind", "future_kvm_function", "why")
    result = dataclasses.replace(nested, events=(*nested.events, novel))
    points = mark_points(new_figure(build({"nested": result})))
    assert points[f"nested:{novel.seq}"][2] == "mark:step"


def test_colours_are_okabe_ito_or_neutral_grey():
    allowed = set(OKABE_ITO.values()) | {GREY, LIGHT_GREY}
    assert {c.color for c in CATEGORIES} <= allowed


def test_each_category_has_its_own_symbol_so_colour_is_never_the_only_cue():
    symbols = [c.symbol for c in CATEGORIES]
    assert len(set(symbols)) == len(symbols)


def test_the_figure_is_valid_plotly(seed_data):
    go.Figure(new_figure(seed_data).to_dict())  # validates every property


def test_a_new_run_is_one_update_message_and_a_step_is_one(seed_data, seed_runs):
    fig = new_figure(seed_data, widget=True)
    sent = []
    fig._send_update_msg = lambda *a, **k: sent.append(1)
    apply(fig, build({"nested": seed_runs["nested"]}), "nested", 3)
    assert len(sent) == 1
    show_step(fig, seed_data, "nested", 10)
    assert len(sent) == 2


def test_traces_are_created_once_and_never_added(seed_data, seed_runs):
    fig = new_figure(seed_data, widget=True)
    count = len(fig.data)
    for step in range(0, 40, 7):
        show_step(fig, seed_data, "nested", step)
    apply(fig, build({"bare": seed_runs["bare"]}), "bare", 0)
    assert len(fig.data) == count == len(TRACE_NAMES)


def test_the_cursor_marks_the_current_step(seed_data):
    fig = new_figure(seed_data, "nested", 16)
    focus = fig.data[TRACE_INDEX["focus"]]
    assert (focus.x[0], focus.y[0]) == seed_data.worlds["nested"].position(16)


def test_a_run_longer_than_the_drawing_limit_is_cut_and_says_so(seed):
    long = seed.with_overrides({"settle": MAX_EVENTS})
    result = nvmxlab.run(long)
    assert len(result.events) > MAX_EVENTS
    fig = sequence_figure(result)
    assert len(mark_points(fig)) == MAX_EVENTS
    assert f"first {MAX_EVENTS}" in fig.layout.annotations[-1].text


@pytest.mark.parametrize("name", ["seed-interrupt", "nmi-window", "ack-on-exit-refused"])
def test_every_label_is_in_a_trace_that_draws_text(name):
    fig = sequence_figure(name)
    for trace, trace_name in zip(fig.data, TRACE_NAMES, strict=True):
        if trace_name.startswith("mark:") and any(trace.text):
            assert "text" in trace.mode, trace_name
