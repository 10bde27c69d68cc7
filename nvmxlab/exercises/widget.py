"""The notebook face of an exercise: the question, an answer box and immediate feedback.

Only this module needs ipywidgets, and only when a notebook asks for a widget.
"""

from __future__ import annotations

import html
import re

from . import graded
from .core import LETTERS, RIGHT, Feedback, Question, is_blank, question

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


COLOURS = {RIGHT: "#1a7f37", "retry": "#8a6100", "wrong": "#b35900"}


def feedback_html(fb: Feedback) -> str:
    colour = COLOURS.get(fb.verdict, "#555555")
    body = "".join(f"<pre>{html.escape(p)}</pre>" if "\n" in p else f"<p>{inline(p)}</p>"
                   for p in fb.paragraphs)
    return (f"<div class='nvmx-feedback nvmx-feedback-{fb.verdict}'>"
            f"<p style='color:{colour}'><b>{inline(fb.head)}</b></p>{body}</div>")


class Checked:
    """A graded question's feedback as a cell output: HTML in a notebook, text elsewhere."""

    def __init__(self, q: Question, fb: Feedback):
        self.q, self.feedback = q, fb

    @property
    def right(self) -> bool:
        return self.feedback.right

    def _repr_html_(self) -> str:
        return feedback_html(self.feedback)

    def __repr__(self) -> str:
        return self.feedback.text()


class Ask:
    """Question `name` at `seed`; "Another question" moves on to the next seed.  Practice
    never shows a graded question: a graded seed is skipped, with a note saying so."""

    def __init__(self, name: str, seed: int = 0):
        import ipywidgets as w

        self.name, self.seed = name, seed
        self._w = w
        self.text = w.HTML()
        self.feedback = w.HTML()
        self.check = w.Button(description="Check", button_style="primary")
        self.another = w.Button(description="Another question")
        self.check.on_click(lambda _: self.grade())
        self.another.on_click(lambda _: self.show(graded.next_practice_seed(name, self.seed)))
        self.note = w.HTML()
        self.answer_box = w.Box()
        self.widget = w.VBox([self.note, self.text, self.answer_box,
                              w.HBox([self.check, self.another]), self.feedback])
        self.show(seed)

    def show(self, seed: int) -> None:
        self.note.value = ""
        if graded.is_graded(self.name, seed):
            practice = graded.next_practice_seed(self.name, seed)
            self.note.value = (f"<p>Seed {seed} is {html.escape(graded.where(self.name, seed))}"
                               f": practise on seed {practice} instead.</p>")
            seed = practice
        self.seed = seed
        self.q = question(self.name, seed)
        self.text.value = question_html(self.q)
        self.feedback.value = ""
        self.misses: list[object] = []
        w = self._w
        if self.q.choices:
            labels = [f"{LETTERS[i]}) {c}" for i, c in enumerate(self.q.choices)]
            self.input = w.RadioButtons(options=labels, value=None,
                                        layout=w.Layout(width="max-content"))
        else:
            # A text box, not IntText: a number box starts at 0, which would be checked as
            # an answer nobody gave.
            self.input = w.Text(description="Answer:", placeholder="a whole number")
        self.answer_box.children = (self.input,)

    @property
    def given(self) -> object:
        value = self.input.value
        if self.q.choices:
            return None if value is None else value.split(")", 1)[0]
        return value

    def grade(self) -> None:
        if is_blank(self.given):
            what = "Pick an answer" if self.q.choices else "Type a whole number"
            self.feedback.value = f"<p>{what} first.</p>"
            return
        meant = self.q.interpret(self.given)
        if meant is not None and not self.q.is_correct(self.given) and meant not in self.misses:
            self.misses.append(meant)
        self.feedback.value = feedback_html(self.q.respond(self.given, max(len(self.misses), 1)))
