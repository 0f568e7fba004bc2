import numpy as np

from lessons_lib.exercises import ____
from lessons_lib.exercises.lesson00 import DatasetSource, PixelsPerImage, ToUnitRange


def test_pixels_per_image():
    PixelsPerImage().assert_check_passed()
    PixelsPerImage().assert_check_failed(28, "one side")
    PixelsPerImage().assert_check_failed(1000, "not the right pixel count")
    assert PixelsPerImage().evaluate(____).status == "not attempted"


def test_to_unit_range():
    ToUnitRange().assert_check_passed()
    ToUnitRange().assert_check_failed(lambda x: x / 255, "float32")
    ToUnitRange().assert_check_failed(lambda x: x.astype(np.float32), "expected [[0.0, 0.2, 1.0]]")
    ToUnitRange().assert_check_failed(lambda x: (x / 255).astype(np.float32).ravel(), "keep the shape")


def test_dataset_source_compares_with_the_learners_own_dataset():
    DatasetSource().assert_check_passed()
    question = DatasetSource({"mnist": type("Loaded", (), {"source": "LESSONS_DATA_DIR"})()})
    question.assert_check_passed("LESSONS_DATA_DIR")
    question.assert_check_failed("sample", "came from 'LESSONS_DATA_DIR'")
    question.assert_check_failed("internet", "not one of the sources")
