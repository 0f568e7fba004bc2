"""Exercises for notebook 02 (one-by-one convolution): the parameters of a 1×1 conv, copying a
Linear layer into a 1×1 conv, the multiply-adds of a bottleneck, and the kernel that replaces a
fully-connected head.

In the notebook: ``from lessons_lib.exercises import lesson02`` then ``lesson02.bind(globals())``.
Introduced in notebook 02 (one-by-one convolution).
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..conv import conv_multiply_adds, conv_parameter_count
from ..pointwise import linear_per_pixel, linear_to_conv
from .core import Incorrect, NumberQuestion, Question, make_binder, make_progress


class ParametersOfA1x1Conv(NumberQuestion):
    """Parameters of the 1×1 conv that reduces 192 channels to 96 before Inception (3a)'s 3×3 branch."""

    var = "n_parameters_1x1"
    units = "parameter count"
    prompt = ("GoogLeNet's first Inception block, (3a), reads a 192-channel 28×28 map and, before its 3×3 branch, "
              "reduces it with a 1×1 conv to 96 channels (with biases). How many trainable parameters does that "
              "1×1 conv have? Set `n_parameters_1x1` (compute it, don't build the layer).")
    hints = ("A 1×1 conv is a Linear(192, 96) applied at every pixel. How many weights has one of its 96 kernels?",
             "96 kernels, each with one weight per input channel (192) plus one bias. The 28×28 size does not enter.",
             "n_parameters_1x1 = 96 * (192 * 1 * 1 + 1)")
    solution_code = """
        n_parameters_1x1 = 96 * (192 * 1 * 1 + 1)
    """
    correct_message = "96 × (192 + 1), the same as nn.Linear(192, 96); the 28×28 size does not matter."
    mistakes = (
        ("n_parameters_1x1 = 64 * (192 + 1)", "separate 1×1 branch"),
        ("n_parameters_1x1 = 96 * 192", "forgot the biases"),
        ("n_parameters_1x1 = 96 * 192 + 192", "one per input channel"),
        ("n_parameters_1x1 = 96 * (192 * 3 * 3 + 1)", "3×3 conv"),
        ("n_parameters_1x1 = 96 * (192 + 1) * 28 * 28", "shared"),
    )

    def expected(self) -> int:
        return conv_parameter_count(192, 96, 1)

    def wrong_answer_hints(self) -> dict:
        return {
            conv_parameter_count(192, 64, 1): "64 is Inception (3a)'s separate 1×1 branch. The 1×1 conv in front of "
                                              "the 3×3 branch reduces to 96 channels (GoogLeNet's Table 1, "
                                              "'#3×3 reduce' = 96).",
            96 * 192: "close: you forgot the biases (one per output channel).",
            # 192 · (96 + 1) is the same number: swapping input and output gives it too
            96 * 192 + 192: "that is 96·192 weights plus 192 biases, one per input channel. A bias belongs to a "
                            "kernel, i.e. to an OUTPUT channel: 96 biases (swapping input and output gives this "
                            "number too).",
            96 * (192 * 3 * 3 + 1): "that is a 3×3 conv; a 1×1 kernel has one weight per input channel.",
            96 * (1 + 1): "a 1×1 kernel is 1×1 in space but still spans all 192 input channels.",
            96 * (192 + 1) * 28 * 28: "weights are shared across pixels: the 28×28 map size does not multiply the count.",
        }


class CopyLinearIntoConv(Question):
    """Write conv_from_linear(linear) -> nn.Conv2d with the same weights."""

    var = "conv_from_linear"
    prompt = ("Write `conv_from_linear(linear)` that takes an `nn.Linear(C, C_out)` and returns an "
              "`nn.Conv2d(C, C_out, kernel_size=1)` holding the same weights and bias, so that the conv gives on "
              "every pixel what the Linear gives on that pixel's channel vector.")
    hints = ("Build `nn.Conv2d(linear.in_features, linear.out_features, kernel_size=1)`; its weight has shape "
             "(C_out, C, 1, 1), the Linear's (C_out, C).",
             "Inside `with torch.no_grad():` copy `linear.weight[:, :, None, None]` (shape (C_out, C) → (C_out, C, 1, 1)) "
             "into `conv.weight` and `linear.bias` into `conv.bias`.")
    solution_code = """
        def conv_from_linear(linear):
            conv = nn.Conv2d(linear.in_features, linear.out_features, kernel_size=1)
            with torch.no_grad():
                conv.weight.copy_(linear.weight[:, :, None, None])   # (C_out, C) -> (C_out, C, 1, 1)
                conv.bias.copy_(linear.bias)
            return conv
    """
    correct_message = "the conv's weight is the Linear's weight with two trailing 1×1 axes."
    mistakes = (
        ("conv_from_linear = lambda linear: linear", "return an nn.Conv2d"),
        ("conv_from_linear = lambda linear: nn.Conv2d(linear.in_features, linear.out_features, 1)", "bias is not"),
        ("conv_from_linear = lambda linear: nn.Conv2d(linear.in_features, linear.out_features, 3)", "kernel_size=1"),
        ("""
def conv_from_linear(linear):
    conv = nn.Conv2d(linear.in_features, linear.out_features, kernel_size=1)
    with torch.no_grad():
        conv.weight.copy_(linear.weight[:, :, None, None])
    return conv
""", "bias"),
        ("""
def conv_from_linear(linear):
    conv = nn.Conv2d(linear.in_features, linear.out_features, kernel_size=1)
    with torch.no_grad():
        conv.weight.copy_(linear.weight.T.reshape(linear.out_features, -1, 1, 1))
        conv.bias.copy_(linear.bias)
    return conv
""", "not transposed"),
    )

    def layer_sizes(self) -> list[tuple[int, int]]:
        return [(8, 3), (5, 16), (4, 4)]   # the square case catches a transposed weight

    def check_answer(self, value: Any) -> None:
        self.require_function(value)
        generator = torch.Generator().manual_seed(0)
        for in_features, out_features in self.layer_sizes():
            with torch.random.fork_rng(devices=[]):  # leave the notebook's random state alone
                linear = nn.Linear(in_features, out_features)
            with torch.no_grad():
                linear.weight.copy_(torch.randn(out_features, in_features, generator=generator))
                linear.bias.copy_(0.5 + torch.rand(out_features, generator=generator))  # non-zero: a lost bias shows
            call = f"conv_from_linear(nn.Linear({in_features}, {out_features}))"
            with torch.random.fork_rng(devices=[]):  # building the conv draws random weights: not from the notebook's stream
                conv = value(linear)
            if not isinstance(conv, nn.Conv2d):
                raise Incorrect(f"{call} returned a {type(conv).__name__}; return an nn.Conv2d.")
            if tuple(conv.kernel_size) != (1, 1):
                raise Incorrect(f"{call} returned a conv with kernel_size {tuple(conv.kernel_size)}; "
                                "a Linear on one pixel's channels is a 1×1 conv: kernel_size=1.")
            if (conv.in_channels, conv.out_channels) != (in_features, out_features):
                raise Incorrect(f"{call} returned nn.Conv2d({conv.in_channels}, {conv.out_channels}, …); expected "
                                f"nn.Conv2d({in_features}, {out_features}, 1): in_features → in_channels, "
                                "out_features → out_channels.")
            if conv.bias is None or not torch.allclose(conv.bias.detach(), linear.bias.detach()):
                raise Incorrect(f"{call}: the conv's bias is not the Linear's bias; copy it with conv.bias.copy_(linear.bias).")
            x = torch.randn(2, in_features, 5, 6, generator=generator)
            with torch.no_grad():
                difference = (conv(x) - linear_per_pixel(linear, x)).abs().max().item()
            if difference > 1e-5:
                raise Incorrect(f"{call}: the conv's outputs differ from the Linear's at every pixel by up to "
                                f"{difference:.3g}. conv.weight[o, c, 0, 0] must be linear.weight[o, c] "
                                "(not transposed): use linear.weight[:, :, None, None].")


class BottleneckMultiplyAdds(NumberQuestion):
    """Multiply-adds of a 1×1 reduction 192→96 followed by a 3×3 conv 96→128 on a 28×28 map."""

    var = "bottleneck_multiply_adds"
    units = "multiply-add count"
    prompt = ("GoogLeNet's Inception (3a) 3×3 branch: on a 28×28 map with 192 channels, a 1×1 conv reduces to "
              "96 channels, then a 3×3 conv ('same' padding, stride 1) makes 128 channels. How many multiply-adds do "
              "the two convs take together, for one image (biases not counted)? Set `bottleneck_multiply_adds`.")
    hints = ("Count the two convs separately, then add them.",
             "One output value of a conv costs (input channels × kh × kw) multiply-adds; there are "
             "(output channels × 28 × 28) output values. Add the 1×1 layer's cost and the 3×3 layer's cost.",
             "192·96·28·28 for the 1×1 reduction plus 96·128·3·3·28·28 for the 3×3 conv.")
    solution_code = """
        reduce_1x1 = 192 * 96 * 1 * 1 * 28 * 28      # 96 output maps, each value reads 192 channels
        conv_3x3 = 96 * 128 * 3 * 3 * 28 * 28        # 128 output maps, each value reads 96 channels × 3×3
        bottleneck_multiply_adds = reduce_1x1 + conv_3x3
    """
    correct_message = "about 101 million, against 173 million for the 3×3 conv straight on 192 channels."
    mistakes = (
        ("bottleneck_multiply_adds = 192 * 128 * 3 * 3 * 28 * 28", "without the 1×1 bottleneck"),
        ("bottleneck_multiply_adds = 96 * 128 * 3 * 3 * 28 * 28", "3×3 conv alone"),
        ("bottleneck_multiply_adds = 192 * 96 * 28 * 28", "1×1 reduction alone"),
        ("bottleneck_multiply_adds = 192 * 96 + 96 * 128 * 3 * 3", "one output pixel"),
        ("bottleneck_multiply_adds = 192 * 96 * 28 * 28 + 96 * 128 * 28 * 28", "by 9"),
    )

    def expected(self) -> int:
        return conv_multiply_adds(192, 96, 1, 28, 28) + conv_multiply_adds(96, 128, 3, 28, 28)

    def wrong_answer_hints(self) -> dict:
        reduce_1x1 = conv_multiply_adds(192, 96, 1, 28, 28)
        conv_3x3 = conv_multiply_adds(96, 128, 3, 28, 28)
        return {
            conv_multiply_adds(192, 128, 3, 28, 28): "that is the 3×3 conv applied straight to the 192 channels, "
                                                     "without the 1×1 bottleneck.",
            conv_3x3: "that is the 3×3 conv alone; add the 1×1 reduction's own cost.",
            reduce_1x1: "that is the 1×1 reduction alone; add the 3×3 conv's cost.",
            reduce_1x1 + conv_multiply_adds(96, 128, 1, 28, 28): "a 3×3 kernel reads 3·3 = 9 positions of each input "
                                                                   "channel: multiply the 3×3 layer by 9.",
            (reduce_1x1 + conv_3x3) // (28 * 28): "that is the cost of one output pixel; multiply by the 28×28 positions.",
            conv_parameter_count(192, 96, 1) + conv_parameter_count(96, 128, 3): "that is the number of parameters; "
                                                                                  "each weight is used at every one of "
                                                                                  "the 28×28 positions.",
        }


class KernelOfAFullyConnectedHead(Question):
    """Shape of the conv weight that replaces nn.Linear(800, 64) reading a flattened (32, 5, 5) map."""

    var = "head_kernel_shape"
    prompt = ("A CNN's head is `nn.Flatten()` then `nn.Linear(800, 64)`, reading a (32, 5, 5) feature map. "
              "Turned into an `nn.Conv2d` that gives the same 64 numbers, what is the shape of the conv's weight, "
              "in PyTorch's order? Set `head_kernel_shape` to a tuple of four ints.")
    hints = ("PyTorch stores a conv weight as (out_channels, in_channels, kernel height, kernel width).",
             "Each of the 64 outputs reads every value of the (32, 5, 5) map, so its kernel covers the whole map.")
    solution_code = """
        head_kernel_shape = (64, 32, 5, 5)
    """
    correct_message = "64 kernels, each exactly the size of the (32, 5, 5) map: on a larger map it would slide."
    mistakes = (
        ("head_kernel_shape = (64, 800, 1, 1)", "800-channel"),
        ("head_kernel_shape = (64, 32, 1, 1)", "one pixel"),
        ("head_kernel_shape = (32, 64, 5, 5)", "out is 64"),
        ("head_kernel_shape = (5, 5, 32, 64)", "Keras"),
        ("head_kernel_shape = (64, 5, 5, 32)", "channels-last"),
    )

    def expected(self) -> tuple[int, ...]:
        return tuple(linear_to_conv(nn.Linear(800, 64), (32, 5, 5)).weight.shape)

    def check_answer(self, value: Any) -> None:
        if not isinstance(value, (tuple, list, torch.Size)) or not all(isinstance(v, int) for v in value):
            raise Incorrect(f"`{self.var}` should be a tuple of ints like (a, b, c, d), got {value!r}")
        got, expected = tuple(value), self.expected()
        if got == expected:
            return
        if len(got) != 4:
            raise Incorrect(f"{got} has {len(got)} numbers; a 2-D conv weight has 4: (out, in, kh, kw).")
        if got == (64, 800, 1, 1):
            raise Incorrect("(64, 800, 1, 1) would read an 800-channel map of size 1×1; here the map is "
                            "32 channels of 5×5, so the kernel is 32 × 5 × 5.")
        if got == (64, 32, 1, 1):
            raise Incorrect("a 1×1 kernel sees one pixel at a time; the Linear sees all 5×5 positions at once.")
        if got == (5, 5, 32, 64):
            raise Incorrect("(5, 5, 32, 64) is Keras's (kh, kw, in, out) order; PyTorch's is (out, in, kh, kw).")
        if got == (64, 5, 5, 32):
            raise Incorrect("(64, 5, 5, 32) is the channels-last order (out, kh, kw, in); PyTorch "
                            "puts the input channels second: (out, in, kh, kw).")
        if got[0] == expected[1] and got[1] == expected[0]:
            raise Incorrect(f"{got}: PyTorch orders a conv weight (out_channels, in_channels, kh, kw); out is 64.")
        raise Incorrect(f"{got} is not it. Try `{self.label}.hint()`.")


QUESTIONS = [ParametersOfA1x1Conv, CopyLinearIntoConv, BottleneckMultiplyAdds, KernelOfAFullyConnectedHead]
bind = make_binder(QUESTIONS)
progress = make_progress(QUESTIONS)
