"""The lesson-07 exercises: solutions pass, every declared mistake and a few more fail with the right message."""
from __future__ import annotations

import textwrap

import numpy as np
import pytest

from lessons_lib.exercises import ____
from lessons_lib.exercises.lesson07 import (QUESTIONS, DenseAfterFlatten, DenseKernelAfterFlatten, KernelPermutation,
                                            SubmissionLines, bind)


def test_solutions_pass_and_blanks_are_not_attempted():
    assert len(QUESTIONS) >= 3
    for question_class in QUESTIONS:
        question_class().assert_check_passed()
        assert question_class().evaluate(____).status == "not attempted"


@pytest.mark.parametrize("question_class", QUESTIONS, ids=[q.__name__ for q in QUESTIONS])
def test_declared_mistakes_fail_with_their_message(question_class):
    question = question_class()
    assert len(question.mistakes) >= 2
    for code, fragment in question.mistakes:
        namespace = question.solution_namespace()
        exec(textwrap.dedent(code), namespace)
        question.assert_check_failed(namespace[question.var], fragment)


def test_bind_creates_q1_to_q4():
    namespace = {}
    bound = bind(namespace)
    assert [q.label for q in bound] == ["q1", "q2", "q3", "q4"]
    namespace["n_dense_parameters"] = 590_336
    assert namespace["q1"].check().passed


def test_dense_parameter_mistakes():
    q = DenseAfterFlatten()
    q.assert_check_failed(7 * 7 * 128 * 512, "both")
    q.assert_check_failed((28 * 28 * 128 + 1) * 512, "three pools")
    q.assert_check_failed((1152 + 1) * 256, "512")
    q.assert_check_failed(123, "hint")
    q.assert_check_failed("590336", "should be a number")


def test_permutation_mistakes():
    q = KernelPermutation()
    q.assert_check_failed((0, 1, 2, 3), "(16, 8, 7, 5)")
    q.assert_check_failed((3, 3, 0, 1), "once")
    q.assert_check_failed("3201", "not a string")
    q.assert_check_failed(None, "tuple of 4")
    q.assert_check_passed([3, 2, 0, 1])


def test_dense_kernel_mistakes():
    q = DenseKernelAfterFlatten()
    q.assert_check_failed(lambda k, h, w, c: k, "shape")
    q.assert_check_failed(3, "function")
    import torch

    q.assert_check_passed(lambda k, h, w, c: torch.as_tensor(k).reshape(h, w, c, -1).permute(2, 0, 1, 3)
                          .reshape(h * w * c, -1).T)


def test_submission_mistakes():
    q = SubmissionLines()
    q.assert_check_failed(lambda labels: ["ImageId,Label"] + [f"{i},{l}" for i, l in enumerate(labels, 1)][:-1], "lines")
    q.assert_check_failed(lambda labels: ["ImageId,Label"] + [f"{i},{l + 1}" for i, l in enumerate(labels, 1)],
                          "expected the lines")
    q.assert_check_passed(lambda labels: ["ImageId,Label\n"] + [f"{i},{l}\n" for i, l in enumerate(np.asarray(labels), 1)])
