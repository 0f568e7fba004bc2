"""Exercises of notebook 00 (start here): a first taste of q.check(), q.hint(), q.solution()."""
from __future__ import annotations

import numpy as np

from .core import FunctionQuestion, Incorrect, NumberQuestion, Question, make_binder


class PixelsPerImage(NumberQuestion):
    """How many pixels has one MNIST image?"""

    var = "pixels_per_image"
    prompt = "How many pixels has one 28 × 28 MNIST image? Compute it from the array's shape."
    hint_text = "An image is `mnist['x_train'][0]`; its `.shape` is (height, width). Multiply them, or use `.size`."
    solution_code = "pixels_per_image = mnist['x_train'][0].size"
    units = "pixel count"

    def solution_namespace(self):
        namespace = super().solution_namespace()
        namespace["mnist"] = {"x_train": np.zeros((1, 28, 28), np.uint8)}
        return namespace

    def expected(self):
        return 28 * 28

    def wrong_answer_hints(self):
        return {28: "that is one side; an image has 28 rows of 28 pixels.", 56: "add? no — multiply height by width."}


class ToUnitRange(FunctionQuestion):
    """Scale uint8 images to floats in [0, 1]."""

    var = "to_unit_range"
    prompt = "Write `to_unit_range(images)` that turns uint8 pixels (0–255) into float32 values in [0, 1]."
    hint_text = "Convert the dtype first (`images.astype(np.float32)`), then divide by 255."
    solution_code = """
    def to_unit_range(images):
        return images.astype(np.float32) / 255.0
    """

    def check_answer(self, value):
        if not callable(value):
            raise Incorrect(f"`to_unit_range` should be a function, got {type(value).__name__}")
        images = np.array([[0, 51, 255]], dtype=np.uint8)
        result = value(images)
        if not isinstance(result, np.ndarray):
            raise Incorrect(f"return a NumPy array, got {type(result).__name__}")
        if result.dtype != np.float32:
            raise Incorrect(f"return float32 values (PyTorch's default), got dtype {result.dtype}")
        if result.shape != images.shape:
            raise Incorrect(f"keep the shape {images.shape}, got {result.shape}")
        if not np.allclose(result, [[0.0, 0.2, 1.0]]):
            raise Incorrect(f"to_unit_range([[0, 51, 255]]) gave {result.tolist()}, expected [[0.0, 0.2, 1.0]]")


class DatasetSource(Question):
    """Where did your MNIST come from?"""

    var = "my_source"
    prompt = "Set `my_source` to the source `load_dataset` reported for MNIST (read it from `mnist.source`)."
    hint_text = "The line printed by load_dataset says 'from …'; the same word is in `mnist.source`."
    solution_code = "my_source = mnist.source"
    sources = ("cache", "LESSONS_DATA_DIR", "download", "sample")

    def solution_namespace(self):
        namespace = super().solution_namespace()
        namespace["mnist"] = type("Loaded", (), {"source": "sample"})()
        return namespace

    def check_answer(self, value):
        if value not in self.sources:
            raise Incorrect(f"{value!r} is not one of the sources: {', '.join(self.sources)}")
        loaded = self._namespace.get("mnist")
        actual = getattr(loaded, "source", None)
        if actual is not None and value != actual:
            raise Incorrect(f"your MNIST came from {actual!r}, not {value!r}")


bind = make_binder([PixelsPerImage, ToUnitRange, DatasetSource])
