"""Lesson 00's exercises: the cases its `mistakes` cannot express (the contract is in test_exercises_all_lessons.py)."""
import numpy as np

from lessons_lib.exercises.lesson00 import DatasetSource, PixelsPerImage, ToUnitRange


def test_pixels_per_image_takes_numpy_integers():
    PixelsPerImage().assert_check_passed(np.int64(784))
    PixelsPerImage().assert_check_failed(56, "multiply")


def test_to_unit_range_must_return_an_array():
    ToUnitRange().assert_check_failed(lambda x: x.tolist(), "NumPy array")


def test_dataset_source_must_be_read_from_the_dataset_and_the_message_does_not_give_it_away():
    """A typed literal is right on one machine only; the wrong-answer messages never name `.source`."""
    question = DatasetSource()
    question.assert_check_passed(lambda dataset: dataset.source)
    question.assert_check_failed(lambda dataset: "LESSONS_DATA_DIR", "typed")
    for wrong in (lambda dataset: "sample", lambda dataset: dataset, lambda dataset: "internet"):
        assert ".source" not in question.evaluate(wrong).message


def test_the_whole_training_array_is_named_as_such():
    question = PixelsPerImage({"mnist": {"x_train": np.zeros((5, 28, 28), np.uint8)}})
    question.assert_check_failed(5 * 28 * 28, "all 5 training images")
