"""The mapping from a run's trace to the sequence diagram's traces."""

from __future__ import annotations

import dataclasses
from collections import Counter

import plotly.graph_objects as go
import pytest

import nvmxlab
from nvmxlab.trace import Event, Kind
from nvmxlab.views import sequence_figure
from nvmxlab.views.classify import classify
from nvmxlab.views.explain import KIND_NAMES, title
from nvmxlab.views.figure import WIDGET_TRACES, LiveFigure, new_figure
from nvmxlab.views.paging import PAGE_MARGIN, page
from nvmxlab.views.sequence import MARK_TRACES, MAX_EVENTS, TRACE_INDEX, build
from nvmxlab.views.style import CATEGORIES, CATEGORY, GREY, LIGHT_GREY, OKABE_ITO, lane_y

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
    drawn = Counter(pid for n in MARK_TRACES for pid in fig.data[TRACE_INDEX[n]].ids)
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


def labels_of(data, category: str) -> list[str]:
    trace = data.traces["labelled"]
    return [t for t, c in zip(trace["text"], trace["category"], strict=True) if c == category]


def test_idt_deliveries_are_labelled_with_their_vector(seed_data):
    assert "IDT 0x30" in labels_of(seed_data, "deliver")
    assert "IDT 0x30" in new_figure(seed_data).data[TRACE_INDEX["labelled"]].text


def test_sti_and_eoi_are_labelled_marks(seed_data):
    assert {"STI", "EOI"} <= set(labels_of(seed_data, "key_instr"))


def test_each_mark_has_its_categorys_symbol_colour_and_size(seed_data):
    for name in MARK_TRACES:
        t = seed_data.traces[name]
        for key, symbol, color, size in zip(t["category"], t["marker.symbol"],
                                            t["marker.color"], t["marker.size"], strict=True):
            c = CATEGORY[key]
            assert (symbol, color, size) == (c.symbol, c.color, c.size)


def test_later_categories_are_drawn_over_earlier_ones(seed_data):
    order = [c.key for c in CATEGORIES]
    for name in MARK_TRACES:
        ranks = [order.index(k) for k in seed_data.traces[name]["category"]]
        assert ranks == sorted(ranks)


def test_hover_shows_the_full_step_name_why_and_fields(seed_runs, seed_data):
    fig = new_figure(seed_data)
    exit_ = next(e for e in seed_runs["nested"].events
                 if e.kind == "vmexit" and e.data["reason"] == "EXTERNAL_INTERRUPT")
    trace = fig.data[TRACE_INDEX["labelled"]]
    text = trace.hovertext[list(trace.ids).index(f"nested:{exit_.seq}")]
    assert "EXTERNAL_INTERRUPT" in text
    assert "external-interrupt exiting" in text  # the why
    assert "vmcs: vmcs02" in text and "from: L2" in text


def test_every_kind_of_step_has_a_name_for_the_step_title():
    assert sorted(set(Kind) - set(KIND_NAMES)) == []


def test_an_nmi_becoming_pending_is_titled_by_its_kind_name():
    e = Event(3, "HW", Kind.NMI, "NMI", "NMI pending on the NMI pin")
    assert title("bare", e) == "bare metal · step 3 · HW · NMI pending"


def test_an_event_kind_the_views_do_not_know_is_still_drawn(seed_runs):
    nested = seed_runs["nested"]
    novel = Event(len(nested.events), "L0", "brand_new_kind", "future_kvm_function", "why")
    result = dataclasses.replace(nested, events=(*nested.events, novel))
    points = mark_points(new_figure(build({"nested": result})))
    assert points[f"nested:{novel.seq}"][2] == CATEGORY["step"].symbol


def test_colours_are_okabe_ito_or_neutral_grey():
    allowed = set(OKABE_ITO.values()) | {GREY, LIGHT_GREY}
    assert {c.color for c in CATEGORIES} <= allowed


def test_each_category_has_its_own_symbol_so_colour_is_never_the_only_cue():
    symbols = [c.symbol for c in CATEGORIES]
    assert len(set(symbols)) == len(symbols)


def test_the_figure_is_valid_plotly(seed_data):
    go.Figure(new_figure(seed_data).to_dict())  # validates every property


def test_a_new_run_is_one_message_that_redraws_traces_only(seed_data, seed_runs):
    live = LiveFigure(seed_data, "nested", 0)
    sent, replots = [], []
    live.widget._send_animate_msg = lambda **msg: sent.append(msg)
    live.widget._send_update_msg = lambda *a, **k: replots.append(1)
    live.show_run(build({"nested": seed_runs["nested"]}), "nested", 3)
    assert len(sent) == 1 and not replots
    assert sent[0]["relayout_data"] == {}  # the axes never move
    assert sent[0]["animation_opts"]["frame"]["redraw"] is False


def test_a_step_within_the_page_redraws_the_cursor_only(seed_data):
    live = LiveFigure(seed_data, "nested", 20)
    sent = []
    live.widget._send_animate_msg = lambda **msg: sent.append(msg)
    live.show_step(seed_data, "nested", 21)
    moved = {TRACE_INDEX[n] for n in ("titles", "veil", "cursor", "focus")}
    assert len(sent) == 1 and set(sent[0]["trace_indexes"]) == moved


def test_a_step_past_the_edge_of_the_view_turns_the_page(seed_data):
    live = LiveFigure(seed_data, "nested", 0)
    left = live.left
    last = len(seed_data.worlds["nested"].events) - 1
    live.show_step(seed_data, "nested", last)
    assert live.left > left
    x, _ = seed_data.worlds["nested"].position(last)
    assert live.left <= x <= live.left + seed_data.view_width
    assert list(live.widget.layout.xaxis.range) == [0.0, seed_data.view_width]


def test_traces_are_created_once_and_never_added(seed_data, seed_runs):
    live = LiveFigure(seed_data, "nested", 0)
    count = len(live.widget.data)
    for step in range(0, 40, 7):
        live.show_step(seed_data, "nested", step)
    live.show_run(build({"bare": seed_runs["bare"]}), "bare", 0)
    assert len(live.widget.data) == count == len(WIDGET_TRACES)


def test_a_page_keeps_exactly_the_points_and_segments_that_reach_into_it(seed_data):
    low, high = 10.0, 30.0
    paged = page(seed_data.traces, low, high)
    for name in MARK_TRACES:
        xs = seed_data.traces[name]["x"]
        assert paged[name]["x"] == [x for x in xs if low <= x <= high]
        assert len(paged[name]["hovertext"]) == len(paged[name]["x"])
    arrows = paged["arrow:exit"]["x"]
    segments = [arrows[k:k + 2] for k in range(0, len(arrows), 3)]
    assert segments and all(low <= x <= high for x, _ in segments)  # arrows are upright
    bars = seed_data.traces["running"]["x"]
    reaching = [bars[k:k + 2] for k in range(0, len(bars), 3)
                if bars[k] <= high and bars[k + 1] >= low]
    assert [paged["running"]["x"][k:k + 2] for k in range(0, len(paged["running"]["x"]), 3)
            ] == reaching
    assert paged["panels"] == seed_data.traces["panels"]


def test_the_lab_draws_the_mark_of_every_step_it_shows(seed_data):
    live = LiveFigure(seed_data, "nested", 0)
    marks = [live.widget.data[TRACE_INDEX[n]] for n in MARK_TRACES]
    for index in range(len(seed_data.worlds["nested"].events)):
        live.show_step(seed_data, "nested", index)
        focus = live.widget.data[TRACE_INDEX["focus"]]
        drawn = {(x, y) for t in marks for x, y in zip(t.x, t.y, strict=True)}
        assert (focus.x[0], focus.y[0]) in drawn


def test_the_lab_draws_only_the_page_it_shows(seed_data):
    live = LiveFigure(seed_data, "nested", 0)
    xs = [x for n in MARK_TRACES for x in live.widget.data[TRACE_INDEX[n]].x]
    assert xs and all(-PAGE_MARGIN <= x <= seed_data.view_width + PAGE_MARGIN for x in xs)
    assert len(xs) < sum(len(seed_data.traces[n]["x"]) for n in MARK_TRACES)


def test_the_lab_figure_leaves_the_legend_to_html(seed_data):
    live = LiveFigure(seed_data, "nested", 0)
    assert live.widget.layout.showlegend is False
    assert [t.name for t in live.widget.data] == [t.name for t in new_figure(seed_data).data[
        :len(WIDGET_TRACES)]]  # the same traces at the same indexes, less the legend's
    assert all(not name.startswith("legend:") for name in WIDGET_TRACES)


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
    assert f"first {MAX_EVENTS}" in fig.data[TRACE_INDEX["titles"]].text[-1]


@pytest.mark.parametrize("name", ["seed-interrupt", "nmi-window", "ack-on-exit-refused"])
def test_every_label_is_in_a_trace_that_draws_text(name):
    fig = sequence_figure(name)
    for trace_name in MARK_TRACES:
        trace = fig.data[TRACE_INDEX[trace_name]]
        if any(trace.text or ()):
            assert "text" in trace.mode, trace_name


def test_l1s_exit_handler_shows_if_0_on_its_lane_until_sti(seed_data):
    # The heart of the seed case: a VM exit leaves L1 with IF = 0, so the interrupt waits for
    # STI and L0 opens a window. The diagram draws it on L1's lane, in both worlds.
    trace = seed_data.traces["if_off"]
    for world in ("nested", "bare"):
        wt = seed_data.worlds[world]
        handler = [i for i, s in enumerate(wt.states) if s.label == "L1 exit handler, IF = 0"]
        assert handler, world
        assert all(wt.states[i].interrupts_off for i in handler)
        y = lane_y(world, "L1")
        spans = [(trace["x"][k], trace["x"][k + 1]) for k in range(0, len(trace["x"]), 3)
                 if trace["y"][k] == y]
        assert any(a <= wt.x[handler[0]] <= b for a, b in spans), world
    sti = next(i for i, e in enumerate(seed_data.worlds["bare"].events)
               if e.level == "L1" and e.kind == "retire" and e.name == "sti")
    assert not seed_data.worlds["bare"].states[sti].interrupts_off


def test_every_trace_is_drawn_once_and_the_cursor_beneath_the_marks_and_ticks():
    from nvmxlab.views.sequence import CURSOR_TRACES, DATA_TRACES, LEGEND_TRACES, TRACE_NAMES

    assert sorted(TRACE_NAMES) == sorted({*DATA_TRACES, *CURSOR_TRACES, *LEGEND_TRACES})
    cursor = TRACE_INDEX["cursor"]
    assert all(TRACE_INDEX[n] > cursor for n in (*MARK_TRACES, "ticks", "titles"))
    assert all(TRACE_INDEX[n] < cursor for n in DATA_TRACES
               if n not in (*MARK_TRACES, "ticks"))
