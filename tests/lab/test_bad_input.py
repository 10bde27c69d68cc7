"""Bad input to the lab never raises into a notebook: the lab says what is wrong and keeps the
last good state (nvmxlab's contract for bad input, as the README states it)."""

from __future__ import annotations

import base64
import json
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nvmxlab
from nvmxlab import share
from nvmxlab.widgets import Lab


def _payload(obj: object) -> str:
    raw = zlib.compress(json.dumps(obj).encode(), 9)
    return share.PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(("argument", "named"), [
    ({"scenario": "no-such-scenario"}, "no-such-scenario"),
    ({"scenario": "nvmx1:not-a-share-string"}, "share string"),
    ({"scenario": 12}, "scenario"),
    ({"scenario": "seed-interrupt", "world": "weird"}, "world"),
    ({"scenario": "seed-interrupt", "step": -3}, "step"),
    ({"scenario": _payload({"s": []})}, "share string"),
])
def test_a_lab_that_cannot_open_shows_why_instead_of_raising(argument, named):
    lab = Lab(**argument)
    try:
        assert lab.error is not None and named in lab.error
        assert "cannot open" in lab.children[0].value
        assert named in lab.children[0].value
    finally:
        lab.close()


@pytest.mark.parametrize("pasted", [
    _payload({"s": []}),
    _payload({"s": {"name": "x"}, "m": "sideways"}),
    "nvmx1:" + "A" * 40,
    "just some words",
])
def test_a_bad_paste_leaves_the_lab_as_it_was_and_says_why(lab, pasted):
    before, step = lab.result, lab.step
    lab.paste_box.value = pasted
    assert lab.error is not None and "share" in lab.error
    assert "✗" in lab.status.value
    assert lab.result is before and lab.step == step
    assert lab.paste_box.value == pasted  # what the learner pasted is not thrown away


def test_a_good_paste_after_a_bad_one_loads_and_clears_the_error(lab):
    lab.paste_box.value = "just some words"
    good = share.encode(lab.base.with_overrides({"policy": "kvm-modern"}), step=3)
    lab.paste_box.value = good
    assert lab.error is None
    assert lab.scenario.policy == "kvm-modern" and lab.step == 3


def test_a_refused_combination_names_the_control_that_asked_for_it(lab):
    lab.controls["policy"].value = "kvm-modern"
    lab.controls["bugs"].value = ("no-req-event-rearm",)
    assert "the lab control 'teaching bugs'" in lab.error


SEED_SHARE = share.encode(nvmxlab.resolve("seed-interrupt"), step=5)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, len(SEED_SHARE)), junk=st.text(max_size=12), at=st.integers(0, 200))
def test_a_mutated_share_string_pasted_into_the_lab_never_raises(lab, cut, junk, at):
    pasted = SEED_SHARE[:cut] + junk + SEED_SHARE[cut + at % 7:]
    lab.paste_box.value = pasted  # must not raise out of the observer
    if lab.error is None:
        assert lab.scenario == share.decode(pasted).scenario
    else:
        assert "✗" in lab.status.value
