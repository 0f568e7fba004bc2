"""The lesson-08 exercises beyond the contract every lesson keeps (tests/test_exercises_all_lessons.py runs each
solution, blank and declared mistake): binding, and the known wrong answers that are not declared as mistakes."""

import torch

from lessons_lib.exercises.lesson08 import C3Inputs, ReceptiveFieldSize, UnitByHand, bind


def test_bind_creates_q1_to_q3(capsys):
    namespace = {}
    bound = bind(namespace)
    assert [q.label for q in bound] == ["q1", "q2", "q3"]
    assert namespace["q1"].check().status == "not attempted"
    namespace["rf_size"] = 14
    assert namespace["q1"].check().passed


def test_receptive_field_answer_is_computed_not_pasted():
    assert ReceptiveFieldSize().expected() == 14
    q = ReceptiveFieldSize()
    q.assert_check_failed(11, "hint")
    q.assert_check_failed(12, "K − 1")


def test_c3_inputs_accepts_any_order_and_container():
    q = C3Inputs()
    q.assert_check_passed([5, 3, 4])
    q.assert_check_passed((3, 4, 5))
    q.assert_check_failed([3, 4], "row 3")
    q.assert_check_failed(["three"], "ints")


def test_unit_by_hand_other_answers():
    q = UnitByHand()
    q.assert_check_passed(lambda m, k, b, r, c: torch.clamp((m[:, r:r + k.shape[1], c:c + k.shape[2]] * k).sum() + b, min=0))
    q.assert_check_failed(lambda m, k, b, r, c: 0.0, "expected")
    q.assert_check_failed(lambda m, k, b, r, c: [1.0], "one number")
    q.assert_check_failed(3.0, "should be a function")
    q.assert_check_failed(lambda m, k, b, r, c: 1 / 0, "ZeroDivisionError")


def test_unit_by_hand_a_flipped_kernel_is_named_not_taken_for_channel_0():
    """A true convolution (kernel flipped) was told 'sum over all channels': the ReLU made both give 0."""
    q = UnitByHand()

    def true_convolution(maps, kernel, bias, row, col):
        k = kernel.shape[-1]
        flipped = torch.nn.functional.conv2d(maps[None], kernel.flip(-2, -1)[None], torch.tensor([bias], dtype=maps.dtype))
        return float(torch.relu(flipped[0, 0, row, col]))

    def conv2d_by_pytorch(maps, kernel, bias, row, col):
        out = torch.nn.functional.conv2d(maps[None], kernel[None], torch.tensor([bias], dtype=maps.dtype))
        return float(torch.relu(out[0, 0, row, col]))

    q.assert_check_failed(true_convolution, "cross-correlation")
    q.assert_check_passed(conv2d_by_pytorch)
    q.assert_check_failed(lambda m, k, b, r, c: float(torch.relu((m[0, r:r + k.shape[-1], c:c + k.shape[-1]] * k[0]).sum() + b)),
                          "every input channel")
