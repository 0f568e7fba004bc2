"""Exercises for notebook 04 (Inception-style factorization).

``lesson04.bind(globals())`` puts q1, q2, q3 into the notebook. Every expected value is computed
(with ``lessons_lib.conv`` or real PyTorch modules), never pasted.

Introduced in notebook 04 (Inception-style factorization).
"""
from __future__ import annotations

from ..conv import conv_parameter_count, count_parameters, receptive_field
from .core import FunctionQuestion, NumberQuestion, make_binder, make_progress

CHANNELS = 128


class WeightsSavedByFactorizing(NumberQuestion):
    """Weights saved by replacing one 5×5 layer (128 → 128) with two 3×3 layers (128 → 128 → 128), no biases."""

    var = "weights_saved"
    units = "number of weights"
    prompt = "How many weights do two 3×3 layers (128 → 128 → 128) save over one 5×5 layer (128 → 128)? No biases."
    hints = ("A k×k layer from C to C channels has k·k·C·C weights (each of the C filters spans all C input "
             "channels).",
             "Count the 5×5 layer, count BOTH 3×3 layers, subtract. "
             "conv_parameter_count(128, 128, 5, bias=False) does the counting for you.")
    solution_code = """
    from lessons_lib.conv import conv_parameter_count
    weights_saved = conv_parameter_count(128, 128, 5, bias=False) - 2 * conv_parameter_count(128, 128, 3, bias=False)
    """
    correct_message = "7·128² = 114,688 weights fewer: 28 % of the 5×5 layer."
    mistakes = (
        ("weights_saved = 25 * 128 * 128 - 9 * 128 * 128", "only ONE 3×3"),
        ("weights_saved = 0.28", "fraction"),
        ("weights_saved = 28", "percentage"),
        ("weights_saved = 25 - 18", "128·128"),
        ("weights_saved = 25 * 128 - 18 * 128", "C·C"),
        ("weights_saved = (25 * 128 + 1) * 128 - 2 * (9 * 128 + 1) * 128", "biases"),
    )

    def expected(self) -> int:
        return conv_parameter_count(CHANNELS, CHANNELS, 5, bias=False) - 2 * conv_parameter_count(
            CHANNELS, CHANNELS, 3, bias=False)

    def wrong_answer_hints(self) -> dict:
        c = CHANNELS
        return {
            25 * c * c - 9 * c * c: "that counts only ONE 3×3 layer; the factorization uses two.",
            (25 * c + 1) * c - 2 * (9 * c + 1) * c: "that includes biases; the question leaves them out.",
            25 - 18: "that is the saving per pair of channels; multiply by the 128·128 channel pairs.",
            0.28: "that is the fraction saved; the question asks for the number of weights.",
            28: "that is the percentage saved; the question asks for the number of weights.",
            25 * c - 18 * c: "each filter spans all 128 input channels AND there are 128 filters: use C·C, not C.",
        }


class StridedReceptiveField(NumberQuestion):
    """Receptive field of 3×3 (stride 1) → 3×3 (stride 2) → 3×3 (stride 1)."""

    var = "field_width"
    units = "receptive-field width"
    prompt = "Receptive field (in input pixels) of three stacked 3×3 convolutions whose middle one has stride 2."
    hints = ("Walk from the input: each layer adds (k − 1) × jump pixels, where jump is the product of the "
             "strides of the layers BEFORE it.",
             "1 + 2·1 (first layer) + 2·1 (second: no stride before it) + 2·2 (third: after the stride-2 layer). "
             "Or call receptive_field([(3, 1), (3, 2), (3, 1)]).")
    solution_code = """
    from lessons_lib.conv import receptive_field
    field_width = receptive_field([(3, 1), (3, 2), (3, 1)])
    """
    correct_message = "1 + 2·1 + 2·1 + 2·2 = 9: after the stride-2 layer, each step of the last kernel jumps 2 pixels."

    layers = [(3, 1), (3, 2), (3, 1)]
    mistakes = (
        ("field_width = 7", "ignores the stride"),
        ("field_width = 27", "add up"),
        ("field_width = 11", "own stride"),
    )

    def expected(self) -> int:
        return receptive_field(self.layers)

    def _own_stride_mistake(self) -> int:
        field, jump = 1, 1
        for kernel, stride in self.layers:
            jump *= stride               # wrong: the stride applied before the layer's own kernel
            field += (kernel - 1) * jump
        return field

    def wrong_answer_hints(self) -> dict:
        return {
            receptive_field([(3, 1)] * 3): "that ignores the stride: after a stride-2 layer, neighbouring units of "
                                          "the next layer are 2 input pixels apart, so its kernel spans twice as far.",
            self._own_stride_mistake(): "a layer's own stride does not widen its own kernel; only the strides "
                                        "of the layers BEFORE it do.",
            27: "receptive fields add up, they do not multiply.",
        }


def _separable_weights(c_in: int, c_out: int, k: int) -> int:
    from ..factorization import depthwise_separable_conv

    return count_parameters(depthwise_separable_conv(c_in, c_out, k, bias=False))


class SeparableParameterCount(FunctionQuestion):
    """A function counting the weights of a depthwise-separable convolution (no biases)."""

    var = "separable_parameter_count"
    prompt = ("Write separable_parameter_count(c_in, c_out, k): weights (no biases) of a depthwise k×k conv on "
              "c_in channels followed by a pointwise 1×1 from c_in to c_out channels.")
    hints = ("Two layers: a depthwise k×k conv (groups=c_in) and a pointwise 1×1 conv. Count each.",
             "Depthwise: one k×k filter per input channel (groups=c_in) → k·k·c_in. Pointwise: a 1×1 conv "
             "from c_in to c_out channels → c_in·c_out. Add them.")
    solution_code = """
    def separable_parameter_count(c_in, c_out, k):
        return k * k * c_in + c_in * c_out
    """
    correct_message = "k²·C + C·C′: about 1/C′ + 1/k² of a full k×k convolution."
    mistakes = (
        ("separable_parameter_count = lambda c_in, c_out, k: k * k * c_in * c_out + c_in * c_out", "ONE k×k filter per input"),
        ("separable_parameter_count = lambda c_in, c_out, k: k * k * c_in * c_out", "full k×k convolution"),
        ("separable_parameter_count = lambda c_in, c_out, k: k * k * c_in", "only the depthwise"),
        ("separable_parameter_count = lambda c_in, c_out, k: c_in * c_out", "only the pointwise"),
        ("separable_parameter_count = lambda c_in, c_out, k: k * k * c_out + c_in * c_out", "INPUT channels"),
        ("separable_parameter_count = lambda c_in, c_out, k: k * k * c_in + c_in * c_out + c_in + c_out", "biases"),
    )

    def cases(self):
        # expected values come from real PyTorch modules
        for c_in, c_out, k in [(64, 128, 3), (32, 32, 5), (3, 16, 3), (128, 64, 7)]:
            yield (c_in, c_out, k), _separable_weights(c_in, c_out, k)

    def hidden_cases(self):
        for c_in, c_out, k in [(16, 48, 3), (256, 256, 1)]:
            yield (c_in, c_out, k), _separable_weights(c_in, c_out, k)

    def diagnose(self, args, got, expected):
        c_in, c_out, k = args
        known = {
            k * k * c_in * c_out + c_in * c_out: "the depthwise part has ONE k×k filter per input channel "
                                                 "(k·k·c_in weights), not k·k·c_in·c_out.",
            k * k * c_in * c_out: "that is a full k×k convolution; the point of separable convolution is to split it "
                                  "into a depthwise k×k (k·k·c_in) and a pointwise 1×1 (c_in·c_out).",
            k * k * c_in: "that is only the depthwise part; add the pointwise 1×1 from c_in to c_out channels.",
            c_in * c_out: "that is only the pointwise 1×1; add the depthwise k×k filters, one per input channel.",
            k * k * c_out + c_in * c_out: "the depthwise conv runs on the INPUT channels: k·k·c_in, not k·k·c_out.",
            k * k * c_in + c_in * c_out + c_in + c_out: "leave the biases out.",
        }
        if got in known:
            return f"{self.describe_call(args)} returned {got!r}: {known[got]}"
        return None


QUESTIONS = [WeightsSavedByFactorizing, StridedReceptiveField, SeparableParameterCount]
bind = make_binder(QUESTIONS)
progress = make_progress(QUESTIONS)
