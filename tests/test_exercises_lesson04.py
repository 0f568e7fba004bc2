"""Lesson 04's exercises: the cases its `mistakes` cannot express (the contract is in test_exercises_all_lessons.py)."""
from lessons_lib.exercises import ____, lesson04


def test_unfinished_function_is_not_attempted():
    def separable_parameter_count(c_in, c_out, k):
        return ____

    assert lesson04.SeparableParameterCount().evaluate(separable_parameter_count).status == "not attempted"


def test_odd_answers():
    lesson04.WeightsSavedByFactorizing().assert_check_failed(12345, "hint")
    lesson04.WeightsSavedByFactorizing().assert_check_failed("114688", "should be a number")
    q = lesson04.SeparableParameterCount()
    q.assert_check_failed(42, "should be a function")
    q.assert_check_failed(lambda c_in, c_out, k: 1 / 0, "ZeroDivisionError")
