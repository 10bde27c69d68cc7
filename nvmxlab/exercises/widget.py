"""The notebook face of an exercise: the question, an answer box and immediate feedback.

Only this module needs ipywidgets, and only when a notebook asks for a widget.
"""

from __future__ import annotations

import html
import re

from .core import LETTERS, Question

CODE = re.compile(r"`([^`]+)`")


def inline(text: str) -> str:
    """Escaped text with `code` spans, as the notebooks' Markdown shows them."""
    return CODE.sub(r"<code>\1</code>", html.escape(text))


def question_html(q: Question) -> str:
    parts = [f"<b>{html.escape(q.title)}</b> <code>{q.exercise}</code>, seed {q.seed}",
             f"<pre>{html.escape(chr(10).join(q.setting))}</pre>"]
    if q.shown:
        parts.append(f"<details><summary>{html.escape(q.shown_title)}</summary>"
                     f"<pre>{html.escape(chr(10).join(q.shown))}</pre></details>")
    parts.append(f"<p>{inline(q.prompt)}</p>")
    return "\n".join(parts)


def feedback_html(q: Question, given: object) -> str:
    right = q.is_correct(given)
    colour = "#1a7f37" if right else "#b35900"
    head, *rest = q.feedback(given).split("\n\n")
    body = "".join(f"<pre>{html.escape(p)}</pre>" if "\n" in p else f"<p>{inline(p)}</p>"
                   for p in rest)
    return f"<p style='color:{colour}'><b>{inline(head)}</b></p>{body}"


class Ask:
    """Question `name` at `seed`; "Another question" moves on to the next seed."""

    def __init__(self, name: str, seed: int = 0):
        import ipywidgets as w

        self.name, self.seed = name, seed
        self._w = w
        self.text = w.HTML()
        self.feedback = w.HTML()
        self.check = w.Button(description="Check", button_style="primary")
        self.another = w.Button(description="Another question")
        self.check.on_click(lambda _: self.grade())
        self.another.on_click(lambda _: self.show(self.seed + 1))
        self.answer_box = w.Box()
        self.widget = w.VBox([self.text, self.answer_box,
                              w.HBox([self.check, self.another]), self.feedback])
        self.show(seed)

    def show(self, seed: int) -> None:
        from . import question

        self.seed = seed
        self.q = question(self.name, seed)
        self.text.value = question_html(self.q)
        self.feedback.value = ""
        w = self._w
        if self.q.choices:
            labels = [f"{LETTERS[i]}) {c}" for i, c in enumerate(self.q.choices)]
            self.input = w.RadioButtons(options=labels, value=None,
                                        layout=w.Layout(width="max-content"))
        else:
            self.input = w.IntText(description="Answer:")
        self.answer_box.children = (self.input,)

    @property
    def given(self) -> object:
        value = self.input.value
        if self.q.choices:
            return None if value is None else value.split(")", 1)[0]
        return value

    def grade(self) -> None:
        if self.given is None:
            self.feedback.value = "<p>Pick an answer first.</p>"
            return
        self.feedback.value = feedback_html(self.q, self.given)
