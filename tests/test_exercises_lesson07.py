"""The lesson-07 exercises beyond the contract every lesson keeps (tests/test_exercises_all_lessons.py runs each
solution, blank and declared mistake): binding, and the known wrong answers that are not declared as mistakes."""
from __future__ import annotations


import numpy as np

from lessons_lib.exercises.lesson07 import (DenseAfterFlatten, DenseKernelAfterFlatten, KernelPermutation,
                                            SubmissionLines, bind)


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
    q.assert_check_passed((-1, -2, 0, 1))        # permute accepts negative axes (issue 29)
    q.assert_check_passed((-1, 2, -4, 1))
    q.assert_check_failed((-1, -2, 1, 0), "kh and kw")
    q.assert_check_failed((3, -1, 0, 1), "once")
    q.assert_check_failed((4, 2, 0, 1), "once")


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
    joined = lambda labels: "\n".join(["ImageId,Label"] + [f"{i},{l}" for i, l in enumerate(labels, 1)])
    q.assert_check_failed(joined, "one string")   # not "got ['I']" (issue 29)
