"""Exercises in the style of Kaggle Learn's learntools: one class per question.

A lesson module (``lessons_lib.exercises.lesson01`` …) defines ``Question`` subclasses, a list
``QUESTIONS`` and two one-liners::

    bind = make_binder(QUESTIONS)          # lesson01.bind(globals()) puts q1, q2, … into the notebook
    progress = make_progress(QUESTIONS)    # lesson01.progress() prints where the learner stands

The learner fills in a variable (or a function) named by the question, then calls ``q1.check()``;
``q1.hint()`` starts from the mistake the last check saw, ``q1.hint(2)``, ``q1.hint(3)`` go further,
and ``q1.solution()`` shows one answer. A variable still set to the placeholder ``____`` reports
"not attempted", so a notebook always runs top to bottom. A question with parts (``q3.a``,
``q3.b``) is a ``MultiPartQuestion``.

Every question's ``solution_code`` is executed by the test suite and must pass its own check, and
each of its declared ``mistakes`` (code that defines ``var`` wrongly, and a fragment the failure
message must contain) must fail with that message: tests/test_exercises_all_lessons.py runs them
for every lesson. The same classes feed the instructors' nbgrader course (``lessons_lib.homework``).

In the *students' copy* of graded homework (``python -m lessons_lib.homework students-copy``), each lesson module is
rewritten to hold only what a student may read — the prompts, each question's first hint, the variable names — and every
question class carries ``@withheld_answers``: ``solution_code``, ``expected()``, ``cases()``, ``hidden_cases()`` and
the other answer-bearing members raise ``AnswerWithheld``, ``solution()`` too, and ``check()`` reports an answer as
*recorded*: it is checked when the homework is graded, by the instructor's copy, outside the student's kernel.

Introduced in notebook 00 (start here).
"""
from __future__ import annotations

import copy
import math
import numbers
import textwrap
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from .. import settings


class _Placeholder:
    """The blank a learner replaces: ``answer = ____``."""

    def __repr__(self) -> str:
        return "____"


____ = _Placeholder()
PLACEHOLDER_NAME = "____"


class AnswerWithheld(AttributeError):
    """Raised in the students' copy of graded homework by every member that would give an answer away."""


WITHHELD_MEMBERS = ("solution_code", "expected", "cases", "hidden_cases", "solution_value", "check_answer",
                    "mistakes", "wrong_answer_hints", "diagnose", "correct_message", "giveaways")


class _Withheld:
    """A member the students' copy does not have: reading it raises ``AnswerWithheld`` saying why."""

    def __init__(self, name: str):
        self.name = name

    def __get__(self, obj, owner=None):
        who = (owner or type(obj)).__name__
        raise AnswerWithheld(
            f"{who}.{self.name} is not in this copy of the course: this is the students' copy for graded homework, "
            "which holds no solutions, expected values or hidden tests. Your answer is checked when the homework is "
            "graded; the hints (`.hint()`) are here.")


def withheld_answers(cls: type) -> type:
    """Class decorator of the students' copy: every answer-bearing member of ``cls`` raises ``AnswerWithheld``."""
    if not (isinstance(cls, type) and issubclass(cls, Question)):
        raise TypeError(f"withheld_answers decorates a Question class, got {cls!r}")
    cls.answers_withheld = True
    for name in WITHHELD_MEMBERS:
        setattr(cls, name, _Withheld(name))
    return cls


class Incorrect(Exception):
    """Raised by ``Question.check_answer`` with a message written for the learner.

    ``hint`` (optional) is advice for this very mistake: ``q1.hint()`` shows it first.
    """

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class Outcome:
    """The result of checking one answer: status is 'correct', 'incorrect', 'not attempted' or 'recorded'.

    ``hint`` is the advice that came with a recognised mistake (``Incorrect(message, hint=…)``). 'recorded' is the
    students' copy of graded homework: an answer is there and the grader checks it later (``ok``, not ``passed``).
    """

    status: str
    message: str
    hint: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == "correct"

    @property
    def ok(self) -> bool:
        """Correct, or recorded for the grader (the students' copy cannot check): what a graded cell asserts."""
        return self.status in ("correct", "recorded")

    @property
    def names_a_mistake(self) -> bool:
        """True when the check recognised what went wrong (not a generic "try the hint")."""
        return self.status == "incorrect" and (self.hint is not None or ".hint()" not in self.message)

    def _ipython_display_(self) -> None:
        """Already printed by ``check()``: show nothing more as a cell's result."""

    def __str__(self) -> str:
        # words, not emoji: ✅ ❌ 💡 render as empty boxes where the emoji font is missing (tests/test_exercises_core.py)
        icon = {"correct": "Correct", "incorrect": "Not yet", "not attempted": "Not attempted",
                "recorded": "Answered"}[self.status]
        return f"{icon}: {self.message}" if self.message else icon


def _uses_placeholder(value: Any) -> bool:
    if value is ____:
        return True
    code = getattr(value, "__code__", None)
    return code is not None and PLACEHOLDER_NAME in code.co_names


PROGRESS_STATUS = {None: "not attempted", "not attempted": "not attempted", "incorrect": "not yet",
                   "correct": "correct", "recorded": "answered (checked when graded)"}
RECORDED = ("your answer is kept: it is checked when your homework is graded (this copy of the course holds no "
            "answers to check it against).")


class Question:
    """One exercise. Subclasses set ``var``, ``prompt``, ``hints`` (or ``hint_text``), ``solution_code``,
    ``mistakes`` and implement ``check_answer(value)``, raising ``Incorrect("…")`` when the answer is wrong.

    ``var`` names the learner's variable or function in the notebook. ``solution_code`` is the
    code shown by ``solution()``; it is run by the tests, in ``solution_namespace()``, and must
    define ``var``. ``hints`` is a tuple of hints, each going further than the one before
    (``hint_text`` alone still works: it is the only hint). ``mistakes`` is a tuple of
    ``(code that defines var wrongly, a fragment the failure message must contain)`` — at least two.
    """

    var: str = ""
    prompt: str = ""
    hint_text: str = ""
    hints: tuple[str, ...] = ()
    solution_code: str = ""
    correct_message: str = ""
    mistakes: tuple[tuple[str, str], ...] = ()
    points: int = 1            # what its graded cell is worth in the instructors' nbgrader course
    needs: tuple[str, ...] = ()   # names from earlier notebook cells that the solution uses
    answers_withheld: bool = False   # True in the students' copy of graded homework (``withheld_answers``)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "hints" in cls.__dict__:
            cls.hints = tuple(cls.hints)
            if cls.hints and "hint_text" not in cls.__dict__:
                cls.hint_text = cls.hints[0]
        elif "hint_text" in cls.__dict__:
            cls.hints = (cls.hint_text,) if cls.hint_text else ()

    def __init__(self, namespace: dict | None = None, label: str | None = None):
        self._namespace = namespace if namespace is not None else {}
        self.label = label or type(self).__name__
        self.last_outcome: Outcome | None = None
        self.attempts = 0          # checks that found an answer (not the blank)
        self.hints_used = 0        # the furthest hint shown

    # --- what a subclass writes -------------------------------------------------------
    def check_answer(self, value: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def solution_namespace(self) -> dict:
        """Names the solution code may use (imports, data it needs). Override to add more."""
        import numpy as np
        import torch
        from torch import nn

        return {"math": math, "np": np, "torch": torch, "nn": nn}

    def require_function(self, value: Any) -> None:
        """The one check that an answer is callable: raises ``Incorrect`` saying what was given."""
        if not callable(value):
            raise Incorrect(f"`{self.var}` should be a function, got {type(value).__name__} {value!r}")

    # --- what the learner calls -------------------------------------------------------
    def evaluate(self, value: Any) -> Outcome:
        """Check ``value`` without printing: returns an ``Outcome``."""
        if _uses_placeholder(value):
            return Outcome("not attempted", f"replace ____ in `{self.var}` with your answer, then run the cell again.")
        if self.answers_withheld:
            return Outcome("recorded", RECORDED)
        try:
            self.check_answer(value)
        except Incorrect as wrong:
            return Outcome("incorrect", str(wrong), wrong.hint)
        except Exception as error:  # the learner's code raised: say so instead of crashing
            return Outcome("incorrect", f"checking `{self.var}` raised {type(error).__name__}: {error}")
        return Outcome("correct", self.correct_message)

    def answer(self) -> Any:
        """The learner's current value of ``var`` (the placeholder when it is not defined yet)."""
        return self._namespace.get(self.var, ____)

    def check(self) -> Outcome:
        """Check the learner's ``var`` from the notebook and print the verdict.

        The returned ``Outcome`` (also kept in ``last_outcome``) shows nothing in a notebook: the printed line is the verdict.
        """
        if self.var and self.var not in self._namespace:
            self.last_outcome = Outcome("not attempted", f"`{self.var}` is not defined yet: write your answer in its "
                                                         "cell and run that cell first.")
        else:
            self.last_outcome = self.evaluate(self.answer())
        if self.last_outcome.status != "not attempted":
            self.attempts += 1
        print(f"{self.label}: {self.last_outcome}")
        return self.last_outcome

    def all_hints(self) -> tuple[str, ...]:
        return tuple(self.hints) or ((self.hint_text,) if self.hint_text else ())

    def hint(self, level: int | None = None) -> None:
        """Print a hint. After a check that recognised a mistake, ``hint()`` is about that mistake alone (its message
        and the check's own hint for it); otherwise, and with a level (``hint(1)``, ``hint(2)``, …), the question's
        general hints, each going further than the one before."""
        hints = self.all_hints()
        if level is not None and (isinstance(level, bool) or not isinstance(level, numbers.Integral)):
            raise TypeError(f"{self.label}.hint(level): level should be a whole number 1 … {len(hints)}, got {level!r}")
        outcome = self.last_outcome
        if level is None and outcome is not None and outcome.names_a_mistake:
            lines = [f"Your last answer: {outcome.message}"] + ([outcome.hint] if outcome.hint else [])
            general = (f" — `{self.label}.hint(1)`{f' … `{self.label}.hint({len(hints)})`' if len(hints) > 1 else ''}"
                       f" give the general hint{'s' if len(hints) > 1 else ''}." if hints else "")
            self.hints_used = max(self.hints_used, 1)
            print(f"Hint on your last answer ({self.label}){general}\n" + "\n".join(lines))
            return
        level = 1 if level is None else int(level)
        lines = []
        if level < 1:
            raise ValueError(f"{self.label}.hint(level): hints are numbered from 1, got {level}")
        if level > len(hints):
            answer = "" if self.answers_withheld else f" `{self.label}.solution()` shows an answer."
            lines.append(f"({self.label} has {len(hints)} hint{'s' if len(hints) != 1 else ''}; "
                         f"here is the last.{answer})")
            level = len(hints)
        if hints:
            lines.append(hints[level - 1])
        self.hints_used = max(self.hints_used, level)
        more = f" — `{self.label}.hint({level + 1})` goes further." if level < len(hints) else ""
        print(f"Hint {level}/{len(hints)} ({self.label}){more}\n" + "\n".join(lines))

    def solution(self) -> None:
        if self.answers_withheld:
            self.solution_code          # raises AnswerWithheld, saying why
        if settings.HIDE_SOLUTIONS:
            print(f"Solution ({self.label}): hidden for this course's graded homework (LESSONS_HIDE_SOLUTIONS is set). "
                  f"Try `{self.label}.hint()`.")
            return
        print(f"Solution ({self.label}):\n\n" + textwrap.indent(textwrap.dedent(self.solution_code).strip(), "    "))

    def progress_rows(self) -> list[tuple[str, str, str, int, int]]:
        """(label, title, status, hints used, attempts) for ``progress()``."""
        status = PROGRESS_STATUS[self.last_outcome.status if self.last_outcome else None]
        about = (type(self).__doc__ or self.prompt or "").strip()
        title = about.splitlines()[0] if about else ""
        return [(self.label, title, status, self.hints_used, self.attempts)]

    def __repr__(self) -> str:
        return f"{self.label}: {self.prompt or type(self).__doc__ or ''}".strip()

    # --- what the tests (and the homework builder) call -------------------------------
    def leaves(self) -> list["Question"]:
        """The questions that are checked one by one: itself, or a multi-part question's parts."""
        return [self]

    def value_of(self, code: str) -> Any:
        """Run ``code`` in ``solution_namespace()`` and return the ``var`` it defines."""
        namespace = self.solution_namespace()
        exec(textwrap.dedent(code), namespace)
        if self.var not in namespace:
            raise AssertionError(f"{type(self).__name__}: the code {code!r} does not define {self.var!r}")
        return namespace[self.var]

    def solution_value(self) -> Any:
        return self.value_of(self.solution_code)

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

    def assert_mistakes_fail(self, at_least: int = 2) -> None:
        """Every declared mistake fails with its fragment; there must be at least ``at_least`` of them."""
        assert len(self.mistakes) >= at_least, (
            f"{type(self).__name__} declares {len(self.mistakes)} known mistakes; give it at least {at_least} "
            "as mistakes = ((\"wrong code defining var\", \"fragment of the message\"), ...)")
        for code, fragment in self.mistakes:
            namespace = self.solution_namespace()
            exec(textwrap.dedent(code), namespace)
            assert self.var in namespace, f"{type(self).__name__}: the mistake {code!r} does not define {self.var!r}"
            # checked as in a notebook whose globals are the namespace the code ran in
            outcome = type(self)(namespace, label=self.label).evaluate(namespace[self.var])
            assert outcome.status == "incorrect", f"{type(self).__name__}: the mistake {code!r} passed the check"
            assert fragment.lower() in outcome.message.lower(), (
                f"{type(self).__name__}: for the mistake {code!r} the message {outcome.message!r} "
                f"does not mention {fragment!r}")


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
    """A question whose answer is a function; ``cases()`` yields ``(args, expected)`` pairs.

    Each case calls the learner's function on a copy of ``args`` and compares with ``same(got, expected)``;
    on a mismatch ``diagnose(args, got, expected)`` may name the mistake (return a message, or ``None``
    for the default "returned …, expected …"). ``hidden_cases()`` (optional, literal args only) are
    the instructors' hidden tests: the same skill on other inputs.
    """

    def cases(self) -> Iterable[tuple[tuple, Any]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def hidden_cases(self) -> Iterable[tuple[tuple, Any]]:
        return ()

    def same(self, got: Any, expected: Any) -> bool:
        if isinstance(expected, float):
            return (isinstance(got, numbers.Real) and not isinstance(got, bool)
                    and math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-9))
        return got == expected

    def diagnose(self, args: tuple, got: Any, expected: Any) -> str | None:
        """Name the mistake behind a wrong result (the function counterpart of ``wrong_answer_hints``)."""
        return None

    def describe_call(self, args: tuple) -> str:
        return f"{self.var}({', '.join(repr(a) for a in args)})"

    def check_answer(self, value: Any) -> None:
        self.require_function(value)
        for args, expected in self.cases():
            got = value(*copy.deepcopy(args))
            if not self.same(got, expected):
                message = self.diagnose(args, got, expected)
                raise Incorrect(message or f"{self.describe_call(args)} returned {got!r}, expected {expected!r}")


class MultiPartQuestion(Question):
    """A question in parts, ``q3.a``, ``q3.b``, …: ``parts = {"a": PartA, "b": PartB}`` (Question classes).

    ``q3.a.check()`` checks one part; ``q3.check()`` checks them all. Its own ``mistakes`` are its parts'.
    """

    parts: dict[str, type[Question]] = {}

    def __init__(self, namespace: dict | None = None, label: str | None = None):
        super().__init__(namespace, label)
        self._parts: dict[str, Question] = {}
        for name, part_class in self.parts.items():
            part = part_class(self._namespace, label=f"{self.label}.{name}")
            setattr(self, name, part)
            self._parts[name] = part

    def leaves(self) -> list[Question]:
        return list(self._parts.values())

    def all_hints(self) -> tuple[str, ...]:
        return tuple(h for part in self._parts.values() for h in part.all_hints())

    def check(self) -> Outcome:
        outcomes = [part.check() for part in self._parts.values()]
        statuses = {o.status for o in outcomes}
        if statuses == {"correct"}:
            self.last_outcome = Outcome("correct", "all parts")
        elif statuses <= {"correct", "recorded"}:
            self.last_outcome = Outcome("recorded", RECORDED)
        elif statuses == {"not attempted"}:
            self.last_outcome = Outcome("not attempted", "no part answered yet")
        else:
            waiting = [p.label for p in self._parts.values() if not p.last_outcome.passed]
            self.last_outcome = Outcome("incorrect", "not yet: " + ", ".join(waiting))
        return self.last_outcome

    def hint(self, level: int | None = None) -> None:
        """Hints of the first part that is not correct yet (``q3.a.hint()`` asks one part)."""
        for part in self._parts.values():
            if not (part.last_outcome and part.last_outcome.passed):
                return part.hint(level)
        return next(iter(self._parts.values())).hint(level)

    def solution(self) -> None:
        for part in self._parts.values():
            part.solution()

    def progress_rows(self):
        return [row for part in self._parts.values() for row in part.progress_rows()]

    @property
    def solution_code(self) -> str:  # type: ignore[override]
        return "\n".join(textwrap.dedent(p.solution_code).strip() for p in self._parts.values())

    def assert_check_passed(self, value: Any = ____) -> None:
        for part in self._parts.values():
            part.assert_check_passed()

    def assert_mistakes_fail(self, at_least: int = 2) -> None:
        for part in self._parts.values():
            part.assert_mistakes_fail(at_least)


class BoundQuestions(list):
    """The questions ``bind`` created; a notebook cell ending in ``bind(globals())`` displays nothing more."""

    def _ipython_display_(self) -> None:
        """The printed "Exercises ready" line says it all."""


_BOUND: dict[tuple, BoundQuestions] = {}   # the questions last bound, per lesson (its tuple of classes)


def bind_questions(namespace: dict, questions: Iterable[type[Question]], prefix: str = "q") -> BoundQuestions:
    """Put ``q1``, ``q2``, … into a notebook's ``globals()``; returns them (displaying nothing).

    Introduced in notebook 00 (start here).
    """
    if not isinstance(namespace, dict):
        raise TypeError(f"bind_questions needs the notebook's globals() dict, got {type(namespace).__name__}")
    questions = tuple(questions)
    bound = BoundQuestions()
    for number, question_class in enumerate(questions, start=1):
        name = f"{prefix}{number}"
        question = question_class(namespace, label=name)
        namespace[name] = question
        bound.append(question)
    namespace.setdefault(PLACEHOLDER_NAME, ____)
    _BOUND[questions] = bound
    print("Exercises ready: " + ", ".join(f"{q.label}" for q in bound) + " — call .check(), .hint() or .solution() on each.")
    return bound


def make_binder(questions: list[type[Question]]) -> Callable[[dict], BoundQuestions]:
    """A lesson module's ``bind(globals())`` function."""

    def bind(namespace: dict) -> BoundQuestions:
        return bind_questions(namespace, questions)

    bind.questions = tuple(questions)
    return bind


class ProgressTable(list):
    """Rows (label, title, status, hints used, attempts) that ``progress()`` printed; displays nothing more."""

    def _ipython_display_(self) -> None:
        """The printed table says it all."""


def format_progress(rows: list[tuple[str, str, str, int, int]]) -> str:
    """The table ``progress()`` prints: one line per question (or part)."""
    header = ("question", "status", "hints used", "checks", "about")
    body = [(label, status, str(hints), str(attempts), textwrap.shorten(title, 60)) for label, title, status, hints, attempts in rows]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *body]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    done = sum(1 for r in rows if r[2] == "correct")
    lines.append(f"{done} of {len(rows)} correct.")
    return "\n".join(lines)


def make_progress(questions: list[type[Question]]) -> Callable[[], ProgressTable]:
    """A lesson module's ``progress()``: prints the table of the questions last bound into a notebook.

    One line in a lesson module: ``progress = make_progress(QUESTIONS)``.
    """
    key = tuple(questions)

    def progress() -> ProgressTable:
        bound = _BOUND.get(key)
        if bound is None:
            bound = BoundQuestions(question_class(label=f"q{n}") for n, question_class in enumerate(key, start=1))
        rows = ProgressTable(row for question in bound for row in question.progress_rows())
        print(format_progress(rows))
        return rows

    return progress
