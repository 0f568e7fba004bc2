"""The lesson-03 exercises: solutions pass, known mistakes get the right message, blanks are 'not attempted'."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lessons_lib.exercises import ____, lesson03


@pytest.fixture(scope="module")
def questions():
    namespace = {}
    bound = lesson03.bind(namespace)
    return dict(zip(["q1", "q2", "q3", "q4", "q5"], bound))


def test_there_are_at_least_three_questions(questions):
    assert len(lesson03.QUESTIONS) >= 3 and set(questions) == {"q1", "q2", "q3", "q4", "q5"}


@pytest.mark.parametrize("name", ["q1", "q2", "q3", "q4", "q5"])
def test_solutions_pass_and_blank_is_not_attempted(questions, name):
    question = questions[name]
    question.assert_check_passed()
    assert question.evaluate(____).status == "not attempted"
    assert question.hint_text and question.prompt


def test_frames_in_one_second(questions):
    q1 = questions["q1"]
    assert q1.expected() == 98
    q1.assert_check_failed(100, "last frames would run past")
    q1.assert_check_failed(97, "add 1")
    q1.assert_check_failed(40, "frames overlap")
    q1.assert_check_failed("98", "should be a number")
    q1.assert_check_passed(np.int64(98))


def test_hz_to_mel(questions):
    q2 = questions["q2"]
    q2.assert_check_failed(lambda f: 2595 * math.log(1 + f / 700), "natural log")
    q2.assert_check_failed(lambda f: 2595 * math.log10(f / 700) if f else 0.0, "1 + f / 700")
    q2.assert_check_failed(lambda f: 1000.0, "expected")
    q2.assert_check_failed(3.0, "should be a function")
    q2.assert_check_passed(lambda f: 2595 * np.log10(1 + f / 700))     # NumPy results are fine too


def test_front_end_output_shape(questions):
    q3 = questions["q3"]
    assert q3.expected() == (32, 25, 20)
    q3.assert_check_failed((3, 25, 20), "input depth")
    q3.assert_check_failed((32, 23, 19), "without padding")
    q3.assert_check_failed((32, 24, 20), "T/4 is only approximate")
    q3.assert_check_failed((16, 25, 20), "number of kernels")
    q3.assert_check_failed(np.zeros((32, 25, 20)), "plain tuple")
    q3.assert_check_failed((32, 25), "expected a tuple")


def test_front_end_parameters(questions):
    q4 = questions["q4"]
    assert q4.expected() == 10272
    q4.assert_check_failed(10144, "batch norms")
    q4.assert_check_failed(10400, "running mean")
    q4.assert_check_failed(10208, "bias")
    q4.assert_check_failed(768, "whole input depth")
    q4.assert_check_failed(5, "not the right")


def test_floor_under_the_log(questions):
    q5 = questions["q5"]
    ln10 = np.log(10)
    q5.assert_check_failed(lambda x, db: np.maximum(x, x.max() - db / 10), "natural logs")
    q5.assert_check_failed(lambda x, db: np.maximum(x, x.max() - db), "natural logs")
    q5.assert_check_failed(lambda x, db: np.minimum(x, x.max() - db * ln10 / 10), "np.maximum, not np.minimum")
    q5.assert_check_failed(lambda x, db: np.maximum(x, x.max(axis=0) - db * ln10 / 10), "not per band")
    q5.assert_check_failed(lambda x, db: np.maximum(x, x.max(axis=1, keepdims=True) - db * ln10 / 10), "not per band")
    q5.assert_check_failed(lambda x, db: x, "wrong values")
    q5.assert_check_failed(lambda x, db: x[:2], "keep the shape")
    q5.assert_check_failed(lambda x, db: float(x.max()), "same shape")
    q5.assert_check_failed(40.0, "should be a function")
    q5.assert_check_passed(lambda x, db: torch.clamp(torch.tensor(x), min=float(x.max() - db * ln10 / 10)))
