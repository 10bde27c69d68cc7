"""Legible on a projector: no label prints over another, text is large and dark enough."""

from __future__ import annotations

import pytest

import nvmxlab
from nvmxlab.views import runs_of, state_graph_figure
from nvmxlab.views.figure import new_figure
from nvmxlab.views.labels import text_offset, text_px
from nvmxlab.views.paging import cursor
from nvmxlab.views.sequence import MARK_TRACES, build
from nvmxlab.views.stategraph import (
    LINE_PX,
    PLOT_WIDTH,
    ROW_PX,
    name_box,
    node_size,
    state_graph,
)
from nvmxlab.views.states import step_states
from nvmxlab.views.style import BARE_PANEL_ALPHA, CATEGORIES, CATEGORY, LABEL_SIZE, LABELLED

WIDTHS = (680, 1100)  # plot px: the lab in a 1280 x 720 window; a wide page


def drawn_labels(data, plot_px: float) -> list[tuple]:
    """(row, left px, right px, text) of every label the diagram draws."""
    scale = plot_px / data.view_width  # the x axis always spans view_width steps
    out = []
    for name in MARK_TRACES:
        trace = data.traces[name]
        for x, y, text, position, key in zip(trace["x"], trace["y"], trace["text"],
                                             trace["textposition"], trace["category"],
                                             strict=True):
            if not text:
                continue
            category = CATEGORY[key]
            side, align = position.split()
            width, offset, at = text_px(text, LABEL_SIZE), text_offset(category.size), x * scale
            left = {"center": at - width / 2, "right": at + offset,
                    "left": at - offset - width}[align]
            out.append(((y, side), left, left + width, text))
    return out


@pytest.mark.parametrize("plot_px", WIDTHS)
@pytest.mark.parametrize("name", nvmxlab.bundled())
def test_no_two_labels_of_the_sequence_diagram_overlap(name, plot_px):
    labels = sorted(drawn_labels(build(runs_of(name), plot_px), plot_px))
    for a, b in zip(labels, labels[1:], strict=False):
        if a[0] == b[0]:
            assert a[2] <= b[1], f"{a[3]!r} and {b[3]!r} overlap"


@pytest.mark.parametrize("name", ["seed-interrupt", "nmi-window", "pending-at-vmresume"])
def test_transitions_keep_their_labels_and_only_lesser_ones_give_way(name):
    data = build(runs_of(name), WIDTHS[0])
    asked = {f"{w}:{e.seq}": mark.label for w, wt in data.worlds.items()
             for e, mark in zip(wt.events, wt.marks, strict=True) if mark.label}
    for trace_name in MARK_TRACES:
        trace = data.traces[trace_name]
        for pid, text, hover, key in zip(trace["ids"], trace["text"], trace["hovertext"],
                                         trace["category"], strict=True):
            if pid in asked and not text:
                assert CATEGORY[key].label_rank < 2, asked[pid]
                assert hover, pid  # still there when pointed at
            elif pid in asked:
                assert text == asked[pid]


def test_labels_of_a_seed_run_stay_inside_the_x_axis(seed_runs):
    data = build(seed_runs, WIDTHS[1])
    scale = WIDTHS[1] / data.view_width
    for _, left, right, text in drawn_labels(data, WIDTHS[1]):
        assert left >= -1.0 * scale - 1e-6 and right <= (data.timeline.width + 0.5) * scale, text


def luminance(color: str) -> float:
    channels = [int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("category", [c for c in CATEGORIES if c.key in LABELLED],
                         ids=lambda c: c.key)
def test_label_text_has_at_least_aa_contrast_on_the_panels(category):
    shade = round(255 * (1 - BARE_PANEL_ALPHA))  # the panel's shade over the white plot
    panel = luminance(f"#{shade:02X}{shade:02X}{shade:02X}")
    assert (panel + 0.05) / (luminance(category.text_color) + 0.05) >= 4.5


def test_diagram_text_is_projector_sized(seed_data):
    fig = new_figure(seed_data)
    assert fig.layout.font.size >= 16
    sizes = [size for t in fig.data if t.mode and "text" in t.mode
             for size in (t.textfont.size if isinstance(t.textfont.size, tuple)
                          else (t.textfont.size,))]
    assert sizes and min(sizes) >= 14
    graph = state_graph_figure(seed_data.worlds["nested"].result)
    assert all(t.textfont.size >= 14 for t in graph.data if t.mode and "text" in t.mode)


def overlap(a, b, pad: float = 2.0) -> bool:
    """Do two boxes overlap once each loses `pad` px of its padding all round (the glyphs)?"""
    return (a[0] + pad < b[2] - pad and b[0] + pad < a[2] - pad
            and a[1] + pad < b[3] - pad and b[1] + pad < a[3] - pad)


def name_boxes(graph) -> list[tuple]:
    """The px box of every state's name."""
    boxes = []
    for node in graph.nodes:
        x, y = graph.positions[node]
        boxes.append(name_box(x, y, graph.sides[node], node_size(graph.visits[node]), node))
    return boxes


def count_boxes(graph) -> list[tuple]:
    counts = graph.traces["counts"]
    boxes = []
    for x, y, text in zip(counts["x"], counts["y"], counts["text"], strict=True):
        if text:
            half = (text_px(text, LABEL_SIZE) + 4) / 2
            boxes.append((x - half, y * ROW_PX - LINE_PX / 2, x + half, y * ROW_PX + LINE_PX / 2))
    return boxes


@pytest.mark.parametrize("name", nvmxlab.bundled())
def test_state_names_and_edge_counts_never_overlap(name):
    for world, result in runs_of(name).items():
        graph = state_graph(step_states(result))
        names, counts = name_boxes(graph), count_boxes(graph)
        for i, a in enumerate(names):
            assert not any(overlap(a, b) for b in names[i + 1:]), (world, graph.nodes[i])
        for i, a in enumerate(counts):
            assert not any(overlap(a, b) for b in names + counts[i + 1:]), world


def test_edges_taken_once_carry_no_count_but_keep_their_hover(seed_runs):
    graph = state_graph(step_states(seed_runs["nested"]))
    counts, heads = graph.traces["counts"], graph.traces["heads"]
    weights = [int(h.rsplit("taken ", 1)[1].rstrip("×")) for h in counts["hovertext"]]
    assert 1 in graph.edges.values()
    assert weights == sorted((n for n in graph.edges.values() if n > 1), reverse=True)
    assert counts["text"] == [f"{n}×" for n in weights]
    # Every edge, once-taken ones included, tells its count on its arrowhead's hover.
    told = [h for h in heads["hovertext"] if h]
    assert len(told) == len(graph.edges)
    assert sum(h.endswith(": taken 1×") for h in told) == list(graph.edges.values()).count(1)


def test_no_text_trace_holds_an_empty_text(seed_runs):
    # plotly.js drops an empty text's node and never fills it again on a later update.
    graph = state_graph(step_states(seed_runs["nested"]))
    assert "" not in graph.traces["counts"]["text"]
    assert "" not in graph.traces["names"]["text"]


@pytest.mark.parametrize("name", nvmxlab.bundled())
def test_every_bundled_graph_fits_the_lab_at_projector_size_without_squeezing(name):
    for result in runs_of(name).values():
        assert state_graph(step_states(result)).width == PLOT_WIDTH


@pytest.mark.parametrize("name", nvmxlab.bundled())
@pytest.mark.parametrize("plot_px", [620.0, 1100.0])
def test_no_text_trace_of_the_diagram_holds_an_empty_text(name, plot_px):
    # A label without room leaves the labelled trace for the marks trace; a title without text
    # is left out: plotly.js would never draw a text that a later update gave such a point.
    data = build(runs_of(name), plot_px)
    cursor_traces, _ = cursor(data, "nested", 0)
    for trace in ("labelled", "ticks"):
        assert "" not in data.traces[trace]["text"], trace
    assert "" not in cursor_traces["titles"]["text"]


def test_the_step_cursor_is_drawn_beneath_every_mark_and_text():
    # Drawn over them, its dotted line cuts "raise 0x30" and the panels' titles in two.
    from nvmxlab.views.sequence import TRACE_INDEX

    over = ("marks", "labelled", "ticks", "titles", "focus")
    assert all(TRACE_INDEX["cursor"] < TRACE_INDEX[name] for name in over)
    # What is still to come stays veiled, its marks too.
    assert TRACE_INDEX["veil"] > TRACE_INDEX["labelled"]
