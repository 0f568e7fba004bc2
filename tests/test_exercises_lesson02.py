"""Lesson 02's exercises: the cases its `mistakes` cannot express (the contract is in test_exercises_all_lessons.py)."""
import torch
from torch import nn

from lessons_lib.exercises.lesson02 import (BottleneckMultiplyAdds, CopyLinearIntoConv, KernelOfAFullyConnectedHead,
                                            ParametersOfA1x1Conv, bind)


def test_checking_q2_leaves_the_notebooks_random_state_alone():
    namespace = {}
    bind(namespace)
    namespace["conv_from_linear"] = namespace["q2"].solution_value()
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    assert namespace["q2"].check().passed
    assert torch.equal(torch.rand(3), expected_next), "checking q2 must not change the notebook's random numbers"


def test_1x1_reduction_is_96_channels_and_64_is_named_as_the_other_branch():
    q = ParametersOfA1x1Conv()
    assert q.expected() == 96 * 193
    outcome = q.evaluate(64 * 193)
    assert outcome.status == "incorrect" and "96" in outcome.message and "1×1 branch" in outcome.message
    q.assert_check_failed(777, "hint")
    q.assert_check_failed("18528", "should be a number")


def test_copy_linear_reports_a_crash_and_a_transposed_weight():
    def transposed(linear):
        conv = nn.Conv2d(linear.in_features, linear.out_features, 1)
        with torch.no_grad():
            conv.weight.copy_(linear.weight.T[:, :, None, None])   # does not fit (C_out, C, 1, 1)
        return conv

    CopyLinearIntoConv().assert_check_failed(transposed, "RuntimeError")
    CopyLinearIntoConv().assert_check_failed(42, "should be a function")


def test_bottleneck_and_head_odd_answers():
    BottleneckMultiplyAdds().assert_check_failed(1, "hint")
    q = KernelOfAFullyConnectedHead()
    q.assert_check_passed(torch.Size([64, 32, 5, 5]))
    q.assert_check_passed([64, 32, 5, 5])
    q.assert_check_failed((64, 800), "has 2 numbers")
    q.assert_check_failed("64, 32, 5, 5", "tuple of ints")
