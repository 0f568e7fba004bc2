"""The Question API itself: verdicts, placeholders, binding, and the test helpers."""
from __future__ import annotations

import pytest

from lessons_lib.exercises import ____, FunctionQuestion, Incorrect, NumberQuestion, bind_questions


class ConvParameters(NumberQuestion):
    var = "n_params"
    prompt = "How many parameters has Conv2d(16, 32, 3)?"
    hint_text = "n · (f · k · k + 1)"
    solution_code = "n_params = 32 * (16 * 3 * 3 + 1)"

    def expected(self):
        return 32 * (16 * 3 * 3 + 1)

    def wrong_answer_hints(self):
        return {32 * 16 * 9: "you forgot the biases"}


class OutputSize(FunctionQuestion):
    var = "output_size"
    solution_code = """
    def output_size(w, k, s, p):
        return (w - k + 2 * p) // s + 1
    """

    def cases(self):
        return [((32, 5, 1, 0), 28), ((28, 3, 2, 1), 14)]


def test_solutions_pass_and_known_mistakes_get_their_message():
    ConvParameters().assert_check_passed()
    ConvParameters().assert_check_failed(4608, "forgot the biases")
    ConvParameters().assert_check_failed(7, "not the right")
    ConvParameters().assert_check_failed("4640", "should be a number")
    OutputSize().assert_check_passed()
    OutputSize().assert_check_failed(lambda w, k, s, p: (w - k) // s + 1, "expected 14")


def test_placeholder_and_unfinished_functions_are_not_attempted():
    assert ConvParameters().evaluate(____).status == "not attempted"

    def output_size(w, k, s, p):
        return ____ + w

    assert OutputSize().evaluate(output_size).status == "not attempted"


def test_a_crashing_answer_is_reported_not_raised():
    outcome = OutputSize().evaluate(lambda w, k, s, p: 1 / 0)
    assert outcome.status == "incorrect" and "ZeroDivisionError" in outcome.message


def test_bind_puts_q1_q2_into_the_namespace_and_check_reads_it(capsys):
    namespace = {}
    bind_questions(namespace, [ConvParameters, OutputSize])
    assert {"q1", "q2", "____"} <= set(namespace)
    outcome = namespace["q1"].check()
    assert outcome.status == "not attempted" and namespace["q1"].last_outcome is outcome
    assert outcome._ipython_display_() is None, "a notebook shows the printed verdict, not the Outcome's repr"
    namespace["n_params"] = 4640
    assert namespace["q1"].check().passed
    namespace["q1"].hint()
    namespace["q1"].solution()
    out = capsys.readouterr().out
    assert "q1: Correct" in out and "n · (f · k · k + 1)" in out and "n_params = 32 * (16 * 3 * 3 + 1)" in out


def test_bind_needs_a_dict():
    with pytest.raises(TypeError, match="globals"):
        bind_questions(["not", "a", "dict"], [ConvParameters])


def test_incorrect_is_an_exception_with_the_learners_message():
    with pytest.raises(Incorrect, match="biases"):
        ConvParameters().check_answer(4608)


# --- hints by level, hints from the last mistake, mistakes, diagnose, parts, progress -------------------------

from lessons_lib.exercises import MultiPartQuestion, Question, make_binder, make_progress  # noqa: E402


class Layered(NumberQuestion):
    """Parameters of Conv2d(16, 32, 3), with three hints."""

    var = "n_layered"
    prompt = "How many parameters has Conv2d(16, 32, 3)?"
    hints = ("one", "two", "three")
    solution_code = "n_layered = 32 * (16 * 9 + 1)"
    mistakes = (("n_layered = 32 * 16 * 9", "biases"), ("n_layered = 16 * (32 * 9 + 1)", "swapped"))

    def expected(self):
        return 32 * (16 * 9 + 1)

    def wrong_answer_hints(self):
        return {32 * 16 * 9: "you forgot the biases", 16 * (32 * 9 + 1): "you swapped input and output"}

    def check_answer(self, value):
        if value == -1:
            raise Incorrect("negative: a count is at least 0", hint="count, don't subtract")
        super().check_answer(value)


def test_hint_text_alone_is_the_only_hint_and_hints_give_hint_text():
    assert ConvParameters.hints == ("n · (f · k · k + 1)",)
    assert Layered.hint_text == "one" and Layered().all_hints() == ("one", "two", "three")


def test_hint_levels_and_the_count_of_hints_used(capsys):
    q = Layered()
    q.hint()
    assert "Hint 1/3" in capsys.readouterr().out
    q.hint(3)
    q.hint(7)
    out = capsys.readouterr().out
    assert "three" in out and "has 3 hints" in out and q.hints_used == 3
    with pytest.raises(TypeError, match="whole number"):
        q.hint("2")
    with pytest.raises(ValueError, match="from 1"):
        q.hint(0)


def test_hint_starts_from_the_mistake_the_last_check_saw(capsys):
    namespace = {"n_layered": 32 * 16 * 9}
    q = Layered(namespace, label="q1")
    q.check()
    q.hint()
    out = capsys.readouterr().out
    assert "Your last answer" in out and "forgot the biases" in out and "\none" not in out   # not the general hint 1
    assert "q1.hint(1)` … `q1.hint(3)` give the general hints" in out and q.hints_used == 1
    q.hint(2)                                         # a level asked for: the general hint, as always
    assert "two" in capsys.readouterr().out
    namespace["n_layered"] = -1                       # a mistake with its own hint: that hint, after the message
    q.check()
    q.hint()
    out = capsys.readouterr().out
    assert "count, don't subtract" in out and "\none" not in out
    namespace["n_layered"] = 7                        # not recognised: plain hint 1
    q.check()
    q.hint()
    assert "Your last answer" not in capsys.readouterr().out


def test_declared_mistakes_are_run_and_too_few_fail():
    Layered().assert_mistakes_fail()
    with pytest.raises(AssertionError, match="at least 2"):
        ConvParameters().assert_mistakes_fail()

    class Wrongly(Layered):
        mistakes = (("n_layered = 32 * 16 * 9", "biases"), ("n_layered = 32 * (16 * 9 + 1)", "anything"))

    with pytest.raises(AssertionError, match="passed the check"):
        Wrongly().assert_mistakes_fail()


class Doubler(FunctionQuestion):
    var = "double"
    prompt = "double(x)"
    solution_code = "double = lambda x: 2 * x"

    def cases(self):
        return [((1,), 2), ((5,), 10)]

    def diagnose(self, args, got, expected):
        return "you squared it" if got == args[0] ** 2 else None


def test_diagnose_names_a_wrong_function_and_args_are_copies():
    Doubler().assert_check_failed(lambda x: x ** 2, "squared")
    Doubler().assert_check_failed(lambda x: x + 1, "double(5) returned 6, expected 10")
    Doubler().assert_check_failed(3, "should be a function")


class TwoParts(MultiPartQuestion):
    """A question in two parts."""

    class A(Layered):
        pass

    class B(Doubler):
        mistakes = (("double = lambda x: x ** 2", "squared"), ("double = lambda x: x + 1", "expected"))

    parts = {"a": A, "b": B}


def test_multi_part_questions_check_each_part(capsys):
    namespace = {}
    bound = make_binder([TwoParts, Layered])(namespace)
    q1 = namespace["q1"]
    assert q1.a.label == "q1.a" and [leaf.label for leaf in q1.leaves()] == ["q1.a", "q1.b"]
    assert q1.check().status == "not attempted"
    namespace["n_layered"] = 32 * (16 * 9 + 1)
    assert q1.a.check().passed and q1.check().status == "incorrect"
    namespace["double"] = lambda x: 2 * x
    assert q1.check().passed
    q1.assert_check_passed()
    q1.assert_mistakes_fail()
    q1.solution()
    assert "double = lambda x: 2 * x" in capsys.readouterr().out and len(bound) == 2


def test_progress_shows_status_and_hints_used(capsys):
    questions = [Layered, Doubler]
    progress = make_progress(questions)
    namespace = {}
    make_binder(questions)(namespace)
    namespace["n_layered"] = 3
    namespace["q1"].check()
    namespace["q1"].hint(2)
    capsys.readouterr()
    rows = progress()
    assert [(r[0], r[2], r[3], r[4]) for r in rows] == [("q1", "not yet", 2, 1), ("q2", "not attempted", 0, 0)]
    out = capsys.readouterr().out
    assert "not yet" in out and "0 of 2 correct" in out and rows._ipython_display_() is None
    namespace["n_layered"] = 32 * 145
    namespace["q1"].check()
    assert progress()[0][2] == "correct"


def test_a_question_without_hints_or_mistakes_still_works(capsys):
    class Bare(Question):
        var = "x"
        solution_code = "x = 1"

        def check_answer(self, value):
            if value != 1:
                raise Incorrect("not 1")

    Bare().assert_check_passed()
    Bare().hint()
    assert "Hint 0/0" in capsys.readouterr().out


def test_what_a_learner_reads_has_no_emoji():
    """✅ ❌ 💡 ⚠️ rendered as empty boxes where the emoji font is missing: the library prints words instead."""
    import re
    from pathlib import Path

    emoji = re.compile("[\u2600-\u27bf\ufe0f\U0001f000-\U0001ffff]")
    package = Path(__file__).resolve().parents[1] / "lessons_lib"
    found = {f"{path.relative_to(package)}:{number}": line.strip() for path in sorted(package.rglob("*.py"))
             for number, line in enumerate(path.read_text().splitlines(), 1) if emoji.search(line)
             and "tests/test_exercises_core.py" not in line}
    assert not found, f"emoji in what learners read (use words or symbols every font has): {found}"
