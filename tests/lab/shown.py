"""What the lab's share box shows, read from its markup as the page would render it."""

from __future__ import annotations

from html.parser import HTMLParser


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "input":
            self.inputs.append(dict(attrs))


def share_input(lab) -> dict[str, str | None]:
    """The attributes of the one input in the share box (its `value` is the string shown)."""
    parser = _Inputs()
    parser.feed(lab.share_box.value)
    assert len(parser.inputs) == 1, lab.share_box.value
    return parser.inputs[0]


def shown_share(lab) -> str:
    return share_input(lab)["value"] or ""
