"""Exercises in the style of Kaggle Learn's learntools: one class per question.

A lesson module (``lessons_lib.exercises.lesson01`` …) defines ``Question`` subclasses and a
``bind(globals())`` that puts them into the notebook as ``q1``, ``q2``, …. The learner fills in a
variable (or a function) named by the question, then calls ``q1.check()``; ``q1.hint()`` and
``q1.solution()`` help. A variable still set to the placeholder ``____`` reports "not attempted",
so a notebook always runs top to bottom.

Every question's ``solution_code`` is executed by the test suite and must pass its own check, and
known wrong answers must fail with the message a learner would need.

Introduced in notebook 00 (start here).
"""
from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from typing import Any, Callable, Iterable


class _Placeholder:
    """The blank a learner replaces: ``answer = ____``."""

    def __repr__(self) -> str:
        return "____"


____ = _Placeholder()
PLACEHOLDER_NAME = "____"


class Incorrect(Exception):
    """Raised by ``Question.check_answer`` with a message written for the learner."""


@dataclass(frozen=True)
class Outcome:
    """The result of checking one answer: status is 'correct', 'incorrect' or 'not attempted'."""

    status: str
    message: str

    @property
    def passed(self) -> bool:
        return self.status == "correct"

    def _ipython_display_(self) -> None:
        """Already printed by ``check()``: show nothing more as a cell's result."""

    def __str__(self) -> str:
        icon = {"correct": "✅ Correct", "incorrect": "❌ Not yet", "not attempted": "✏️ Not attempted"}[self.status]
        return f"{icon}: {self.message}" if self.message else icon


def _uses_placeholder(value: Any) -> bool:
    if value is ____:
        return True
    code = getattr(value, "__code__", None)
    return code is not None and PLACEHOLDER_NAME in code.co_names


class Question:
    """One exercise. Subclasses set ``var``, ``prompt``, ``hint_text``, ``solution_code`` and
    implement ``check_answer(value)``, raising ``Incorrect("…")`` when the answer is wrong.

    ``var`` names the learner's variable or function in the notebook. ``solution_code`` is the
    code shown by ``solution()``; it is run by the tests, in ``solution_namespace()``, and must
    define ``var``.
    """

    var: str = ""
    prompt: str = ""
    hint_text: str = ""
    solution_code: str = ""
    correct_message: str = ""

    def __init__(self, namespace: dict | None = None, label: str | None = None):
        self._namespace = namespace if namespace is not None else {}
        self.label = label or type(self).__name__
        self.last_outcome: Outcome | None = None

    # --- what a subclass writes -------------------------------------------------------
    def check_answer(self, value: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def solution_namespace(self) -> dict:
        """Names the solution code may use (imports, data it needs). Override to add more."""
        import numpy as np
        import torch
        from torch import nn

        return {"math": math, "np": np, "torch": torch, "nn": nn}

    # --- what the learner calls -------------------------------------------------------
    def evaluate(self, value: Any) -> Outcome:
        """Check ``value`` without printing: returns an ``Outcome``."""
        if _uses_placeholder(value):
            return Outcome("not attempted", f"replace ____ in `{self.var}` with your answer, then run the cell again.")
        try:
            self.check_answer(value)
        except Incorrect as wrong:
            return Outcome("incorrect", str(wrong))
        except Exception as error:  # the learner's code raised: say so instead of crashing
            if _uses_placeholder(value):
                return Outcome("not attempted", f"`{self.var}` still contains ____.")
            return Outcome("incorrect", f"checking `{self.var}` raised {type(error).__name__}: {error}")
        return Outcome("correct", self.correct_message)

    def check(self) -> Outcome:
        """Check the learner's ``var`` from the notebook and print the verdict.

        The returned ``Outcome`` (also kept in ``last_outcome``) shows nothing in a notebook: the printed line is the verdict.
        """
        value = self._namespace.get(self.var, ____)
        self.last_outcome = self.evaluate(value)
        print(f"{self.label}: {self.last_outcome}")
        return self.last_outcome

    def hint(self) -> None:
        print(f"💡 Hint ({self.label}): {self.hint_text}")

    def solution(self) -> None:
        print(f"Solution ({self.label}):\n\n" + textwrap.indent(textwrap.dedent(self.solution_code).strip(), "    "))

    def __repr__(self) -> str:
        return f"{self.label}: {self.prompt or type(self).__doc__ or ''}".strip()

    # --- what the tests call ----------------------------------------------------------
    def solution_value(self) -> Any:
        namespace = self.solution_namespace()
        exec(textwrap.dedent(self.solution_code), namespace)
        if self.var not in namespace:
            raise AssertionError(f"{type(self).__name__}.solution_code does not define {self.var!r}")
        return namespace[self.var]

    def assert_check_passed(self, value: Any = ____) -> None:
        value = self.solution_value() if value is ____ else value
        outcome = self.evaluate(value)
        assert outcome.passed, f"{type(self).__name__}: expected the answer to pass, got {outcome}"

    def assert_check_failed(self, value: Any, message_contains: str = "") -> None:
        outcome = self.evaluate(value)
        assert outcome.status == "incorrect", f"{type(self).__name__}: expected {value!r} to fail, got {outcome}"
        assert message_contains.lower() in outcome.message.lower(), (
            f"{type(self).__name__}: message {outcome.message!r} does not mention {message_contains!r}"
        )


class NumberQuestion(Question):
    """A question whose answer is one number; ``expected()`` computes it (never a pasted literal)."""

    tolerance: float = 0.0
    units: str = ""

    def expected(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def wrong_answer_hints(self) -> dict:
        """Known wrong answers → a message explaining the likely mistake."""
        return {}

    def check_answer(self, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "item"):
            raise Incorrect(f"`{self.var}` should be a number, got {type(value).__name__} {value!r}")
        number = float(value.item() if hasattr(value, "item") else value)
        expected = float(self.expected())
        if abs(number - expected) <= self.tolerance:
            return
        for wrong, message in self.wrong_answer_hints().items():
            if abs(number - float(wrong)) <= self.tolerance:
                raise Incorrect(f"{value!r} is not it: {message}")
        raise Incorrect(f"{value!r} is not the right {self.units or 'number'}. Try `{self.label}.hint()`.")


class FunctionQuestion(Question):
    """A question whose answer is a function; ``cases()`` gives (args, expected) pairs."""

    def cases(self) -> Iterable[tuple[tuple, Any]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def same(self, got: Any, expected: Any) -> bool:
        if isinstance(expected, float):
            return isinstance(got, (int, float)) and math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-9)
        return got == expected

    def check_answer(self, value: Any) -> None:
        if not callable(value):
            raise Incorrect(f"`{self.var}` should be a function, got {type(value).__name__}")
        for args, expected in self.cases():
            got = value(*args)
            if not self.same(got, expected):
                shown = ", ".join(repr(a) for a in args)
                raise Incorrect(f"{self.var}({shown}) returned {got!r}, expected {expected!r}")


class BoundQuestions(list):
    """The questions ``bind`` created; a notebook cell ending in ``bind(globals())`` displays nothing more."""

    def _ipython_display_(self) -> None:
        """The printed "Exercises ready" line says it all."""


def bind_questions(namespace: dict, questions: Iterable[type[Question]], prefix: str = "q") -> BoundQuestions:
    """Put ``q1``, ``q2``, … into a notebook's ``globals()``; returns them (displaying nothing).

    Introduced in notebook 00 (start here).
    """
    if not isinstance(namespace, dict):
        raise TypeError(f"bind_questions needs the notebook's globals() dict, got {type(namespace).__name__}")
    bound = BoundQuestions()
    for number, question_class in enumerate(questions, start=1):
        name = f"{prefix}{number}"
        question = question_class(namespace, label=name)
        namespace[name] = question
        bound.append(question)
    namespace.setdefault(PLACEHOLDER_NAME, ____)
    print("Exercises ready: " + ", ".join(f"{q.label}" for q in bound) + " — call .check(), .hint() or .solution() on each.")
    return bound


def make_binder(questions: list[type[Question]]) -> Callable[[dict], BoundQuestions]:
    """A lesson module's ``bind(globals())`` function."""

    def bind(namespace: dict) -> BoundQuestions:
        return bind_questions(namespace, questions)

    return bind
