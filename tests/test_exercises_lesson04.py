"""Exercises of notebook 04: solutions pass, known mistakes fail with the right message, blanks are 'not attempted'."""
import pytest

from lessons_lib.exercises import ____, lesson04


@pytest.fixture
def questions():
    namespace = {}
    lesson04.bind(namespace)
    return namespace


def test_bind_creates_three_questions(questions):
    assert {"q1", "q2", "q3", "____"} <= set(questions)


@pytest.mark.parametrize("question", lesson04.QUESTIONS)
def test_solution_passes(question):
    question().assert_check_passed()


@pytest.mark.parametrize("question", lesson04.QUESTIONS)
def test_placeholder_is_not_attempted(question):
    assert question().evaluate(____).status == "not attempted"


def test_unfinished_function_is_not_attempted():
    def separable_parameter_count(c_in, c_out, k):
        return ____

    assert lesson04.SeparableParameterCount().evaluate(separable_parameter_count).status == "not attempted"


def test_check_reads_the_notebook_variable(questions, capsys):
    questions["weights_saved"] = 7 * 128 * 128
    assert questions["q1"].check().passed
    assert "Correct" in capsys.readouterr().out


def test_q1_known_mistakes():
    q = lesson04.WeightsSavedByFactorizing()
    c = 128
    q.assert_check_failed(25 * c * c - 9 * c * c, "only ONE 3×3")
    q.assert_check_failed(0.28, "fraction")
    q.assert_check_failed(28, "percentage")
    q.assert_check_failed(7, "128·128")
    q.assert_check_failed(25 * c - 18 * c, "C·C")
    q.assert_check_failed(12345, "hint")
    q.assert_check_failed("114688", "should be a number")


def test_q2_known_mistakes():
    q = lesson04.StridedReceptiveField()
    q.assert_check_failed(7, "ignores the stride")
    q.assert_check_failed(27, "add up")
    q.assert_check_failed(11, "own stride")


def test_q3_known_mistakes():
    q = lesson04.SeparableParameterCount()
    q.assert_check_failed(lambda c_in, c_out, k: k * k * c_in * c_out + c_in * c_out, "ONE k×k filter per input")
    q.assert_check_failed(lambda c_in, c_out, k: k * k * c_in * c_out, "full k×k convolution")
    q.assert_check_failed(lambda c_in, c_out, k: k * k * c_in, "only the depthwise")
    q.assert_check_failed(lambda c_in, c_out, k: c_in * c_out, "only the pointwise")
    q.assert_check_failed(lambda c_in, c_out, k: k * k * c_out + c_in * c_out, "INPUT channels")
    q.assert_check_failed(lambda c_in, c_out, k: k * k * c_in + c_in * c_out + c_in + c_out, "biases")
    q.assert_check_failed(42, "should be a function")
    q.assert_check_failed(lambda c_in, c_out, k: 1 / 0, "ZeroDivisionError")
