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
  document.addEventListener('click', (event) => {
    if (pending && pending.t0 === null && pending.target.contains(event.target)) {
      pending.t0 = performance.now();
    }
  }, true);
  window.__nvmxRepaint = {
    arm(target, watch, readout) {
      pending = {target, watch, readout, before: signature(watch), t0: null, changed: false,
                 t1: null, text: null};
      const p = pending;
      observer = new MutationObserver(() => {
        if (p.t0 === null || p.changed || signature(p.watch) === p.before) return;
        p.changed = true;
        requestAnimationFrame(() => setTimeout(() => {
          p.t1 = performance.now();
          const shown = document.querySelector(p.readout);
          p.text = shown ? shown.textContent : null;
        }, 0));
      });
      observer.observe(document.body, {subtree: true, childList: true, attributes: true,
                                       characterData: true});
    },
    done() { return pending !== null && pending.t1 !== null; },
    take() {
      observer.disconnect();
      const p = pending;
      pending = null;
      return {t0: p.t0, t1: p.t1, changed: p.changed, text: p.text};
    },
  };
}"""


@dataclass
class Measurement:
    """Latencies of consecutive clicks, in milliseconds, and what each click left shown."""

    label: str
    samples_ms: list[float] = field(default_factory=list)
    shown: list[str | None] = field(default_factory=list)

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
        return (
            f"{self.label}: click -> repaint over {len(self.samples_ms)} clicks: "
            f"p50 {self.p50:.1f} ms, p95 {self.p95:.1f} ms "
            f"(min {min(self.samples_ms):.1f}, max {max(self.samples_ms):.1f})"
        )

    def ratio_to(self, floor: Measurement) -> str:
        return (
            f"{self.label} / {floor.label}: p50 x{self.p50 / floor.p50:.2f}, "
            f"p95 x{self.p95 / floor.p95:.2f}"
        )


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
) -> Measurement:
    """Click `target` `warmup + clicks` times, timing each click until `watch` repaints.

    `watch` is a CSS selector for an element that must look different after every click (its
    outerHTML is compared); `readout`, if given, is a selector whose text is recorded after
    each repaint so the caller can check the right thing was drawn. The warm-up clicks, which
    pay for first-time work such as lazy loading, are not recorded. Raises NoRepaint when a
    click is not followed by a change within `timeout_ms`.
    """
    page.evaluate(_INSTALL)
    measurement = Measurement(label)
    for index in range(warmup + clicks):
        t0, t1, text = _one_click(page, target, watch, readout or watch, timeout_ms, index)
        if index >= warmup:
            measurement.samples_ms.append(t1 - t0)
            measurement.shown.append(text)
    return measurement


def _one_click(page, target, watch, readout, timeout_ms, index):
    target.evaluate(
        "(node, [watch, readout]) => window.__nvmxRepaint.arm(node, watch, readout)",
        [watch, readout],
    )
    target.click()
    try:
        page.wait_for_function("() => window.__nvmxRepaint.done()", timeout=timeout_ms)
    except PlaywrightError as error:
        result = page.evaluate("() => window.__nvmxRepaint.take()")
        seen = "saw the click" if result["t0"] is not None else "never saw the click"
        raise NoRepaint(
            f"click {index + 1}: {watch!r} did not change within {timeout_ms:.0f} ms "
            f"(the page {seen})"
        ) from error
    result = page.evaluate("() => window.__nvmxRepaint.take()")
    return result["t0"], result["t1"], result["text"]


def timing_report(label: str, measurement: Measurement | None,
                  first_render_ms: float | None) -> list[str]:
    """The "browser timings" lines of one figure: its click latency and its first render."""
    lines = []
    if measurement is not None:
        lines.append(measurement.summary())
    if first_render_ms is not None:
        lines.append(f"{label}: run all -> first render {first_render_ms:.0f} ms")
    return lines
