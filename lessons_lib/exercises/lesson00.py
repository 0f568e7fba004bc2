"""Exercises of notebook 00 (start here): a first taste of q.check(), q.hint(), q.solution()."""
from __future__ import annotations

import numpy as np

from .core import FunctionQuestion, Incorrect, NumberQuestion, Question, make_binder, make_progress


class PixelsPerImage(NumberQuestion):
    """How many pixels has one MNIST image?"""

    var = "pixels_per_image"
    prompt = "How many pixels has one 28 × 28 MNIST image? Compute it from the array's shape."
    hints = ("An image is `mnist['x_train'][0]`; its `.shape` is (height, width).",
             "Multiply the height by the width — or use the array's `.size`, which does it for you.")
    solution_code = "pixels_per_image = mnist['x_train'][0].size"
    units = "pixel count"
    needs = ("mnist",)   # names from earlier cells the solution uses (the homework builder keeps their cells)
    mistakes = (
        ("pixels_per_image = mnist['x_train'][0].shape[0]", "one side"),
        ("pixels_per_image = sum(mnist['x_train'][0].shape)", "multiply"),
        ("pixels_per_image = mnist['x_train'].size", "not the right pixel count"),
    )

    def solution_namespace(self):
        namespace = super().solution_namespace()
        namespace["mnist"] = {"x_train": np.zeros((3, 28, 28), np.uint8)}
        return namespace

    def expected(self):
        return 28 * 28

    def wrong_answer_hints(self):
        return {28: "that is one side; an image has 28 rows of 28 pixels.", 56: "add? no — multiply height by width."}


class ToUnitRange(FunctionQuestion):
    """Scale uint8 images to floats in [0, 1]."""

    var = "to_unit_range"
    prompt = "Write `to_unit_range(images)` that turns uint8 pixels (0–255) into float32 values in [0, 1]."
    hints = ("Two steps: change the dtype to float32, then scale 0…255 down to 0…1.",
             "Convert the dtype first (`images.astype(np.float32)`), then divide by 255.")
    solution_code = """
    def to_unit_range(images):
        return images.astype(np.float32) / 255.0
    """
    mistakes = (
        ("to_unit_range = lambda images: images / 255", "float32"),
        ("to_unit_range = lambda images: images.astype(np.float32)", "expected [[0.0, 0.2, 1.0]]"),
        ("to_unit_range = lambda images: (images / 255).astype(np.float32).ravel()", "keep the shape"),
        ("to_unit_range = lambda images: images.astype(np.float32) / 256", "255"),
    )

    def cases(self):
        yield (np.array([[0, 51, 255]], dtype=np.uint8),), np.array([[0.0, 0.2, 1.0]], dtype=np.float32)

    def same(self, got, expected):
        return (isinstance(got, np.ndarray) and got.dtype == expected.dtype and got.shape == expected.shape
                and np.allclose(got, expected))

    def diagnose(self, args, got, expected):
        (images,) = args
        if not isinstance(got, np.ndarray):
            return f"return a NumPy array, got {type(got).__name__}"
        if got.dtype != np.float32:
            return f"return float32 values (PyTorch's default), got dtype {got.dtype}"
        if got.shape != images.shape:
            return f"keep the shape {images.shape}, got {got.shape}"
        if np.allclose(got, images / 256):
            return "the largest pixel, 255, should become exactly 1: divide by 255, not 256."
        return f"to_unit_range([[0, 51, 255]]) gave {got.tolist()}, expected [[0.0, 0.2, 1.0]]"


class DatasetSource(Question):
    """Where did your MNIST come from?"""

    var = "my_source"
    prompt = "Set `my_source` to the source `load_dataset` reported for MNIST (read it from `mnist.source`)."
    hints = ("The line printed by load_dataset says 'from …'.",
             "The same word is stored on the dataset: `mnist.source`.")
    solution_code = "my_source = mnist.source"
    sources = ("cache", "LESSONS_DATA_DIR", "download", "sample")
    needs = ("mnist",)
    mistakes = (
        ("my_source = 'internet'", "not one of the sources"),
        ("my_source = mnist", "not one of the sources"),
        ("my_source = 'cache'", "came from 'sample'"),
    )

    def solution_namespace(self):
        namespace = super().solution_namespace()
        namespace["mnist"] = type("Loaded", (), {"source": "sample"})()
        return namespace

    def check_answer(self, value):
        if not isinstance(value, str) or value not in self.sources:
            raise Incorrect(f"{value!r} is not one of the sources: {', '.join(self.sources)}")
        loaded = self._namespace.get("mnist")
        actual = getattr(loaded, "source", None)
        if actual is not None and value != actual:
            raise Incorrect(f"your MNIST came from {actual!r}, not {value!r}")


QUESTIONS = [PixelsPerImage, ToUnitRange, DatasetSource]
bind = make_binder(QUESTIONS)
progress = make_progress(QUESTIONS)
