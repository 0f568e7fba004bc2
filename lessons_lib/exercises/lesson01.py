"""Exercises for notebook 01 (filters have depth): parameter counts, output sizes, and moving a
kernel between the Keras and PyTorch layouts.

In the notebook: ``from lessons_lib.exercises import lesson01`` then ``lesson01.bind(globals())``.
Introduced in notebook 01 (filters have depth).
"""
from __future__ import annotations

import numbers
from typing import Any

import torch

from ..conv import conv_output_size, conv_parameter_count
from .core import FunctionQuestion, Incorrect, NumberQuestion, Question, make_binder


class ParametersOfAConvLayer(NumberQuestion):
    """Parameters of nn.Conv2d(32, 64, kernel_size=3)."""

    var = "n_parameters"
    units = "parameter count"
    prompt = ("A conv layer with 64 filters of size 3×3 follows a layer with 32 feature maps. "
              "How many trainable parameters does it have? Set `n_parameters` (compute it, don't build the layer).")
    hint_text = "Each filter is 3×3×32 (it spans every input map) and has one bias: n · (f · k · k + 1)."
    solution_code = """
        n_parameters = 64 * (32 * 3 * 3 + 1)
    """
    correct_message = "64 filters × (32·3·3 weights + 1 bias)."

    def expected(self) -> int:
        return conv_parameter_count(32, 64, 3)

    def wrong_answer_hints(self) -> dict:
        return {
            64 * 32 * 3 * 3: "close: you forgot the biases (one per filter).",
            64 * (3 * 3 + 1): "each filter spans all 32 input maps, so it has 32·3·3 weights, not 3·3.",
            64 * 3 * 3: "each filter spans all 32 input maps (32·3·3 weights), and has a bias.",
            32 * (64 * 3 * 3 + 1): "you swapped input and output: there are 64 filters, each looking at 32 maps.",
        }


class OutputSize(FunctionQuestion):
    """Write output_size(size, kernel, stride, padding)."""

    var = "output_size"
    prompt = ("Write `output_size(size, kernel, stride, padding)` returning the output width of a convolution "
              "along one axis, as an int.")
    hint_text = ("Pad both sides (+2P), count how many steps of S the kernel can take (W − K + 2P) // S, "
                 "and add the starting position: ⌊(W − K + 2P) / S⌋ + 1.")
    solution_code = """
        def output_size(size, kernel, stride, padding):
            return (size - kernel + 2 * padding) // stride + 1
    """
    correct_message = "⌊(W − K + 2P) / S⌋ + 1."

    def cases(self):
        for size, kernel, stride, padding in [(32, 5, 2, 0), (32, 5, 1, 0), (28, 3, 1, 1), (227, 11, 4, 0),
                                              (7, 3, 2, 1), (28, 5, 1, 2), (10, 2, 2, 0)]:
            yield (size, kernel, stride, padding), conv_output_size(size, kernel, stride, padding)

    def check_answer(self, value: Any) -> None:
        if not callable(value):
            raise Incorrect(f"`{self.var}` should be a function, got {type(value).__name__}")
        for (size, kernel, stride, padding), expected in self.cases():
            got = value(size, kernel, stride, padding)
            if got == expected and isinstance(got, numbers.Integral) and not isinstance(got, bool):
                continue
            call = f"output_size({size}, {kernel}, {stride}, {padding})"
            exact = (size - kernel + 2 * padding) / stride + 1
            if isinstance(got, float) and got == exact and exact != expected:
                raise Incorrect(f"{call} returned {got!r}: a window cannot stop half-way, round down with // "
                                f"(expected {expected}).")
            if got == expected:
                raise Incorrect(f"{call} returned {got!r} ({type(got).__name__}); return an int, e.g. with //.")
            if got == expected - 1:
                raise Incorrect(f"{call} returned {got!r}, one short: don't forget the + 1 for the first position.")
            if got == (size - kernel) // stride + 1:
                raise Incorrect(f"{call} returned {got!r}: padding adds P on BOTH sides, so + 2P.")
            raise Incorrect(f"{call} returned {got!r}, expected {expected}.")


class KerasToTorch(Question):
    """Write keras_to_torch(kernel): (kh, kw, in, out) → (out, in, kh, kw)."""

    var = "keras_to_torch"
    prompt = ("Keras stores a Conv2D kernel as (kh, kw, in, out); PyTorch's Conv2d weight is (out, in, kh, kw). "
              "Write `keras_to_torch(kernel)` that takes a torch tensor in the Keras layout and returns it in "
              "PyTorch's layout, so that `conv.weight.data = keras_to_torch(kernel)` gives the same outputs.")
    hint_text = ("Axis 3 (out) must come first, then axis 2 (in), then axes 0 and 1 (kh, kw): tensor.permute(…). "
                 "reshape/view gives the right shape but scrambles the numbers.")
    solution_code = """
        def keras_to_torch(kernel):
            return kernel.permute(3, 2, 0, 1)
    """
    correct_message = "permute(3, 2, 0, 1) moves the axes (and the numbers with them)."

    def check_answer(self, value: Any) -> None:
        if not callable(value):
            raise Incorrect(f"`{self.var}` should be a function, got {type(value).__name__}")
        generator = torch.Generator().manual_seed(1)
        for shape in [(7, 7, 8, 16), (3, 5, 2, 4)]:
            kernel = torch.randn(shape, generator=generator)
            expected = kernel.permute(3, 2, 0, 1)
            got = value(kernel.clone())
            if not isinstance(got, torch.Tensor):
                raise Incorrect(f"keras_to_torch should return a torch tensor, got {type(got).__name__}")
            if tuple(got.shape) != tuple(expected.shape):
                raise Incorrect(f"for a Keras kernel of shape {shape} you returned shape {tuple(got.shape)}; "
                                f"PyTorch expects (out, in, kh, kw) = {tuple(expected.shape)}.")
            if not torch.equal(got, expected):
                raise Incorrect(f"the shape {tuple(got.shape)} is right but the numbers are in the wrong places: "
                                "reshape/view keeps the memory order; use permute to move axes.")


class DepthwiseParameters(NumberQuestion):
    """Parameters of nn.Conv2d(8, 8, kernel_size=7, groups=8)."""

    var = "n_depthwise"
    units = "parameter count"
    prompt = ("The 'traditional' per-channel convolution: `nn.Conv2d(8, 8, kernel_size=7, groups=8)` gives each "
              "of the 8 input maps its own 7×7 filter. How many trainable parameters does it have? Set `n_depthwise`.")
    hint_text = "With groups=8 each filter sees 8/8 = 1 input map: n · (f/groups · k · k + 1)."
    solution_code = """
        n_depthwise = 8 * (1 * 7 * 7 + 1)
    """
    correct_message = "8 filters × (1·7·7 + 1): a depthwise layer is cheap because each filter has depth 1."

    def expected(self) -> int:
        return conv_parameter_count(8, 8, 7, groups=8)

    def wrong_answer_hints(self) -> dict:
        return {
            conv_parameter_count(8, 8, 7): "that is an ordinary Conv2d(8, 8, 7); with groups=8 each filter has depth 1.",
            8 * 7 * 7: "nearly: add one bias per filter.",
            conv_parameter_count(8, 16, 7): "that is Keras's Conv2D(16, (7, 7)) after 8 maps, a full-depth layer.",
        }


QUESTIONS = [ParametersOfAConvLayer, OutputSize, KerasToTorch, DepthwiseParameters]
bind = make_binder(QUESTIONS)
