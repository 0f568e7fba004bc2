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
    assert "q1: ✅ Correct" in out and "n · (f · k · k + 1)" in out and "n_params = 32 * (16 * 3 * 3 + 1)" in out


def test_bind_needs_a_dict():
    with pytest.raises(TypeError, match="globals"):
        bind_questions(["not", "a", "dict"], [ConvParameters])


def test_incorrect_is_an_exception_with_the_learners_message():
    with pytest.raises(Incorrect, match="biases"):
        ConvParameters().check_answer(4608)
