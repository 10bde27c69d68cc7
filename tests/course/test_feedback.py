"""Feedback on an answer, as a learner checks it: a blank is never right, a first miss gets a
hint and a retry (and the sentence for its misconception); in practice the worked answer comes
after, in a graded question only once the answer is right."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nvmxlab import exercises
from nvmxlab.exercises import core

NAMES = exercises.names()
PRACTICE = 1  # a seed no graded question uses
BLANKS = st.sampled_from([None, "", " ", "\n\t"])


def wrong_answers(q) -> list:
    if q.choices:
        return [c for c in q.choices if not q.is_correct(c)]
    return [n for n in (q.answer - 1, q.answer + 1, q.answer + 2) if not q.is_correct(n)]


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(NAMES), seed=st.integers(0, 30), blank=BLANKS)
def test_a_blank_answer_is_never_right_and_says_it_is_unanswered(name, seed, blank):
    q = exercises.question(name, seed)
    for attempt in (1, 2, 5):
        fb = q.respond(blank, attempt)
        assert (fb.verdict, fb.right) == (core.BLANK, False)
        assert fb.head.startswith("Not answered yet")
    assert not q.is_correct(blank)


@pytest.mark.parametrize("name", NAMES)
def test_a_first_miss_gets_a_hint_and_a_retry_without_the_answer(name):
    q = exercises.question(name, 3)
    fb = q.respond(wrong_answers(q)[0], attempt=1)
    assert fb.verdict == core.RETRY and not fb.right
    assert any(p.startswith("Hint: ") for p in fb.paragraphs)
    assert "The answer is" not in fb.text()
    assert not (q.choices and q.answer_label in fb.text())
    assert q.solution.why[0] not in fb.paragraphs


@pytest.mark.parametrize("name", NAMES)
def test_a_second_miss_of_a_practice_question_gets_the_worked_answer_from_the_trace(name):
    q = exercises.question(name, PRACTICE)
    assert not q.graded
    fb = q.respond(wrong_answers(q)[0], attempt=2)
    assert fb.verdict == core.WRONG
    assert fb.head == f"Not quite. The answer is {q.answer_label}."
    assert set(q.solution.why) <= set(fb.paragraphs)


@pytest.mark.parametrize("name", NAMES)
def test_a_right_answer_says_right_with_the_explanation(name):
    q = exercises.question(name, 3)
    answer = q.answer if not q.choices else q.choices.index(q.answer)
    given = core.LETTERS[answer] if q.choices else answer
    fb = q.respond(given, attempt=1)
    assert fb.right and fb.head == f"Right: {q.answer_label}."
    assert set(q.solution.why) <= set(fb.paragraphs)


def test_an_answer_of_the_wrong_form_says_which_form_is_wanted():
    fb = exercises.question("bare-sti", 1).respond("three")
    assert fb.verdict == core.FORM and "a whole number" in fb.head


def seed_where(name, found):
    return next(s for s in range(60) if found(exercises.question(name, s)))


def test_stopping_the_count_at_sti_gets_the_sentence_on_sti_blocking():
    seed = seed_where("bare-sti", lambda q: q.answer > 1)
    q = exercises.question("bare-sti", seed)
    fb = q.respond(q.answer - 1, attempt=1)
    assert "blocking by STI" in fb.paragraphs[0]


def test_a_vector_in_an_unacknowledged_exit_gets_the_sentence_on_ack_on_exit():
    seed = seed_where("bare-exit", lambda q: "with no vector" in q.answer)
    q = exercises.question("bare-exit", seed)
    with_vector = next(c for c in q.choices if "with vector" in c)
    fb = q.respond(with_vector, attempt=1)
    assert "check acknowledge interrupt on exit" in fb.paragraphs[0]


def test_counting_only_l1s_exits_gets_the_sentence_on_l0s_own_exits():
    seed = seed_where("l0-exits", lambda q: q.solution.why_not)
    q = exercises.question("l0-exits", seed)
    (counted, sentence), = q.solution.why_not
    assert q.respond(counted, attempt=1).paragraphs[0] == sentence
    assert "L1 sees" in sentence


SIGN_SENTENCE = "Check the sign: "
# A policy-cost question whose answer is positive, and one whose answer is negative.
SIGNED = [seed_where("policy-cost", lambda q: q.answer > 0),
          seed_where("policy-cost", lambda q: q.answer < 0)]


@settings(max_examples=40, deadline=None)
@given(seed=st.sampled_from(SIGNED), size=st.integers(1, 10**9))
def test_every_answer_of_the_other_sign_gets_the_sentence_on_the_sign_however_far(seed, size):
    q = exercises.question("policy-cost", seed)
    other_sign = size if q.answer < 0 else -size
    assert q.respond(other_sign, attempt=1).paragraphs[0].startswith(SIGN_SENTENCE)


@pytest.mark.parametrize("seed", SIGNED)
def test_a_wrong_answer_of_the_right_sign_gets_no_sentence_on_the_sign(seed):
    q = exercises.question("policy-cost", seed)
    same_sign = q.answer * 41
    assert not any(p.startswith(SIGN_SENTENCE) for p in q.respond(same_sign, 1).paragraphs)


@pytest.mark.parametrize("seed", range(6))
def test_each_wrong_suspect_of_a_bug_hunt_gets_its_own_sentence(seed):
    q = exercises.question("bug-hunt", seed)
    sentences = [q.respond(c, attempt=1).paragraphs[0] for c in wrong_answers(q)]
    assert len(set(sentences)) == len(sentences)
    assert all(s.startswith(f"Not {c}") for s, c in zip(sentences, wrong_answers(q), strict=True))


# -- the check cell of a graded question ---------------------------------------------------
@pytest.fixture(autouse=True)
def fresh_tries(monkeypatch):
    monkeypatch.setattr(exercises, "_MISSES", {})


def test_checking_an_unanswered_question_says_so_and_raises_nothing():
    shown = exercises.check("bare-exit", 3, None)
    assert not shown.right
    assert repr(shown).startswith("Not answered yet")
    assert "Not answered yet" in shown._repr_html_()


GRADED = sorted(exercises.GRADED)


@pytest.mark.parametrize(("name", "seed"), GRADED)
def test_checking_every_wrong_answer_of_a_graded_question_never_shows_the_answer(name, seed):
    q = exercises.question(name, seed)
    for wrong in wrong_answers(q) * 2:
        fb = exercises.check(name, seed, wrong).feedback
        assert fb.verdict == core.RETRY and fb.paragraphs[-1] == "Try again."
        assert "The answer is" not in fb.text()
        assert not (q.choices and q.answer_label in fb.text())
        worked = set(q.solution.why) - {sentence for _, sentence in q.solution.why_not}
        assert not worked & set(fb.paragraphs)


def test_a_second_miss_of_a_graded_question_adds_a_second_hint_to_the_first():
    q = exercises.question("bare-exit", 3)
    first, second = wrong_answers(q)[:2]
    once = exercises.check("bare-exit", 3, first).feedback
    assert exercises.check("bare-exit", 3, first).feedback == once  # the same answer again
    twice = exercises.check("bare-exit", 3, second).feedback
    assert f"Hint: {q.solution.hint}" in once.paragraphs
    assert f"Another hint: {q.solution.second_hint}" not in once.paragraphs
    assert {f"Hint: {q.solution.hint}", f"Another hint: {q.solution.second_hint}"} <= set(
        twice.paragraphs)


def test_a_graded_question_answered_right_after_misses_says_right_with_the_explanation():
    q = exercises.question("bare-sti", 7)
    for wrong in wrong_answers(q):
        exercises.check("bare-sti", 7, wrong)
    fb = exercises.check("bare-sti", 7, q.answer).feedback
    assert fb.right and set(q.solution.why) <= set(fb.paragraphs)


def test_the_feedback_function_never_gives_a_graded_questions_answer_either():
    q = exercises.question("next-exit", 4)
    wrong = next(c for c in q.choices if c != q.answer)
    assert "The answer is" not in exercises.feedback("next-exit", 4, wrong)


def test_checking_the_right_answer_says_right():
    q = exercises.question("bare-sti", 7)
    assert exercises.check("bare-sti", 7, q.answer).right


# -- the practice widget -------------------------------------------------------------------
def test_the_widgets_number_box_starts_empty_and_a_blank_check_asks_for_a_number():
    from nvmxlab.exercises.widget import Ask

    ask = Ask("bare-sti", 1)
    assert ask.input.value == ""
    ask.check.click()
    assert "Type a whole number" in ask.feedback.value and "Right" not in ask.feedback.value


def test_the_widget_gives_a_hint_first_and_the_worked_answer_on_the_second_miss():
    from nvmxlab.exercises.widget import Ask

    ask = Ask("bare-exit", 1)
    first, second = [ask.input.options[ask.q.choices.index(c)] for c in wrong_answers(ask.q)[:2]]
    ask.input.value = first
    ask.check.click()
    assert "Hint:" in ask.feedback.value and ask.q.answer not in ask.feedback.value
    ask.input.value = second
    ask.check.click()
    assert "Not quite. The answer is" in ask.feedback.value
