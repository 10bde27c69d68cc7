"""`nvmxlab exercise` and the exercises package: seeded questions answered by the engine."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import nvmxlab.engine
from nvmxlab import cli, exercises
from nvmxlab.exercises import reading

ROOT = Path(__file__).resolve().parents[2]
NAMES = exercises.names()


def printed(capsys, *argv: str) -> tuple[int, str]:
    status = cli.main(["exercise", *argv])
    return status, capsys.readouterr().out


def test_exercise_alone_lists_every_exercise_one_per_line_name_first(capsys):
    status, out = printed(capsys)
    assert status == 0
    assert [line.split()[0] for line in out.splitlines()] == NAMES


def test_every_notebook_after_the_welcome_has_an_exercise():
    numbers = {exercises.core.REGISTRY[name].notebook[:2] for name in NAMES}
    assert numbers == {f"0{i}" for i in range(1, 8)}


@pytest.mark.parametrize("name", NAMES)
def test_each_exercise_names_a_notebook_of_the_course(name):
    notebook = exercises.core.REGISTRY[name].notebook
    assert (ROOT / "notebooks" / f"{notebook}.ipynb").exists()


@pytest.mark.parametrize("name", NAMES)
def test_the_same_seed_prints_the_same_question(name, capsys):
    assert printed(capsys, name, "--seed", "5") == printed(capsys, name, "--seed", "5")


@pytest.mark.parametrize("name", ["bug-hunt", "idt-vectoring", "next-exit"])
def test_the_same_seed_gives_the_same_question_in_processes_with_different_hashing(name):
    def question_in_fresh_process(hash_seed: str) -> str:
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        command = [sys.executable, "-m", "nvmxlab", "exercise", name, "--seed", "11", "--solve"]
        return subprocess.run(command, env=env, capture_output=True, text=True,
                              check=True).stdout

    assert question_in_fresh_process("1") == question_in_fresh_process("2")


@pytest.mark.parametrize("name", NAMES)
def test_different_seeds_give_different_questions(name):
    assert len({exercises.question(name, seed).text() for seed in range(8)}) > 1


@pytest.mark.parametrize("name", NAMES)
def test_solve_prints_the_answer_and_how_the_trace_shows_it(name, capsys):
    status, out = printed(capsys, name, "--seed", "1", "--solve")
    q = exercises.question(name, 1)
    assert status == 0
    assert f"Answer: {q.answer_label}" in out
    assert q.solution.why[0] in out


def test_without_solve_the_answer_is_not_printed(capsys):
    _, out = printed(capsys, "bare-sti", "--seed", "3")
    assert "Answer:" not in out
    assert "--solve" in out


def test_an_unknown_exercise_is_an_error_with_exit_status_2_naming_every_exercise(capsys):
    assert cli.main(["exercise", "no-such-exercise"]) == 2
    err = capsys.readouterr().err
    assert "no exercise 'no-such-exercise'" in err and "did you mean" not in err
    assert err.rstrip().endswith("the exercises are: " + ", ".join(NAMES))


def test_with_debug_an_unknown_exercise_shows_its_traceback():
    with pytest.raises(ValueError, match="no exercise 'no-such-exercise'"):
        cli.main(["--debug", "exercise", "no-such-exercise"])


def test_a_misspelt_exercise_gets_a_did_you_mean(capsys):
    assert cli.main(["exercise", "bare-exitt"]) == 2
    assert "no exercise 'bare-exitt' (did you mean 'bare-exit'?)" in capsys.readouterr().err


# -- grading -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_a_choice_question_has_its_answer_among_the_choices(name):
    for seed in range(6):
        q = exercises.question(name, seed)
        if q.choices:
            assert q.answer in q.choices
        else:
            assert isinstance(q.answer, int)


@pytest.mark.parametrize("name", NAMES)
def test_the_right_answer_is_accepted_as_a_letter_or_as_text(name):
    q = exercises.question(name, 2)
    given = q.answer_label.split(")")[0] if q.choices else str(q.answer)
    assert q.is_correct(given)
    assert q.is_correct(q.answer)


@pytest.mark.parametrize("name", NAMES)
def test_a_wrong_answer_is_not_accepted(name):
    q = exercises.question(name, 2)
    wrong = next((c for c in q.choices if c not in (q.answer, *q.solution.accept)),
                 None) if q.choices else q.answer + 1
    assert not q.is_correct(wrong)


def test_validate_explains_the_expected_form_of_an_answer():
    with pytest.raises(AssertionError, match="one of the letters"):
        exercises.validate("bare-exit", 1, "z")
    with pytest.raises(AssertionError, match="a whole number"):
        exercises.validate("bare-sti", 1, "three")
    exercises.validate("bare-sti", 1, 3)


def test_feedback_on_a_wrong_answer_gives_the_right_one_with_the_steps_of_the_run():
    q = exercises.question("next-exit", 5)
    wrong = next(c for c in q.choices if c != q.answer)
    text = exercises.feedback("next-exit", 5, wrong)
    assert text.startswith(f"Not quite. The answer is {q.answer_label}.")
    assert "The steps that show it:" in text


# -- answers come from the engine ------------------------------------------------------------
def test_an_answer_follows_the_engine_when_the_engine_changes(monkeypatch):
    seed = next(s for s in range(50) if exercises.question("bare-sti", s).answer > 0)
    real_run = nvmxlab.engine.run

    def run_with_ack_on_exit(scenario, mode="nested", policy=None):
        acked = scenario.with_overrides({"vmcs12.ack_interrupt_on_exit": True})
        return real_run(acked, mode, policy)

    monkeypatch.setattr(nvmxlab.engine, "run", run_with_ack_on_exit)
    assert exercises.question("bare-sti", seed).answer == 0


def test_a_verdict_follows_the_engines_comparison(monkeypatch):
    seed = next(s for s in range(50)
                if exercises.question("verdict", s).answer.startswith("DIFFERENT"))
    real_run = nvmxlab.engine.run

    def nested_as_on_bare_metal(scenario, mode="nested", policy=None):
        return real_run(scenario, "bare", policy)

    monkeypatch.setattr(nvmxlab.engine, "run", nested_as_on_bare_metal)
    assert exercises.question("verdict", seed).answer.startswith("MATCH")


def test_changing_the_scenario_changes_what_is_read_off_the_run():
    def fate(exiting: bool) -> str:
        scenario = reading.variant("seed-interrupt", "t",
                                   {"vmcs12.external_interrupt_exiting": exiting})
        return reading.fate(reading.run(scenario, "bare"))[0]

    assert (fate(True), fate(False)) == ("exit-novector", "l2-idt")


def test_a_bug_hunt_accepts_every_bug_that_produces_the_same_run():
    for seed in range(10):
        q = exercises.question("bug-hunt", seed)
        assert q.answer in q.solution.accept
        assert all(q.is_correct(other) for other in q.solution.accept)


# -- in a notebook -----------------------------------------------------------------------------
def test_the_exercises_import_and_make_questions_without_ipywidgets():
    code = ("import sys; sys.modules['ipywidgets'] = None\n"
            "from nvmxlab import exercises\n"
            "print(exercises.question('bare-exit', 1).answer)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_widget_checks_an_answer_at_once_and_explains_it():
    from nvmxlab.exercises.widget import Ask

    ask = Ask("bare-exit", 1)
    right = ask.q.choices.index(ask.q.answer)
    ask.input.value = ask.input.options[right]
    ask.check.click()
    assert "Right:" in ask.feedback.value
    assert "External-interrupt exiting" in ask.feedback.value


def test_the_widget_asks_to_pick_an_answer_before_checking():
    from nvmxlab.exercises.widget import Ask

    ask = Ask("bare-exit", 1)
    ask.check.click()
    assert "Pick an answer" in ask.feedback.value


def test_another_question_moves_the_widget_to_the_next_seed():
    from nvmxlab.exercises.widget import Ask

    ask = Ask("bare-sti", 4)
    ask.another.click()
    assert (ask.seed, ask.q.seed) == (5, 5)
    assert ask.feedback.value == ""


def test_ask_returns_a_widget_that_a_notebook_displays():
    import ipywidgets

    assert isinstance(exercises.ask("l0-exits", 1), ipywidgets.Widget)
