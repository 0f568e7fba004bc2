"""The contract every lesson's exercises keep (learntools' habit: the checks are themselves tested), once for all.

For each ``lessons_lib.exercises.lessonNN`` module: ``bind`` creates q1…qN (at least three), every
question has a prompt, hints and a solution that passes its own check, the untouched placeholder
reports "not attempted", every question declares at least two known mistakes and each fails with
its message, and ``progress()`` prints the lesson's table. Every notebook binds at least three
exercises and offers check, hint and solution for them. A lesson's own test file keeps only the
known-mistake cases that cannot be written as ``mistakes`` code (values of odd types, random state…).
"""
from __future__ import annotations

import importlib
import pkgutil
import re
import textwrap
from pathlib import Path

import nbformat
import pytest

import lessons_lib.exercises as exercises
from lessons_lib.exercises import ____, FunctionQuestion

LESSON_MODULES = sorted(info.name for info in pkgutil.iter_modules(exercises.__path__) if info.name.startswith("lesson"))
NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def bound_questions(module_name):
    namespace = {}
    importlib.import_module(f"lessons_lib.exercises.{module_name}").bind(namespace)
    return namespace, [namespace[f"q{n}"] for n in range(1, 100) if f"q{n}" in namespace]


def leaves(module_name):
    _, questions = bound_questions(module_name)
    return [(module_name, leaf) for question in questions for leaf in question.leaves()]


ALL_LEAVES = [pair for name in LESSON_MODULES for pair in leaves(name)]
IDS = [f"{name}-{leaf.label}" for name, leaf in ALL_LEAVES]


def test_every_lesson_from_00_to_05_has_exercises():
    assert {f"lesson0{n}" for n in range(6)} <= set(LESSON_MODULES)


@pytest.mark.parametrize("module_name", LESSON_MODULES)
def test_bind_gives_at_least_three_questions_that_start_unattempted(module_name, capsys):
    namespace, questions = bound_questions(module_name)
    assert len(questions) >= 3, f"{module_name}: a lesson has at least three exercises"
    for question in questions:
        assert question.all_hints() and question.solution_code, f"{module_name} {question.label}: needs a hint and a solution"
        assert question.check().status == "not attempted", "a fresh notebook must run top to bottom"
    assert "Exercises ready" in capsys.readouterr().out


@pytest.mark.parametrize("module_name, question", ALL_LEAVES, ids=IDS)
def test_solution_passes_and_placeholder_is_not_attempted(module_name, question):
    assert question.prompt, f"{module_name} {question.label}: say what is asked in `prompt`"
    question.assert_check_passed()
    assert question.evaluate(____).status == "not attempted"


@pytest.mark.parametrize("module_name, question", ALL_LEAVES, ids=IDS)
def test_at_least_two_known_mistakes_fail_with_their_message(module_name, question):
    question.assert_mistakes_fail(at_least=2)


DECLARED_MISTAKES = [(name, leaf, code, fragment) for name, leaf in ALL_LEAVES for code, fragment in leaf.mistakes]


@pytest.mark.parametrize("module_name, question, code, fragment", DECLARED_MISTAKES,
                         ids=[f"{name}-{leaf.label}-{number}" for number, (name, leaf, _, _)
                              in enumerate(DECLARED_MISTAKES)])
def test_hint_after_a_declared_mistake_starts_from_that_mistake(module_name, question, code, fragment, capsys):
    """06 q1 recognised a missing detach, then hint 1 spoke of logits: hint() after a recognised mistake is about it."""
    namespace = question.solution_namespace()
    exec(textwrap.dedent(code), namespace)
    learner = type(question)(namespace, label=question.label)
    outcome = learner.check()
    assert outcome.names_a_mistake, f"{module_name} {question.label}: the check did not recognise the mistake {code!r}"
    capsys.readouterr()
    learner.hint()
    header, first, *rest = capsys.readouterr().out.splitlines()
    assert header.startswith("Hint on your last answer") and first.startswith("Your last answer:")
    assert fragment.lower() in first.lower()
    shown = "\n".join([first, *rest])
    unrelated = [hint for hint in question.all_hints() if hint in shown and hint not in (outcome.message + (outcome.hint or ""))]
    assert not unrelated, f"{module_name} {question.label}: after {code!r} hint() showed the general hint(s) {unrelated}"


@pytest.mark.parametrize("module_name", LESSON_MODULES)
def test_progress_prints_one_row_per_question(module_name, capsys):
    module = importlib.import_module(f"lessons_lib.exercises.{module_name}")
    assert callable(getattr(module, "progress", None)), (
        f"{module_name}: add `progress = make_progress(QUESTIONS)` next to `bind = make_binder(QUESTIONS)`")
    namespace, questions = bound_questions(module_name)
    rows = module.progress()
    assert [row[0] for row in rows] == [leaf.label for q in questions for leaf in q.leaves()]
    assert {row[2] for row in rows} == {"not attempted"}
    assert "0 of" in capsys.readouterr().out


def exercise_calls(notebook):
    code = "\n".join(cell.source for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "code")
    modules = re.findall(r"\b(lesson\d\d)\.bind\(globals\(\)\)", code)
    calls = {kind: set(re.findall(rf"\b(q\d+(?:\.\w+)?)\.{kind}\(", code)) for kind in ("check", "hint", "solution")}
    return modules, calls


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.name for nb in NOTEBOOKS])
def test_every_notebook_binds_at_least_three_exercises_with_check_hint_and_solution(notebook):
    modules, calls = exercise_calls(notebook)
    assert len(modules) == 1, f"{notebook.name}: bind one lesson's exercises with lessonNN.bind(globals())"
    _, questions = bound_questions(modules[0])
    checked = calls["check"]
    assert len(checked) >= 3, f"{notebook.name}: at least three exercises (q1.check() …), found {sorted(checked)}"
    for label in checked:
        assert label in calls["hint"] and label in calls["solution"], (
            f"{notebook.name}: offer {label}.hint() and {label}.solution() next to {label}.check()")
    labels = {leaf.label for q in questions for leaf in q.leaves()} | {q.label for q in questions}
    assert checked <= labels, f"{notebook.name}: checks {sorted(checked - labels)} name no bound question"


FUNCTION_LEAVES = [(name, leaf) for name, leaf in ALL_LEAVES if isinstance(leaf, FunctionQuestion)]


@pytest.mark.parametrize("module_name, question", FUNCTION_LEAVES,
                         ids=[f"{name}-{leaf.label}" for name, leaf in FUNCTION_LEAVES])
def test_function_questions_yield_args_and_expected_and_pass_their_hidden_cases(module_name, question):
    cases = list(question.cases())
    hidden = list(question.hidden_cases())
    assert cases, f"{module_name} {question.label}: cases() yields nothing"
    for case in cases + hidden:
        assert isinstance(case, tuple) and len(case) == 2 and isinstance(case[0], tuple), (
            f"{module_name} {question.label}: cases() must yield (args, expected) with args a tuple, got {case!r}")
    solution = question.solution_value()
    for args, expected in hidden:
        assert question.same(solution(*args), expected), f"{module_name} {question.label}: hidden case {args} fails"


@pytest.mark.parametrize("module_name, question", [(n, q) for n, q in ALL_LEAVES if n <= "lesson05"],
                         ids=[i for (n, _), i in zip(ALL_LEAVES, IDS) if n <= "lesson05"])
def test_lessons_00_to_05_give_several_hints(module_name, question):
    assert len(question.all_hints()) >= 2, f"{module_name} {question.label}: give `hints = (…, …)`, q.hint(2) goes further"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.name for nb in NOTEBOOKS])
def test_the_blank_appears_only_in_answers(notebook):
    """`from lessons_lib.exercises import ____, lesson01` put a blank where learners are told to fill blanks;
    ``bind`` defines ``____`` in the notebook, so no import names it."""
    code = [cell.source for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "code"]
    imports = [line for source in code for line in source.splitlines()
               if "____" in line and re.match(r"\s*(from\s+\S+\s+)?import\b", line)]
    assert not imports, f"{notebook.name}: a blank outside an answer: {imports}"
