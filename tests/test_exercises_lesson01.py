"""The lesson-01 exercises: solutions pass, known mistakes fail with the right message."""
import torch

from lessons_lib.exercises import ____
from lessons_lib.exercises.lesson01 import (QUESTIONS, DepthwiseParameters, KerasToTorch, OutputSize,
                                            ParametersOfAConvLayer, bind)


def test_every_solution_passes():
    assert len(QUESTIONS) >= 3
    for question_class in QUESTIONS:
        question_class().assert_check_passed()


def test_placeholder_is_not_attempted():
    for question_class in QUESTIONS:
        assert question_class().evaluate(____).status == "not attempted"

    def uses_placeholder(size, kernel, stride, padding):
        return ____

    assert OutputSize().evaluate(uses_placeholder).status == "not attempted"


def test_bind_creates_q1_to_q4():
    namespace = {}
    bound = bind(namespace)
    assert [q.label for q in bound] == ["q1", "q2", "q3", "q4"]
    assert namespace["q1"].check().status == "not attempted"
    namespace["n_parameters"] = 64 * (32 * 9 + 1)
    assert namespace["q1"].check().passed


def test_parameter_count_mistakes():
    q = ParametersOfAConvLayer()
    q.assert_check_failed(64 * 32 * 9, "biases")
    q.assert_check_failed(64 * 10, "all 32 input maps")
    q.assert_check_failed(32 * (64 * 9 + 1), "swapped")
    q.assert_check_failed(12345, "hint")
    q.assert_check_failed("18496", "should be a number")


def test_output_size_mistakes():
    q = OutputSize()
    q.assert_check_failed(lambda w, k, s, p: (w - k + 2 * p) / s + 1, "round down")
    q.assert_check_failed(lambda w, k, s, p: (w - k + 2 * p) // s, "+ 1")
    q.assert_check_failed(lambda w, k, s, p: (w - k) // s + 1, "2P")
    q.assert_check_failed(lambda w, k, s, p: float((w - k + 2 * p) // s + 1), "return an int")
    q.assert_check_failed(lambda w, k, s, p: 0, "expected")
    q.assert_check_failed(28, "should be a function")
    q.assert_check_failed(lambda w, k, s, p: 1 / 0, "ZeroDivisionError")


def test_kernel_conversion_mistakes():
    q = KerasToTorch()
    q.assert_check_failed(lambda k: k.reshape(k.shape[3], k.shape[2], k.shape[0], k.shape[1]), "permute")
    q.assert_check_failed(lambda k: k.permute(3, 2, 1, 0), "wrong places")   # kh and kw swapped
    q.assert_check_failed(lambda k: k.permute(2, 3, 0, 1), "shape")
    q.assert_check_failed(lambda k: k.numpy().transpose(3, 2, 0, 1), "torch tensor")
    q.assert_check_passed(lambda k: torch.einsum("uvio->oiuv", k))


def test_depthwise_mistakes():
    q = DepthwiseParameters()
    q.assert_check_failed(8 * (8 * 49 + 1), "ordinary Conv2d")
    q.assert_check_failed(8 * 49, "bias")
    q.assert_check_failed(16 * (8 * 49 + 1), "full-depth")
