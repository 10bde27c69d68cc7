"""Output without a kernel: a self-playing figure, standalone HTML, PNG."""

from __future__ import annotations

import builtins

import pytest

from nvmxlab.views import sequence_figure, static, static_figure, to_html, write_png
from nvmxlab.views.sequence import CURSOR_TRACES, TRACE_INDEX


def test_the_static_figure_has_a_frame_per_step_and_a_play_button(seed_runs):
    fig = static_figure(seed_runs)
    assert len(fig.frames) == len(seed_runs["nested"].events)
    assert fig.layout.updatemenus[0].buttons[0].method == "animate"
    assert len(fig.layout.sliders[0].steps) == len(fig.frames)


def test_frames_move_only_the_cursor(seed_runs):
    fig = static_figure(seed_runs)
    cursor = sorted(TRACE_INDEX[n] for n in CURSOR_TRACES)
    assert all(sorted(frame.traces) == cursor for frame in fig.frames)


def test_a_long_run_animates_every_kth_step_within_the_frame_limit(seed_runs):
    fig = static_figure(seed_runs, max_frames=10)
    assert len(fig.frames) <= 11
    assert fig.frames[-1].name == str(len(seed_runs["nested"].events) - 1)


def test_the_html_export_stands_alone(seed_runs, tmp_path):
    path = tmp_path / "seed.html"
    text = to_html(static_figure(seed_runs), path)
    assert path.read_text() == text
    assert "Plotly.newPlot" in text and "<script src=\"http" not in text


def test_a_png_without_kaleido_and_without_a_browser_says_what_is_missing(seed_runs, tmp_path,
                                                                        monkeypatch):
    real_import = builtins.__import__

    def no_kaleido(name, *args, **kwargs):
        if name == "kaleido":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_kaleido)
    monkeypatch.setattr(static, "find_browser", lambda: None)
    with pytest.raises(RuntimeError, match="kaleido .* or a Chromium"):
        write_png(sequence_figure(seed_runs), tmp_path / "x.png")


@pytest.mark.skipif(static.find_browser() is None, reason="no Chromium/Chrome on PATH")
def test_a_png_renders_through_headless_chromium(seed_runs, tmp_path):
    path = write_png(sequence_figure(seed_runs), tmp_path / "seed.png", width=900, height=600)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
