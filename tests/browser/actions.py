"""What a learner does to the lab, as Playwright actions on its controls' visible labels."""

from __future__ import annotations

from playwright.sync_api import Locator

from .jupyterlab import LabPage
from .labview import LAB, PLAYER, control, wait_until_settled


def _box(lab: LabPage, kind: str, description: str) -> Locator:
    return lab.page.locator(f"{LAB} .{kind}").filter(
        has=lab.page.locator(".widget-label", has_text=description))


def tick(lab: LabPage, label: str) -> None:
    control(lab, label).click()


def choose(lab: LabPage, description: str, option: str) -> None:
    """Pick `option` (its visible text) in the dropdown labelled `description`."""
    _box(lab, "widget-dropdown", description).locator("select").select_option(label=option)


def choose_bugs(lab: LabPage, bugs: list[str]) -> None:
    _box(lab, "widget-select-multiple", "teaching bugs").locator("select").select_option(
        label=bugs)


def nudge_slider(lab: LabPage, description: str, key: str = "ArrowRight") -> None:
    """Press `key` on the slider labelled `description`, as a keyboard user moves it."""
    _box(lab, "widget-slider", description).locator(".noUi-handle").first.press(key)


def paste_share(lab: LabPage, text: str) -> None:
    """Paste `text` into the paste box and press Enter."""
    box = lab.page.locator(f"{LAB} .nvmx-paste input")
    box.fill(text)
    box.press("Enter")


def type_share(lab: LabPage, text: str, keys: int = 40, delay_ms: float = 20) -> None:
    """Put `text` into the paste box, its last `keys` characters typed key by key as a learner
    mending one does (no Enter)."""
    box = lab.page.locator(f"{LAB} .nvmx-paste input")
    box.fill(text[:-keys])
    box.press("End")
    box.press_sequentially(text[-keys:], delay=delay_ms)


def press_enter_in_paste_box(lab: LabPage) -> None:
    lab.page.locator(f"{LAB} .nvmx-paste input").press("Enter")


def play(lab: LabPage) -> None:
    lab.page.locator(f"{PLAYER} .widget-play button:has(.fa-play)").click()


def pause(lab: LabPage) -> None:
    lab.page.locator(f"{PLAYER} .widget-play button:has(.fa-pause)").click()


def step_through(lab: LabPage, world: str) -> None:
    """Click the world toggle: "nested" or "bare metal"."""
    lab.page.locator(f"{LAB} .widget-toggle-button", has_text=world).click()


def go_to_step(lab: LabPage, index: int) -> None:
    """Move the step slider with the keyboard: Home, then → `index` times."""
    handle = lab.page.locator(f"{PLAYER} .noUi-handle").first
    handle.press("Home")
    for _ in range(index):
        handle.press("ArrowRight")
    wait_until_settled(lab)


def play_for(lab: LabPage, ms: float) -> None:
    """Press play, let it run `ms` milliseconds, press pause (stop would also rewind)."""
    play(lab)
    lab.page.wait_for_timeout(ms)
    pause(lab)
