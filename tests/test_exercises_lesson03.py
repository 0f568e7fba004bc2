"""Lesson 03's exercises: the cases its `mistakes` cannot express (the contract is in test_exercises_all_lessons.py)."""
import math

import numpy as np
import torch

from lessons_lib.exercises import lesson03


def test_frames_and_parameters_odd_answers():
    q1 = lesson03.FramesInOneSecond()
    assert q1.expected() == 98
    q1.assert_check_failed("98", "should be a number")
    q1.assert_check_passed(np.int64(98))
    assert lesson03.FrontEndParameters().expected() == 10272
    lesson03.FrontEndParameters().assert_check_failed(5, "not the right")


def test_hz_to_mel_accepts_numpy_and_the_natural_log_form_with_1127():
    q2 = lesson03.HzToMel()
    q2.assert_check_passed(lambda f: 2595 * np.log10(1 + f / 700))
    q2.assert_check_passed(lambda f: 1127 * math.log(1 + f / 700))   # 1127 = 2595 / ln 10, rounded
    q2.assert_check_failed(3.0, "should be a function")


def test_front_end_output_shape_odd_answers():
    q3 = lesson03.FrontEndOutputShape()
    assert q3.expected() == (32, 25, 20)
    q3.assert_check_failed((16, 25, 20), "number of kernels")
    q3.assert_check_failed(np.zeros((32, 25, 20)), "plain tuple")
    q3.assert_check_failed((32, 25), "expected a tuple")
