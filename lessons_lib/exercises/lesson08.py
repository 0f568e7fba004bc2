"""Exercises for notebook 08 (inside a CNN): the receptive field of conv5-pool2-conv5, which pool1 maps feed
conv2 map 3 through LeNet-5's C3 table, and one unit's value computed by hand.

In the notebook: ``from lessons_lib.exercises import lesson08`` then ``lesson08.bind(globals())``.
Introduced in notebook 08 (inside a CNN).
"""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import torch
from torch import nn

from ..conv import lenet5_c3_table
from ..inspection import receptive_field
from .core import Incorrect, NumberQuestion, Question, make_binder, make_progress


def _conv5_pool2_conv5() -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(1, 1, 5), nn.MaxPool2d(2), nn.Conv2d(1, 1, 5))


class ReceptiveFieldSize(NumberQuestion):
    """Receptive field of one unit after conv5 (stride 1) → max-pool 2×2 (stride 2) → conv5 (stride 1)."""

    var = "rf_size"
    units = "receptive-field size (pixels along one side)"
    prompt = ("A unit of the second conv layer of conv 5×5 (stride 1) → max-pool 2×2 (stride 2) → conv 5×5 "
              "(stride 1), no padding: how many input pixels wide is its receptive field? Set `rf_size`.")
    hints = ("Walk from the input up, keeping two numbers: the field r (start 1) and the jump j, the distance in "
             "input pixels between neighbouring units of the current layer (start 1). Each layer adds (K − 1)·j to r, "
             "then multiplies j by its stride.",
             "conv5: r = 1 + 4·1 = 5, j = 1. pool2: r = 5 + 1·1 = 6, j = 2. Now the second conv…",
             "The second conv's 5 taps are 2 input pixels apart (the pool's stride): r = 6 + 4·2.")
    hint_text = " ".join(hints)
    solution_code = """
        rf_size = 1 + (5 - 1) * 1 + (2 - 1) * 1 + (5 - 1) * 2   # jump 1, 1, then 2 after the pool's stride
    """
    correct_message = "5 + 1 + 4·2 = 14: after the pool every step of the second conv is 2 input pixels."
    mistakes = (("rf_size = 10", "stride"), ("rf_size = 13", "window itself"), ("rf_size = 9", "pool"),
                ("rf_size = 25", "add"), ("rf_size = '14'", "should be a number"))

    def expected(self) -> int:
        return receptive_field(_conv5_pool2_conv5(), "2", 0, 0).size[0]

    def wrong_answer_hints(self) -> dict:
        right = self.expected()
        return {
            right - 4: "you forgot the stride: after the 2×2 pool (stride 2) neighbouring units are 2 input pixels "
                       "apart, so the second conv's 4 extra taps reach 4·2 = 8 pixels further, not 4.",
            right - 1: "close, but the pooling window itself adds (2 − 1) = 1 pixel before its stride doubles the jump.",
            right - 5: "the pool is missing: it adds a pixel and, with stride 2, doubles the step of the next conv.",
            5 * 5: "receptive fields add up, they don't multiply: each layer adds (K − 1)·jump.",
            5 + 2 + 5: "a K-wide window adds K − 1, not K (a 1×1 window adds nothing).",
        }


class C3Inputs(Question):
    """Which pool1 maps feed conv2 map 3 in LeNet-5's C3 table?"""

    var = "feeding_maps"
    prompt = ("In the sparse LeNet (`lenet5_c3_table()`), which pool1 maps feed conv2 map 3? Count maps from 0, "
              "as PyTorch does. Set `feeding_maps` to a list of map numbers, e.g. [0, 2].")
    hints = ("`table = lenet5_c3_table()` has one row per conv2 map and one column per pool1 map; a 1 means "
             "'connected'.",
             "Look at row 3: `np.flatnonzero(table[3])`. Or click any unit of conv2 map 3 in the inspector and read "
             "which kernel slices are not greyed out.")
    hint_text = " ".join(hints)
    solution_code = """
        feeding_maps = [int(c) for c in np.flatnonzero(lenet5_c3_table()[3])]
    """
    correct_message = "maps 3, 4 and 5: C3 map 3 sees three neighbouring S2 maps, its kernel slices for 0, 1, 2 are zero."
    mistakes = (("feeding_maps = [2, 3, 4]", "counted from 0"), ("feeding_maps = [0, 1, 2, 3, 4, 5]", "connection table"),
                ("feeding_maps = [int(c) for c in np.flatnonzero(lenet5_c3_table()[:, 3])]", "other way round"),
                ("feeding_maps = 3", "list"))

    def solution_namespace(self) -> dict:
        return dict(super().solution_namespace(), lenet5_c3_table=lenet5_c3_table)

    def check_answer(self, value: Any) -> None:
        if not isinstance(value, (list, tuple, set, np.ndarray)):
            raise Incorrect(f"`feeding_maps` should be a list of map numbers like [0, 2], got {type(value).__name__} {value!r}")
        try:
            got = sorted(int(v) for v in value)
        except (TypeError, ValueError):
            raise Incorrect(f"`feeding_maps` should hold map numbers (ints), got {value!r}") from None
        table = lenet5_c3_table()
        expected = [int(c) for c in np.flatnonzero(table[3])]
        if got == expected:
            return
        if got == [int(c) for c in np.flatnonzero(table[2])]:
            raise Incorrect("those feed conv2 map 2: maps are counted from 0, so map 3 is the fourth row of the table.")
        if got == list(range(table.shape[1])):
            raise Incorrect("that is an ordinary Conv2d, where every map sees all six; the connection table "
                            "leaves some out.")
        if got == [int(o) for o in np.flatnonzero(table[:, 3])]:
            raise Incorrect("you read the table the other way round: those are the conv2 maps that pool1 map 3 feeds. "
                            "Rows are conv2 maps, columns pool1 maps.")
        raise Incorrect(f"{got} is not it; read row 3 of lenet5_c3_table(). Try the hints.")


class UnitByHand(Question):
    """Write unit_value(maps, kernel, bias, row, col): one conv unit followed by a ReLU, by hand."""

    var = "unit_value"
    prompt = ("Write `unit_value(maps, kernel, bias, row, col)` that returns, as a float, the value of the unit at "
              "(row, col) of a K×K convolution (stride 1, no padding) followed by a ReLU. `maps` is the input "
              "(C, H, W), `kernel` the unit's filter (C, K, K), `bias` a float.")
    hints = ("The unit at (row, col) reads the K×K patch whose top-left corner is (row, col), in every channel: "
             "`maps[:, row:row + K, col:col + K]`.",
             "Multiply the patch by the kernel, sum over channels, rows and columns, add the bias, then apply the ReLU "
             "(max(0, ·)).")
    hint_text = " ".join(hints)
    solution_code = """
        def unit_value(maps, kernel, bias, row, col):
            k = kernel.shape[-1]
            patch = maps[:, row:row + k, col:col + k]
            return float(torch.relu((patch * kernel).sum() + bias))
    """
    correct_message = "Σ over channels of patch × kernel, + bias, then ReLU: exactly what the inspector shows."
    mistakes = (
        ("def unit_value(maps, kernel, bias, row, col):\n"
         "    k = kernel.shape[-1]\n"
         "    return float(torch.relu((maps[:, row:row + k, col:col + k] * kernel).sum()))", "bias"),
        ("def unit_value(maps, kernel, bias, row, col):\n"
         "    k = kernel.shape[-1]\n"
         "    return float((maps[:, row:row + k, col:col + k] * kernel).sum() + bias)", "ReLU"),
        ("def unit_value(maps, kernel, bias, row, col):\n"
         "    k = kernel.shape[-1]\n"
         "    return float(torch.relu((maps[0, row:row + k, col:col + k] * kernel[0]).sum() + bias))", "every input channel"),
        ("def unit_value(maps, kernel, bias, row, col):\n"
         "    k = kernel.shape[-1]\n"
         "    return float(torch.relu((maps[:, col:col + k, row:row + k] * kernel).sum() + bias))", "rows first"),
        ("def unit_value(maps, kernel, bias, row, col):\n"
         "    k = kernel.shape[-1]\n"
         "    return float(torch.relu((maps[:, row - k // 2:row + k // 2 + 1, col - k // 2:col + k // 2 + 1] * kernel).sum() + bias))",
         "top-left"),
        ("def unit_value(maps, kernel, bias, row, col):\n"
         "    k = kernel.shape[-1]\n"
         "    return float(torch.relu((maps[:, row:row + k, col:col + k] * kernel.flip(-2, -1)).sum() + bias))",
         "cross-correlation"),
        ("def unit_value(maps, kernel, bias, row, col):\n"
         "    k = kernel.shape[-1]\n"
         "    return float(torch.relu((maps[:, row:row + k, col:col + k] * torch.rot90(kernel, 2, (1, 2))).sum() + bias))",
         "flipped the kernel"),
    )

    @staticmethod
    def _cases():
        generator = torch.Generator().manual_seed(8)
        for channels, size, k, row, col in ((3, 9, 3, 4, 2), (6, 14, 5, 7, 3), (2, 8, 3, 5, 1)):
            maps = torch.randn(channels, size, size, generator=generator, dtype=torch.float64)
            kernel = torch.randn(channels, k, k, generator=generator, dtype=torch.float64)
            bias = float(torch.randn(1, generator=generator, dtype=torch.float64)) + 0.5
            yield maps, kernel, bias, row, col

    def check_answer(self, value: Any) -> None:
        if not callable(value):
            raise Incorrect(f"`unit_value` should be a function, got {type(value).__name__}")
        # a case where the pre-activation is negative makes a missing ReLU visible
        cases = list(self._cases())
        maps, kernel, bias, row, col = cases[0]
        k = kernel.shape[-1]
        cases.append((maps, -kernel, -abs(bias) - float((maps[:, row:row + k, col:col + k] * kernel).sum().abs()) - 1,
                      row, col))
        # and one where every value is positive, so that no ReLU hides which mistake it was (a flipped kernel and
        # channel 0 alone both give 0 where the sums are negative)
        maps, kernel, bias, row, col = cases[1]
        cases.append((maps.abs(), kernel.abs(), abs(bias), row, col))
        first_failure = None           # (call, got, expected) of the first case the answer gets wrong
        explained = None               # the mistakes that explain every failing case, in the order of `candidates`
        for maps, kernel, bias, row, col in cases:
            k = kernel.shape[-1]
            try:
                got = value(maps.clone(), kernel.clone(), bias, row, col)
            except Exception:
                if first_failure is None:
                    raise
                break                  # already wrong on an earlier case: name that mistake
            if isinstance(got, torch.Tensor) and got.numel() == 1:
                got = float(got)
            if not isinstance(got, numbers.Real):
                if first_failure is None:
                    raise Incorrect(f"unit_value should return one number (a float), got {type(got).__name__}")
                break
            patch = maps[:, row:row + k, col:col + k]
            pre = float((patch * kernel).sum() + bias)
            expected = max(pre, 0.0)
            if abs(got - expected) <= 1e-6 * max(1.0, abs(expected)):
                continue
            if first_failure is None:
                call = f"unit_value(maps {tuple(maps.shape)}, kernel {tuple(kernel.shape)}, bias {bias:.3f}, {row}, {col})"
                first_failure = (call, got, expected)
            # the ReLU sends many wrong sums to 0: a mistake is named only if it explains every case the answer fails
            matching = [message for message, wrong in self._candidates(maps, kernel, bias, row, col).items()
                        if wrong is not None and abs(got - wrong) <= 1e-6 * max(1.0, abs(wrong))]
            explained = matching if explained is None else [m for m in explained if m in matching]
        if first_failure is None:
            return
        call, got, expected = first_failure
        if explained:
            raise Incorrect(f"{call} returned {got:.4f}, expected {expected:.4f}: {explained[0]}")
        raise Incorrect(f"{call} returned {got:.4f}, expected {expected:.4f}.")

    @staticmethod
    def _candidates(maps, kernel, bias, row, col) -> dict:
        """Known mistakes → the value each would give for this case (None where it cannot be computed)."""
        k = kernel.shape[-1]
        patch = maps[:, row:row + k, col:col + k]
        pre = float((patch * kernel).sum() + bias)
        return {
            "you forgot the bias: add it before the ReLU.": max(pre - bias, 0.0),
            "you forgot the ReLU: a negative sum becomes 0.": pre,
            "you flipped the kernel: that is the textbook convolution, but PyTorch's Conv2d computes "
            "cross-correlation — multiply the patch by the kernel as it is, no flip.":
                max(float((patch * kernel.flip(-2, -1)).sum() + bias), 0.0),
            "a filter reads every input channel: sum patch × kernel over all C channels, not only channel 0.":
                max(float((patch[0] * kernel[0]).sum() + bias), 0.0),
            "rows first: the patch is maps[:, row:row + K, col:col + K] (you swapped row and col).":
                max(float((maps[:, col:col + k, row:row + k] * kernel).sum() + bias), 0.0)
                if col + k <= maps.shape[1] and row + k <= maps.shape[2] else None,
            "without padding, (row, col) is the patch's top-left corner, not its centre.":
                max(float((maps[:, row - k // 2:row + k // 2 + 1, col - k // 2:col + k // 2 + 1] * kernel).sum()
                          + bias), 0.0) if row >= k // 2 and col >= k // 2 else None,
        }

QUESTIONS = [ReceptiveFieldSize, C3Inputs, UnitByHand]
bind = make_binder(QUESTIONS)
progress = make_progress(QUESTIONS)
