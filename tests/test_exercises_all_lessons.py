"""The contract every lesson's exercises keep (learntools' habit: the checks are themselves tested).

For each ``lessons_lib.exercises.lessonNN`` module: ``bind`` creates q1…qN (at least three), every
question's shown solution passes its own check, and the untouched placeholder reports "not attempted".
Each lesson's own test file adds its known wrong answers and their messages.
"""
from __future__ import annotations

import importlib
import pkgutil

import pytest

import lessons_lib.exercises as exercises
from lessons_lib.exercises import ____

LESSON_MODULES = sorted(info.name for info in pkgutil.iter_modules(exercises.__path__) if info.name.startswith("lesson"))


def bound_questions(module_name):
    namespace = {}
    importlib.import_module(f"lessons_lib.exercises.{module_name}").bind(namespace)
    return namespace, [namespace[f"q{n}"] for n in range(1, 100) if f"q{n}" in namespace]


def test_every_lesson_from_00_to_05_has_exercises():
    assert {f"lesson0{n}" for n in range(6)} <= set(LESSON_MODULES)


@pytest.mark.parametrize("module_name", LESSON_MODULES)
def test_bind_gives_at_least_three_questions_that_start_unattempted(module_name, capsys):
    namespace, questions = bound_questions(module_name)
    assert len(questions) >= 3, f"{module_name}: a lesson has at least three exercises"
    for question in questions:
        assert question.hint_text and question.solution_code, f"{module_name} {question.label}: needs a hint and a solution"
        assert question.evaluate(____).status == "not attempted"
        assert question.check().status == "not attempted", "a fresh notebook must run top to bottom"
    assert "Exercises ready" in capsys.readouterr().out


@pytest.mark.parametrize("module_name", LESSON_MODULES)
def test_every_shown_solution_passes_its_own_check(module_name):
    _, questions = bound_questions(module_name)
    for question in questions:
        question.assert_check_passed()
