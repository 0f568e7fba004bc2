"""Lesson 00's exercises: the cases its `mistakes` cannot express (the contract is in test_exercises_all_lessons.py)."""
import numpy as np

from lessons_lib.exercises.lesson00 import DatasetSource, PixelsPerImage, ToUnitRange


def test_pixels_per_image_takes_numpy_integers():
    PixelsPerImage().assert_check_passed(np.int64(784))
    PixelsPerImage().assert_check_failed(56, "multiply")


def test_to_unit_range_must_return_an_array():
    ToUnitRange().assert_check_failed(lambda x: x.tolist(), "NumPy array")


def test_dataset_source_compares_with_the_learners_own_dataset():
    question = DatasetSource({"mnist": type("Loaded", (), {"source": "LESSONS_DATA_DIR"})()})
    question.assert_check_passed("LESSONS_DATA_DIR")
    question.assert_check_failed("sample", "came from 'LESSONS_DATA_DIR'")
