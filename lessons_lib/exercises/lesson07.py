"""Exercises for notebook 07 (MNIST end to end).

q1: the parameters of the walkthrough's Dense(512) after Flatten; q2: the permute() that turns a Keras Conv2D
kernel into a PyTorch weight; q3: moving the Dense kernel after a Flatten from Keras to PyTorch; q4: the lines of
a Kaggle submission file.

In the notebook: ``from lessons_lib.exercises import lesson07`` then ``lesson07.bind(globals())``.
Introduced in notebook 07 (MNIST end to end).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..conv import conv_output_size
from ..keras_interop import flatten_permutation
from .core import Incorrect, NumberQuestion, Question, make_binder, make_progress


def _after_pools(size: int, pools: int) -> int:
    for _ in range(pools):
        size = conv_output_size(size, 2, stride=2)
    return size


class DenseAfterFlatten(NumberQuestion):
    """Parameters of the walkthrough's Dense(512) layer, which follows Flatten."""

    var = "n_dense_parameters"
    units = "parameter count"
    prompt = ("In the walkthrough's network, three blocks each end with MaxPool2D(2, 2) (28 → 14 → 7 → ?), the last "
              "block has 128 maps, then Flatten and Dense(512). How many trainable parameters does that Dense(512) "
              "have? Set `n_dense_parameters` (compute it, don't build the layer).")
    hints = ("Flatten turns the last (H, W, 128) map into H·W·128 inputs. What is H after the third pool of 7?",
             "A 2×2 pool with stride 2 rounds down: ⌊7 / 2⌋ = 3, so 3·3·128 = 1,152 inputs.",
             "Every one of the 512 units has one weight per input and one bias: 512 · (1152 + 1).")
    hint_text = hints[0] + " " + hints[1]
    solution_code = """
        n_dense_parameters = (3 * 3 * 128 + 1) * 512
    """
    correct_message = "3·3·128 = 1,152 inputs, each unit has 1,152 weights + 1 bias: 590,336 — more than half the net."
    mistakes = (("n_dense_parameters = 3 * 3 * 128 * 512", "bias"),
                ("n_dense_parameters = (7 * 7 * 128 + 1) * 512", "pool"),
                ("n_dense_parameters = (4 * 4 * 128 + 1) * 512", "round"),
                ("n_dense_parameters = (3 * 3 + 1) * 512", "128 maps"))

    def expected(self) -> int:
        side = _after_pools(28, 3)
        return (side * side * 128 + 1) * 512

    def wrong_answer_hints(self) -> dict:
        side = _after_pools(28, 3)
        return {
            side * side * 128 * 512: "close: each of the 512 units also has a bias.",
            (7 * 7 * 128 + 1) * 512: "that counts a 7×7 map: you forgot the third block's pool (7 → 3).",
            7 * 7 * 128 * 512: "that forgets both the third pool (7 → 3) and the biases.",
            (28 * 28 * 128 + 1) * 512: "that ignores all three pools: the map is 3×3 by the time it is flattened.",
            (4 * 4 * 128 + 1) * 512: "a 2×2 pool with stride 2 rounds DOWN: ⌊7/2⌋ = 3, not 4.",
            (side * side + 1) * 512: "Flatten keeps every one of the 128 maps: 3·3·128 inputs, not 3·3.",
            (side * side * 128 + 1) * 256: "that is for 256 units; this layer has 512 (the next one has 256).",
        }


class KernelPermutation(Question):
    """The permute() order that turns a Keras Conv2D kernel into a PyTorch Conv2d weight."""

    var = "permutation"
    prompt = ("A Keras Conv2D kernel is stored (kh, kw, in, out); PyTorch's Conv2d weight is (out, in, kh, kw). "
              "Set `permutation` to the tuple of 4 axes such that `torch.as_tensor(kernel).permute(*permutation)` "
              "is the PyTorch weight.")
    hints = ("permute's i-th argument is the OLD axis that becomes new axis i.",
             "New axis 0 is 'out', which is old axis 3; new axis 1 is 'in', old axis 2.")
    hint_text = " ".join(hints)
    solution_code = """
        permutation = (3, 2, 0, 1)
    """
    correct_message = "(3, 2, 0, 1): out, in, kh, kw (keras_interop.conv_kernel_to_torch does exactly this)."
    mistakes = (("permutation = (3, 2, 1, 0)", "kh and kw"),
                ("permutation = (2, 3, 0, 1)", "in and out"),
                ("permutation = (3, 2, 0)", "4 axes"),
                ("permutation = (2, 3, 1, 0)", "inverse"))

    def check_answer(self, value: Any) -> None:
        if isinstance(value, str):
            raise Incorrect(f"`permutation` should be a tuple of 4 axis numbers like (0, 1, 2, 3), not a string")
        try:
            order = tuple(int(axis) for axis in value)
        except (TypeError, ValueError):
            raise Incorrect(f"`permutation` should be a tuple of 4 axis numbers, got {value!r}") from None
        axes = tuple(axis % 4 if -4 <= axis < 4 else axis for axis in order)   # permute takes -1 for axis 3
        if len(axes) != 4 or sorted(axes) != [0, 1, 2, 3]:
            raise Incorrect(f"`permutation` must name each of the 4 axes 0, 1, 2, 3 once, got {order}")
        order = axes
        kernel = torch.randn(7, 5, 8, 16)           # kh ≠ kw and in ≠ out, so every mistake shows
        got = tuple(kernel.permute(*order).shape)
        if order == (3, 2, 0, 1):
            return
        if order == (3, 2, 1, 0):
            raise Incorrect(f"that gives shape {got}: out and in are right, but kh and kw are swapped "
                            "(the kernel would be transposed spatially).")
        if order == (2, 3, 0, 1):
            raise Incorrect(f"that gives shape {got}: in and out are swapped; PyTorch puts out first.")
        if order == (2, 3, 1, 0):
            raise Incorrect(f"that is the inverse: it turns a PyTorch weight (out, in, kh, kw) into a Keras kernel. "
                            f"On a Keras kernel it gives {got}.")
        raise Incorrect(f"a Keras kernel (7, 5, 8, 16) becomes {got}; PyTorch expects (16, 8, 7, 5).")


class DenseKernelAfterFlatten(Question):
    """Move the Dense kernel that follows Flatten from Keras to PyTorch."""

    var = "dense_after_flatten"
    prompt = ("Keras flattens a (H, W, C) map channels last; PyTorch flattens (C, H, W). Write "
              "`dense_after_flatten(kernel, height, width, channels)` that takes the Keras Dense kernel "
              "(H·W·C, out) as a NumPy array and returns the PyTorch Linear weight (out, C·H·W) as a NumPy array, "
              "so the copied model gives the same predictions.")
    hints = ("Only the ROWS of the kernel (the inputs) are in a different order; then transpose (in, out) → (out, in).",
             "Reshape the rows to (H, W, C, out), move C to the front with transpose(2, 0, 1, 3), reshape back to "
             "(C·H·W, out), then .T.")
    hint_text = " ".join(hints)
    solution_code = """
        def dense_after_flatten(kernel, height, width, channels):
            out = kernel.shape[1]
            rows = kernel.reshape(height, width, channels, out).transpose(2, 0, 1, 3)
            return rows.reshape(channels * height * width, out).T
    """
    correct_message = "rows reordered from (H, W, C) to (C, H, W), then transposed: what copy_keras_weights does."
    mistakes = (("def dense_after_flatten(kernel, height, width, channels):\n    return kernel.T", "Flatten order"),
                ("def dense_after_flatten(kernel, height, width, channels):\n"
                 "    return kernel.reshape(kernel.shape[1], -1)", "transpose"),
                ("def dense_after_flatten(kernel, height, width, channels):\n"
                 "    return kernel.reshape(height, width, channels, -1).transpose(2, 1, 0, 3)"
                 ".reshape(height * width * channels, -1).T", "order"))

    def check_answer(self, value: Any) -> None:
        if not callable(value):
            raise Incorrect(f"`{self.var}` should be a function, got {type(value).__name__}")
        rng = np.random.default_rng(7)
        for height, width, channels, out in ((3, 3, 4, 5), (2, 3, 5, 4)):
            kernel = rng.normal(size=(height * width * channels, out))
            expected = kernel[flatten_permutation(height, width, channels)].T
            got = value(kernel.copy(), height, width, channels)
            got = got.detach().numpy() if isinstance(got, torch.Tensor) else np.asarray(got)
            if got.shape != expected.shape:
                raise Incorrect(f"for H, W, C = {height}, {width}, {channels} and {out} units you returned shape "
                                f"{got.shape}; a PyTorch Linear weight is (out, in) = {expected.shape}.")
            if np.allclose(got, expected):
                continue
            if np.allclose(got, kernel.T):
                raise Incorrect("a plain transpose keeps Keras's Flatten order (H, W, C); PyTorch's Flatten reads "
                                "(C, H, W), so reorder the rows first.")
            if np.allclose(got, kernel.reshape(out, -1)):
                raise Incorrect("reshape keeps the numbers in memory order; the kernel needs a transpose (in, out) → "
                                "(out, in), not a reshape.")
            raise Incorrect("the shape is right but the inputs are in the wrong order: PyTorch's input index is "
                            "(c·H + h)·W + w. Try the hint.")


class SubmissionLines(Question):
    """The lines of a Kaggle digit-recognizer submission."""

    var = "submission_lines"
    prompt = ("Write `submission_lines(labels)` returning the lines (strings, without newlines) of Kaggle's "
              "digit-recognizer submission for an array of predicted digits: the header, then one line per image.")
    hints = ("Kaggle's sample_submission.csv starts with the line ImageId,Label.",
             "ImageId counts from 1, not 0: f\"{i},{label}\" for i, label in enumerate(labels, start=1).")
    hint_text = " ".join(hints)
    solution_code = """
        def submission_lines(labels):
            return ["ImageId,Label"] + [f"{i},{int(label)}" for i, label in enumerate(labels, start=1)]
    """
    correct_message = "header ImageId,Label and 1-based ids: mnist.write_submission writes exactly these lines."
    mistakes = (("def submission_lines(labels):\n"
                 "    return ['ImageId,Label'] + [f'{i},{l}' for i, l in enumerate(labels)]", "1-based"),
                ("def submission_lines(labels):\n"
                 "    return [f'{i},{l}' for i, l in enumerate(labels, start=1)]", "header"),
                ("def submission_lines(labels):\n"
                 "    return ['id,label'] + [f'{i},{l}' for i, l in enumerate(labels, start=1)]", "ImageId,Label"))

    def check_answer(self, value: Any) -> None:
        if not callable(value):
            raise Incorrect(f"`{self.var}` should be a function, got {type(value).__name__}")
        labels = np.array([3, 7, 8, 0, 9])
        expected = ["ImageId,Label"] + [f"{i},{label}" for i, label in enumerate(labels, start=1)]
        result = value(labels)
        if isinstance(result, (str, bytes)):
            raise Incorrect("you returned one string; return a list of lines, one string per line without its "
                            "newline (the header, then one per image) — e.g. text.splitlines() of that string.")
        got = [str(line).rstrip("\n") for line in result]
        if got == expected:
            return
        if not got or "," not in got[0] or not got[0].split(",")[0].isalpha():
            raise Incorrect(f"the first line must be the header ImageId,Label, got {got[:1]}")
        if got[0] != expected[0]:
            raise Incorrect(f"Kaggle expects the header ImageId,Label exactly, got {got[0]!r}")
        if len(got) != len(expected):
            raise Incorrect(f"for {len(labels)} images expected {len(expected)} lines (header + one per image), "
                            f"got {len(got)}")
        if got[1].startswith("0,"):
            raise Incorrect("ImageId is 1-based: the first image is 1, not 0.")
        raise Incorrect(f"expected the lines {expected[:3]}…, got {got[:3]}…")


QUESTIONS = [DenseAfterFlatten, KernelPermutation, DenseKernelAfterFlatten, SubmissionLines]
bind = make_binder(QUESTIONS)
progress = make_progress(QUESTIONS)
