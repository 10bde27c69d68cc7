"""Click-to-repaint latency, measured inside the page.

The clock starts in a capturing `click` listener, when the browser dispatches the click, and
stops after the first frame in which a watched element differs from how it was before the click:
a MutationObserver notices the change, a requestAnimationFrame callback runs just before that
frame is painted, and a task queued from there runs just after it. Both ends are read from the
page's own `performance.now()`, so Playwright's round trips add nothing.

The floor test measures a trivial FigureWidget this way; a test of the real lab measures its
own widget the same way and reports the ratio of the two, taken in the same run:

    def test_lab_latency(lab, floor, latency_report):
        ...  # open and run the notebook
        lab_clicks = measure_clicks(lab.page, lab.page.locator(CHECKBOX), watch=..., label="lab")
        latency_report(lab_clicks.summary())
        latency_report(lab_clicks.ratio_to(floor.measurement))
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page

_INSTALL = """() => {
  if (window.__nvmxRepaint) return;
  let pending = null;
  let observer = null;
  const signature = (selector) => {
    const node = document.querySelector(selector);
    return node ? node.outerHTML : null;
  };
  // After the frame in which `check` first holds: a requestAnimationFrame callback runs just
  // before a frame is painted, a task queued from there just after it.
  const afterPaint = (set) => requestAnimationFrame(() => setTimeout(set, 0));
  document.addEventListener('click', (event) => {
    if (pending && pending.t0 === null && pending.target.contains(event.target)) {
      pending.t0 = performance.now();
      if (pending.whole) pending.pollWhole();
    }
  }, true);
  window.__nvmxRepaint = {
    // `whole`, if given: {read: the source of a function of no arguments returning a string,
    // want: the string it must return}, for the moment the whole widget shows the new state.
    // Checked once a frame (a text box's value changes no DOM node: no mutation tells it).
    arm(target, watch, readout, whole) {
      const read = whole ? new Function(`return (${whole.read})();`) : null;
      pending = {target, watch, readout, before: signature(watch), t0: null, changed: false,
                 t1: null, text: null, whole, t2: null, seen: null};
      const p = pending;
      p.pollWhole = () => requestAnimationFrame(() => {
        if (pending !== p || p.t2 !== null) return;
        const now = read();
        if (now === p.whole.want) afterPaint(() => { p.t2 = performance.now(); });
        else { p.seen = now; p.pollWhole(); }
      });
      observer = new MutationObserver(() => {
        if (p.t0 === null || p.changed || signature(p.watch) === p.before) return;
        p.changed = true;
        afterPaint(() => {
          p.t1 = performance.now();
          const shown = document.querySelector(p.readout);
          p.text = shown ? shown.textContent : null;
        });
      });
      observer.observe(document.body, {subtree: true, childList: true, attributes: true,
                                       characterData: true});
    },
    done() {
      return pending !== null && pending.t1 !== null && (!pending.whole || pending.t2 !== null);
    },
    take() {
      observer.disconnect();
      const p = pending;
      pending = null;
      return {t0: p.t0, t1: p.t1, t2: p.t2, changed: p.changed, text: p.text, seen: p.seen};
    },
  };
}"""


@dataclass
class Measurement:
    """Latencies of consecutive clicks, in milliseconds, and what each click left shown."""

    label: str
    until: str = "repaint"  # what each sample's clock stopped at
    samples_ms: list[float] = field(default_factory=list)
    shown: list[str | None] = field(default_factory=list)
    whole: Measurement | None = None  # the same clicks, until the whole widget was consistent

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.samples_ms)
        # Nearest rank: with some 20 clicks, interpolating would claim more than we know.
        rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))
        return ordered[rank]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95(self) -> float:
        return self.percentile(0.95)

    def summary(self) -> str:
        line = (
            f"{self.label}: click -> {self.until} over {len(self.samples_ms)} clicks: "
            f"p50 {self.p50:.1f} ms, p95 {self.p95:.1f} ms "
            f"(min {min(self.samples_ms):.1f}, max {max(self.samples_ms):.1f})"
        )
        return line if self.whole is None else f"{line}\n{self.whole.summary()}"

    def ratio_to(self, floor: Measurement) -> str:
        line = (
            f"{self.label} ({self.until}) / {floor.label}: p50 x{self.p50 / floor.p50:.2f}, "
            f"p95 x{self.p95 / floor.p95:.2f}"
        )
        return line if self.whole is None else f"{line}\n{self.whole.ratio_to(floor)}"


@dataclass(frozen=True)
class Whole:
    """How to tell that a click's whole effect is on the page: `read` is the source of a
    JavaScript function of no arguments that sums up everything the widget shows as a string;
    `settle` waits (from Python) until the page has every update a click causes."""

    read: str
    settle: Callable[[], None]
    until: str = "whole widget consistent"


# At least 20 clicks (the minimum); 40 make the 95th percentile the 38th of 40 samples
# rather than the 19th of 20, a less noisy figure for the same minute of testing.
CLICKS = 40
WARMUP = 2


class NoRepaint(AssertionError):
    """A click was not followed by a change of the watched element."""


def measure_clicks(
    page: Page,
    target: Locator,
    *,
    watch: str,
    readout: str | None = None,
    label: str = "clicks",
    clicks: int = CLICKS,
    warmup: int = WARMUP,
    timeout_ms: float = 10_000,
    whole: Whole | None = None,
) -> Measurement:
    """Click `target` `warmup + clicks` times, timing each click until `watch` repaints.

    `watch` is a CSS selector for an element that must look different after every click (its
    outerHTML is compared); `readout`, if given, is a selector whose text is recorded after
    each repaint so the caller can check the right thing was drawn. The warm-up clicks, which
    pay for first-time work such as lazy loading, are not recorded. Raises NoRepaint when a
    click is not followed by a change within `timeout_ms`.

    With `whole`, each click is also timed until the whole widget shows that click's state:
    the warm-up clicks (an even number: the clicks alternate between two states) are settled
    and what the widget then shows is recorded, and each measured click's second clock stops
    at the first painted frame that shows the same as its state did after the warm-up.
    """
    page.evaluate(_INSTALL)
    measurement = Measurement(label)
    if whole is not None:
        measurement.whole = Measurement(label, whole.until)
    states: list[str] = []
    for index in range(warmup + clicks):
        want = None if index < warmup or whole is None else states[(index - warmup) % 2]
        result = _one_click(page, target, watch, readout or watch, timeout_ms, index,
                            whole and {"read": whole.read, "want": want})
        if index < warmup:
            if whole is not None:
                whole.settle()
                states.append(page.evaluate(f"({whole.read})"))
            continue
        measurement.samples_ms.append(result["t1"] - result["t0"])
        measurement.shown.append(result["text"])
        if measurement.whole is not None:
            measurement.whole.samples_ms.append(result["t2"] - result["t0"])
    return measurement


def _one_click(page, target, watch, readout, timeout_ms, index, whole):
    """One click, timed; `whole` (or None): {"read", "want"} for the second clock, whose
    `want` is None during the warm-up (nothing to wait for)."""
    armed = whole if whole and whole["want"] is not None else None
    target.evaluate(
        "(node, [watch, readout, whole]) => window.__nvmxRepaint.arm(node, watch, readout, whole)",
        [watch, readout, armed],
    )
    target.click()
    try:
        page.wait_for_function("() => window.__nvmxRepaint.done()", timeout=timeout_ms)
    except PlaywrightError as error:
        result = page.evaluate("() => window.__nvmxRepaint.take()")
        seen = "saw the click" if result["t0"] is not None else "never saw the click"
        what = (f"{watch!r} did not change" if result["t1"] is None
                else f"the widget never showed the clicked state (last seen: {result['seen']!r})")
        raise NoRepaint(
            f"click {index + 1}: {what} within {timeout_ms:.0f} ms (the page {seen})"
        ) from error
    return page.evaluate("() => window.__nvmxRepaint.take()")


def timing_report(label: str, measurement: Measurement | None,
                  first_render_ms: float | None) -> list[str]:
    """The "browser timings" lines of one figure: its click latency and its first render."""
    lines = []
    if measurement is not None:
        lines.append(measurement.summary())
    if first_render_ms is not None:
        lines.append(f"{label}: run all -> first render {first_render_ms:.0f} ms")
    return lines
