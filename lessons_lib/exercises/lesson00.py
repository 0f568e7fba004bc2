"""Exercises of notebook 00 (start here): a first taste of q.check(), q.hint(), q.solution()."""
from __future__ import annotations

import numpy as np

from .core import FunctionQuestion, NumberQuestion, make_binder, make_progress


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
        ("pixels_per_image = mnist['x_train'].size", "every pixel of all 3 training images"),
    )

    def solution_namespace(self):
        namespace = super().solution_namespace()
        namespace["mnist"] = {"x_train": np.zeros((3, 28, 28), np.uint8)}
        return namespace

    def expected(self):
        return 28 * 28

    def wrong_answer_hints(self):
        hints = {28: "that is one side; an image has 28 rows of 28 pixels.", 56: "add? no — multiply height by width."}
        images = self._namespace.get("mnist", {}).get("x_train") if isinstance(self._namespace.get("mnist"), dict) else None
        if images is not None and images.ndim == 3 and images.size != 28 * 28:
            hints[images.size] = (f"that counts every pixel of all {len(images):,} training images; "
                                  "the question asks about one image, `mnist['x_train'][0]`.")
        return hints


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


class _LoadedDataset:
    """A stand-in for what ``load_dataset`` returns, with only the attribute the question is about."""

    def __init__(self, source: str):
        self.source = source

    def __repr__(self) -> str:
        return f"<a dataset loaded from {self.source!r}>"


class DatasetSource(FunctionQuestion):
    """Where did a dataset come from? Read it from the dataset, never type it."""

    var = "source_of"
    prompt = ("Write `source_of(dataset)` that returns the source `load_dataset` reported for a dataset it loaded "
              "('cache', 'LESSONS_DATA_DIR', 'download' or 'sample'), read from the dataset itself: on another "
              "machine the same call comes from another source.")
    hints = ("The line printed by load_dataset says 'from …'; the dataset it returns keeps that word.",
             "Look at what the loaded dataset offers besides its arrays: `mnist.` then Tab in JupyterLab lists it.")
    solution_code = """
    def source_of(dataset):
        return dataset.source
    """
    sources = ("cache", "LESSONS_DATA_DIR", "download", "sample")
    mistakes = (
        ("source_of = lambda dataset: 'sample'", "typed"),
        ("source_of = lambda dataset: dataset", "the dataset itself"),
        ("source_of = lambda dataset: 'internet'", "not one of the sources"),
    )

    def check_answer(self, value):
        self._function = value             # diagnose() calls it on the other sources too
        super().check_answer(value)

    def cases(self):
        for source in self.sources:
            yield (_LoadedDataset(source),), source

    def describe_call(self, args):
        return f"source_of({args[0]!r})"

    def diagnose(self, args, got, expected):
        if got is args[0] or isinstance(got, _LoadedDataset):
            return "source_of returned the dataset itself: return the word naming where it came from (a str)"
        if not isinstance(got, str) or got not in self.sources:
            return f"{got!r} is not one of the sources: {', '.join(self.sources)}"
        if all(self._call(source) == got for source in self.sources):
            return (f"source_of returns {got!r} whatever dataset it is given: that is a typed answer, true on one "
                    "machine only; read the source from the dataset it receives instead")
        return None

    def _call(self, source: str):
        try:
            return self._function(_LoadedDataset(source))
        except Exception:   # the learner's function failing on another input: not this diagnosis
            return None


QUESTIONS = [PixelsPerImage, ToUnitRange, DatasetSource]
bind = make_binder(QUESTIONS)
progress = make_progress(QUESTIONS)
