"""The lesson-02 exercises: solutions pass, known mistakes fail with the right message."""
import torch
from torch import nn

from lessons_lib.exercises import ____
from lessons_lib.exercises.lesson02 import (QUESTIONS, BottleneckMultiplyAdds, CopyLinearIntoConv,
                                            KernelOfAFullyConnectedHead, ParametersOfA1x1Conv, bind)


def test_every_solution_passes():
    assert len(QUESTIONS) >= 3
    for question_class in QUESTIONS:
        question_class().assert_check_passed()


def test_placeholder_is_not_attempted():
    for question_class in QUESTIONS:
        assert question_class().evaluate(____).status == "not attempted"

    def uses_placeholder(linear):
        return ____

    assert CopyLinearIntoConv().evaluate(uses_placeholder).status == "not attempted"


def test_bind_creates_q1_to_q4_and_leaves_random_state_alone():
    namespace = {}
    bound = bind(namespace)
    assert [q.label for q in bound] == ["q1", "q2", "q3", "q4"]
    assert namespace["q1"].check().status == "not attempted"
    namespace["n_parameters_1x1"] = 64 * 193
    assert namespace["q1"].check().passed
    namespace["conv_from_linear"] = namespace["q2"].solution_value()
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    assert namespace["q2"].check().passed
    assert torch.equal(torch.rand(3), expected_next), "checking q2 must not change the notebook's random numbers"


def test_1x1_parameter_mistakes():
    q = ParametersOfA1x1Conv()
    q.assert_check_failed(64 * 192, "biases")
    q.assert_check_failed(192 * 65, "swapped")
    q.assert_check_failed(64 * (192 * 9 + 1), "3×3")
    q.assert_check_failed(64 * 2, "all 192 input channels")
    q.assert_check_failed(64 * 193 * 28 * 28, "shared")
    q.assert_check_failed(777, "hint")
    q.assert_check_failed("12352", "should be a number")


def _conv_of(linear, weight=None, copy_bias=True, kernel_size=1, channels=None):
    conv = nn.Conv2d(*(channels or (linear.in_features, linear.out_features)), kernel_size=kernel_size)
    with torch.no_grad():
        if weight is not None:
            conv.weight.copy_(weight)
        if copy_bias:
            conv.bias.copy_(linear.bias)
    return conv


def test_copy_linear_mistakes():
    q = CopyLinearIntoConv()
    q.assert_check_failed(lambda linear: linear, "return an nn.Conv2d")
    q.assert_check_failed(lambda linear: _conv_of(linear, kernel_size=3), "kernel_size=1")
    q.assert_check_failed(lambda linear: _conv_of(linear, copy_bias=False,
                                                   channels=(linear.out_features, linear.in_features)),
                          "in_features → in_channels")
    q.assert_check_failed(lambda linear: _conv_of(linear, linear.weight[:, :, None, None], copy_bias=False), "bias")
    # a transposed weight does not fit (C_out, C, 1, 1): PyTorch's shape error is reported, not raised
    q.assert_check_failed(lambda linear: _conv_of(linear, linear.weight.T[:, :, None, None]), "RuntimeError")
    # reshaped after transposing, it fits and gives wrong outputs
    q.assert_check_failed(lambda linear: _conv_of(linear, linear.weight.T.reshape(linear.out_features, -1, 1, 1)),
                          "not transposed")
    q.assert_check_failed(lambda linear: _conv_of(linear), "differ")           # weights never copied
    q.assert_check_failed(42, "should be a function")


def test_copy_linear_reports_a_crash_instead_of_raising():
    def crashes(linear):
        raise RuntimeError("shape mismatch")

    outcome = CopyLinearIntoConv().evaluate(crashes)
    assert outcome.status == "incorrect" and "RuntimeError" in outcome.message


def test_bottleneck_mistakes():
    q = BottleneckMultiplyAdds()
    direct = 192 * 128 * 9 * 28 * 28
    reduce_1x1, conv_3x3 = 192 * 96 * 28 * 28, 96 * 128 * 9 * 28 * 28
    q.assert_check_passed(reduce_1x1 + conv_3x3)
    q.assert_check_failed(direct, "without the 1×1 bottleneck")
    q.assert_check_failed(conv_3x3, "3×3 conv alone")
    q.assert_check_failed(reduce_1x1, "1×1 reduction alone")
    q.assert_check_failed(reduce_1x1 + 96 * 128 * 28 * 28, "by 9")
    q.assert_check_failed((reduce_1x1 + conv_3x3) // 784, "one output pixel")
    q.assert_check_failed(96 * 193 + 128 * (96 * 9 + 1), "number of parameters")
    q.assert_check_failed(1, "hint")


def test_head_kernel_mistakes():
    q = KernelOfAFullyConnectedHead()
    q.assert_check_passed(torch.Size([64, 32, 5, 5]))
    q.assert_check_passed([64, 32, 5, 5])
    q.assert_check_failed((64, 800, 1, 1), "800-channel")
    q.assert_check_failed((64, 32, 1, 1), "one pixel")
    q.assert_check_failed((32, 64, 5, 5), "out is 64")
    q.assert_check_failed((64, 800), "has 2 numbers")
    q.assert_check_failed("64, 32, 5, 5", "tuple of ints")
    q.assert_check_failed((64, 32, 3, 3), "hint")
