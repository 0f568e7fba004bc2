"""Exercises for notebook 01 (filters have depth): parameter counts, output sizes, and moving a
kernel between the Keras and PyTorch layouts.

In the notebook: ``from lessons_lib.exercises import lesson01`` then ``lesson01.bind(globals())``.
Introduced in notebook 01 (filters have depth).
"""
from __future__ import annotations

import numbers

import torch

from ..conv import conv_output_size, conv_parameter_count
from .core import FunctionQuestion, NumberQuestion, make_binder, make_progress


class ParametersOfAConvLayer(NumberQuestion):
    """Parameters of nn.Conv2d(32, 64, kernel_size=3)."""

    var = "n_parameters"
    units = "parameter count"
    prompt = ("A conv layer with 64 filters of size 3×3 follows a layer with 32 feature maps. "
              "How many trainable parameters does it have? Set `n_parameters` (compute it, don't build the layer).")
    hints = ("Count one filter first: how deep is it? It spans every one of the 32 input maps.",
             "Each filter is 3×3×32 (it spans every input map) and has one bias: n · (f · k · k + 1).",
             "64 filters × (32 · 3 · 3 weights + 1 bias).")
    solution_code = """
        n_parameters = 64 * (32 * 3 * 3 + 1)
    """
    correct_message = "64 filters × (32·3·3 weights + 1 bias)."
    mistakes = (
        ("n_parameters = 64 * 32 * 3 * 3", "forgot the biases"),
        ("n_parameters = 64 * 32 * 3 * 3 + 32", "one per input map"),
        ("n_parameters = 32 * (64 * 3 * 3 + 1)", "one per input map"),
        ("n_parameters = 64 * (3 * 3 + 1)", "all 32 input maps"),
    )

    def expected(self) -> int:
        return conv_parameter_count(32, 64, 3)

    def wrong_answer_hints(self) -> dict:
        return {
            64 * 32 * 3 * 3: "close: you forgot the biases (one per filter).",
            64 * (3 * 3 + 1): "each filter spans all 32 input maps, so it has 32·3·3 weights, not 3·3.",
            64 * 3 * 3: "each filter spans all 32 input maps (32·3·3 weights), and has a bias.",
            # 32 · (64·3·3 + 1) is the same number: swapping input and output gives it too
            64 * 32 * 3 * 3 + 32: "that is 64·32·3·3 weights plus 32 biases, one per input map. A bias belongs to a "
                                  "filter, i.e. to an OUTPUT map: 64 biases (swapping input and output gives this "
                                  "number too).",
        }


class OutputSize(FunctionQuestion):
    """Write output_size(size, kernel, stride, padding)."""

    var = "output_size"
    prompt = ("Write `output_size(size, kernel, stride, padding)` returning the output width of a convolution "
              "along one axis, as an int.")
    hints = ("Picture the padded row: it is W + 2P wide (P zeros on EACH side). How many positions can a K-wide "
             "window take when it moves S at a time?",
             "Pad both sides (+2P), count how many steps of S the kernel can take (W − K + 2P) // S, "
             "and add the starting position: ⌊(W − K + 2P) / S⌋ + 1.",
             "return (size - kernel + 2 * padding) // stride + 1")
    solution_code = """
        def output_size(size, kernel, stride, padding):
            return (size - kernel + 2 * padding) // stride + 1
    """
    correct_message = "⌊(W − K + 2P) / S⌋ + 1."
    mistakes = (
        ("output_size = lambda w, k, s, p: (w - k + 2 * p) // s", "+ 1 for the first position"),
        ("output_size = lambda w, k, s, p: (w - k + p) // s + 1", "padding counted once"),
        ("output_size = lambda w, k, s, p: (w - k) // s + 1", "without the padding"),
        ("output_size = lambda w, k, s, p: (w - k + 2 * p) / s + 1", "round down"),
        ("output_size = lambda w, k, s, p: float((w - k + 2 * p) // s + 1)", "return an int"),
    )

    # the first padded case tells 'padding counted once' (26), 'no padding' (24) and 'forgot + 1' (27) apart
    CASES = [(32, 5, 2, 0), (32, 5, 1, 0), (28, 5, 1, 2), (28, 3, 1, 1), (227, 11, 4, 0), (7, 3, 2, 1), (10, 2, 2, 0)]

    def cases(self):
        for size, kernel, stride, padding in self.CASES:
            yield (size, kernel, stride, padding), conv_output_size(size, kernel, stride, padding)

    def hidden_cases(self):
        for size, kernel, stride, padding in [(100, 7, 3, 2), (64, 3, 2, 1), (15, 15, 1, 0)]:
            yield (size, kernel, stride, padding), conv_output_size(size, kernel, stride, padding)

    def same(self, got, expected):
        return got == expected and isinstance(got, numbers.Integral) and not isinstance(got, bool)

    def diagnose(self, args, got, expected):
        size, kernel, stride, padding = args
        call = self.describe_call(args)
        exact = (size - kernel + 2 * padding) / stride + 1
        if isinstance(got, float) and got == exact and exact != expected:
            return f"{call} returned {got!r}: a window cannot stop half-way, round down with // (expected {expected})."
        if got == expected:
            return f"{call} returned {got!r} ({type(got).__name__}); return an int, e.g. with //."
        if padding and got == (size - kernel + padding) // stride + 1:
            return (f"{call} returned {got!r}: padding counted once. P zeros go on EACH side, "
                    f"so the padded width is W + 2P (expected {expected}).")
        if padding and got == (size - kernel) // stride + 1:
            return f"{call} returned {got!r}, the size without the padding: add 2P (P on both sides)."
        if got == expected - 1:
            return f"{call} returned {got!r}, one short: don't forget the + 1 for the first position."
        return f"{call} returned {got!r}, expected {expected}."


class KerasToTorch(FunctionQuestion):
    """Write keras_to_torch(kernel): (kh, kw, in, out) → (out, in, kh, kw)."""

    var = "keras_to_torch"
    prompt = ("Keras stores a Conv2D kernel as (kh, kw, in, out); PyTorch's Conv2d weight is (out, in, kh, kw). "
              "Write `keras_to_torch(kernel)` that takes a torch tensor in the Keras layout and returns it in "
              "PyTorch's layout, so that `conv.weight.data = keras_to_torch(kernel)` gives the same outputs.")
    hints = ("Number the Keras axes 0 = kh, 1 = kw, 2 = in, 3 = out. Which of them must come first in PyTorch?",
             "Axis 3 (out) must come first, then axis 2 (in), then axes 0 and 1 (kh, kw): tensor.permute(…). "
             "reshape/view gives the right shape but scrambles the numbers.",
             "return kernel.permute(3, 2, 0, 1)")
    solution_code = """
        def keras_to_torch(kernel):
            return kernel.permute(3, 2, 0, 1)
    """
    correct_message = "permute(3, 2, 0, 1) moves the axes (and the numbers with them)."
    # the lesson shows this permutation before the exercise: the graded handout names it without spelling it out
    # (text, in code cells, in prose)
    giveaways = (("permute(3, 2, 0, 1)",
                  "permute(*__import__('lessons_lib.exercises.lesson01', fromlist=['_']).KERAS_TO_TORCH_AXES)",
                  "`permute` (which order? that is exercise 3)"),)
    mistakes = (
        ("keras_to_torch = lambda k: k.permute(3, 2, 1, 0)", "kh and kw swapped"),
        ("keras_to_torch = lambda k: k.reshape(k.shape[3], k.shape[2], k.shape[0], k.shape[1])", "use permute"),
        ("keras_to_torch = lambda k: k", "still in Keras's"),
        ("keras_to_torch = lambda k: k.permute(3, 0, 1, 2)", "channels-last"),
        ("keras_to_torch = lambda k: k.permute(2, 3, 0, 1)", "out comes first"),
    )

    def cases(self):
        generator = torch.Generator().manual_seed(1)
        for shape in [(7, 7, 8, 16), (3, 5, 2, 4)]:
            kernel = torch.randn(shape, generator=generator)
            yield (kernel,), kernel.permute(3, 2, 0, 1)

    def same(self, got, expected):
        return isinstance(got, torch.Tensor) and torch.equal(got, expected)

    def diagnose(self, args, got, expected):
        (kernel,) = args
        keras = tuple(kernel.shape)
        if not isinstance(got, torch.Tensor):
            return f"keras_to_torch should return a torch tensor, got {type(got).__name__}"
        shape, wanted = tuple(got.shape), tuple(expected.shape)
        if got.shape == kernel.permute(3, 2, 1, 0).shape and torch.equal(got, kernel.permute(3, 2, 1, 0)):
            return ("kh and kw swapped: permute(3, 2, 1, 0) gives (out, in, kw, kh). PyTorch keeps the kernel's "
                    "height before its width: (out, in, kh, kw) = permute(3, 2, 0, 1).")
        if shape == wanted:
            return (f"the shape {shape} is right but the numbers are in the wrong places: reshape/view keeps the "
                    "memory order; use permute to move axes.")
        if shape == keras:
            return (f"{shape} is still in Keras's (kh, kw, in, out) order; PyTorch's weight is (out, in, kh, kw) "
                    f"= {wanted}.")
        if shape == (keras[3], keras[0], keras[1], keras[2]):
            return (f"{shape} is (out, kh, kw, in), the channels-last order; PyTorch puts the input channels "
                    f"right after the output channels: (out, in, kh, kw) = {wanted}.")
        if shape == (keras[2], keras[3], keras[0], keras[1]):
            return f"{shape} is (in, out, kh, kw): in PyTorch out comes first, (out, in, kh, kw) = {wanted}."
        return (f"for a Keras kernel of shape {keras} you returned shape {shape}; "
                f"PyTorch expects (out, in, kh, kw) = {wanted}.")


class DepthwiseParameters(NumberQuestion):
    """Parameters of nn.Conv2d(8, 8, kernel_size=7, groups=8)."""

    var = "n_depthwise"
    units = "parameter count"
    prompt = ("The 'traditional' per-channel convolution: `nn.Conv2d(8, 8, kernel_size=7, groups=8)` gives each "
              "of the 8 input maps its own 7×7 filter. How many trainable parameters does it have? Set `n_depthwise`.")
    hints = ("How deep is one filter when groups=8? It sees only its own group of input maps.",
             "With groups=8 each filter sees 8/8 = 1 input map: n · (f/groups · k · k + 1).")
    solution_code = """
        n_depthwise = 8 * (1 * 7 * 7 + 1)
    """
    correct_message = "8 filters × (1·7·7 + 1): a depthwise layer is cheap because each filter has depth 1."
    mistakes = (
        ("n_depthwise = 8 * (8 * 7 * 7 + 1)", "ordinary Conv2d"),
        ("n_depthwise = 8 * 7 * 7", "bias"),
        ("n_depthwise = 16 * (8 * 7 * 7 + 1)", "full-depth"),
    )

    def expected(self) -> int:
        return conv_parameter_count(8, 8, 7, groups=8)

    def wrong_answer_hints(self) -> dict:
        return {
            conv_parameter_count(8, 8, 7): "that is an ordinary Conv2d(8, 8, 7); with groups=8 each filter has depth 1.",
            8 * 7 * 7: "nearly: add one bias per filter.",
            conv_parameter_count(8, 16, 7): "that is Keras's Conv2D(16, (7, 7)) after 8 maps, a full-depth layer.",
        }


KERAS_TO_TORCH_AXES = (3, 2, 0, 1)   # what the graded handout's lesson cells use instead of the literal (q3)

QUESTIONS = [ParametersOfAConvLayer, OutputSize, KerasToTorch, DepthwiseParameters]
bind = make_binder(QUESTIONS)
progress = make_progress(QUESTIONS)
