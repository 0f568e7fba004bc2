"""Lesson 01's exercises: the cases its `mistakes` cannot express (the contract is in test_exercises_all_lessons.py)."""
import torch

from lessons_lib.exercises import ____
from lessons_lib.exercises.lesson01 import KerasToTorch, OutputSize, ParametersOfAConvLayer


def test_parameter_count_odd_answers():
    q = ParametersOfAConvLayer()
    q.assert_check_failed(12345, "hint")
    q.assert_check_failed("18496", "should be a number")


def test_output_size_odd_answers():
    def uses_placeholder(size, kernel, stride, padding):
        return ____

    assert OutputSize().evaluate(uses_placeholder).status == "not attempted"
    q = OutputSize()
    q.assert_check_failed(lambda w, k, s, p: 0, "expected")
    q.assert_check_failed(28, "should be a function")
    q.assert_check_failed(lambda w, k, s, p: 1 / 0, "ZeroDivisionError")
    q.assert_check_failed(lambda w, k, s, p: True, "expected")   # a bool is not an int answer


def test_output_size_names_padding_counted_once_not_the_plus_one():
    outcome = OutputSize().evaluate(lambda w, k, s, p: (w - k + p) // s + 1)
    assert "+ 1" not in outcome.message and "once" in outcome.message


def test_kernel_conversion_other_answers():
    q = KerasToTorch()
    q.assert_check_failed(lambda k: k.numpy().transpose(3, 2, 0, 1), "torch tensor")
    q.assert_check_passed(lambda k: torch.einsum("uvio->oiuv", k))
