"""The lesson-03b exercises beyond the contract every lesson keeps (tests/test_exercises_all_lessons.py): their odd answers."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lessons_lib.exercises import lesson03b


@pytest.fixture(scope="module")
def questions():
    bound = lesson03b.bind({})
    return {f"q{n}": question for n, question in enumerate(bound, start=1)}


def test_there_are_at_least_three_questions(questions):
    assert len(questions) == len(lesson03b.QUESTIONS) >= 3


def test_clips_per_training_fold(questions):
    q1 = questions["q1"]
    assert q1.expected() == 2500
    q1.assert_check_failed(2700, "official split")
    q1.assert_check_failed(500, "tested on")
    q1.assert_check_failed(2000, "right number of clips")
    q1.assert_check_passed(np.int64(2500))


def test_louder_microphone(questions):
    q2 = questions["q2"]
    q2.assert_check_failed(10, "decibels")
    q2.assert_check_failed(1.0, "log10")
    q2.assert_check_failed(4.34, "the other way")
    q2.assert_check_failed(2 * math.log(10), "amplitudes")
    q2.assert_check_passed(np.log(10.0))


def test_mean_normalise(questions):
    q3 = questions["q3"]
    q3.assert_check_failed(lambda x: x - x.mean(axis=1, keepdims=True), "each band")
    q3.assert_check_failed(lambda x: x - x.mean(), "one mean per band")
    q3.assert_check_failed(lambda x: (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-5), "standard deviation")
    q3.assert_check_failed(lambda x: (x - x.mean(axis=0)) / x.std(axis=0, ddof=1), "whichever ddof")
    q3.assert_check_failed(lambda x: (x - x.mean(axis=0)) / (torch.tensor(x).std(dim=0).numpy() + 1e-5),
                           "standard deviation")                      # torch's std is the sample std (ddof=1)
    q3.assert_check_failed(lambda x: x, "wrong values")
    q3.assert_check_failed(lambda x: x[:2], "keep the shape")
    q3.assert_check_failed(lambda x: float(x.mean()), "same shape")
    q3.assert_check_failed(3.0, "should be a function")
    q3.assert_check_passed(lambda x: torch.tensor(x) - torch.tensor(x).mean(dim=0))


def test_floor_under_the_log(questions):
    q4 = questions["q4"]
    ln10 = math.log(10)
    q4.assert_check_failed(lambda x, db: np.maximum(x, x.max() - db / 10), "natural logs")
    q4.assert_check_failed(lambda x, db: np.maximum(x, x.max() - db), "natural logs")
    q4.assert_check_failed(lambda x, db: np.minimum(x, x.max() - db * ln10 / 10), "np.maximum, not np.minimum")
    q4.assert_check_failed(lambda x, db: np.maximum(x, x.max(axis=1, keepdims=True) - db * ln10 / 10), "not per band")
    q4.assert_check_failed(lambda x, db: np.maximum(x, x.max() - db * ln10 / 20), "amplitudes")
    q4.assert_check_failed(lambda x, db: np.maximum(x, x.max() - db / 20 * ln10), "10 · log10")
    q4.assert_check_failed(lambda x, db: x, "wrong values")
    q4.assert_check_failed(40.0, "should be a function")
    q4.assert_check_passed(lambda x, db: torch.clamp(torch.tensor(x), min=float(x.max() - db * ln10 / 10)))
