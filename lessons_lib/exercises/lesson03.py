"""Exercises for notebook 03 (log-mel convolutions): frames in a clip, the mel scale, the front end's
output shape, its parameter count, and a floor under the log.

Introduced in notebook 03 (log-mel convolutions).
"""
from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from ..audio import limit_dynamic_range
from ..conv import conv_output_size, conv_parameter_count
from .core import FunctionQuestion, Incorrect, NumberQuestion, Question, make_binder, make_progress

SAMPLE_RATE, FRAME_MS, HOP_MS = 8000, 25, 10


class FramesInOneSecond(NumberQuestion):
    """How many 25 ms frames, 10 ms apart, fit in one second of 8 kHz audio?"""

    var = "frames_in_one_second"
    prompt = ("A clip is exactly 1 s long at 8 kHz. With 25 ms frames every 10 ms (the tail that does not fill a "
              "frame is dropped), how many frames T does it give?")
    hints = ("Convert to samples first: a frame is 25 ms × 8 kHz = 200 samples, a hop 10 ms = 80 samples.",
             "The first frame starts at sample 0; each further frame needs 80 more samples: T = 1 + (n − frame) // hop.")
    solution_code = """
    n_samples = 8000
    frame, hop = 200, 80
    frames_in_one_second = 1 + (n_samples - frame) // hop
    """
    units = "number of frames"
    mistakes = (
        ("frames_in_one_second = 8000 // 80", "last frames would run past"),
        ("frames_in_one_second = (8000 - 200) // 80", "add 1"),
        ("frames_in_one_second = 1000 // 25", "frames overlap"),
    )

    def expected(self) -> int:
        frame, hop = SAMPLE_RATE * FRAME_MS // 1000, SAMPLE_RATE * HOP_MS // 1000
        return 1 + (SAMPLE_RATE - frame) // hop

    def wrong_answer_hints(self) -> dict:
        frame, hop = SAMPLE_RATE * FRAME_MS // 1000, SAMPLE_RATE * HOP_MS // 1000
        return {
            SAMPLE_RATE // hop: "8000 / 80 counts frame *starts*, but the last frames would run past the end of the clip.",
            (SAMPLE_RATE - frame) // hop: "close: the first frame starts at sample 0, so add 1 for it.",
            1000 // FRAME_MS: "frames overlap: a new one starts every 10 ms, not every 25 ms.",
        }


class HzToMel(FunctionQuestion):
    """Write the HTK mel scale."""

    var = "hz_to_mel_exercise"
    prompt = "Write `hz_to_mel_exercise(f)` returning 2595 · log10(1 + f / 700) for a frequency f in Hz."
    hints = ("Use math.log10 (or np.log10), not the natural log: 1000 Hz should give about 1000 mel.",
             "return 2595 * math.log10(1 + f / 700)  — 1127 · ln(1 + f / 700) is the same scale written with the "
             "natural log (1127 ≈ 2595 / ln 10).")
    solution_code = """
    def hz_to_mel_exercise(f):
        return 2595 * math.log10(1 + f / 700)
    """
    correct_message = "2595 · log10(1 + f/700) — the same curve as 1127 · ln(1 + f/700), since 2595 / ln 10 ≈ 1127."
    mistakes = (
        ("hz_to_mel_exercise = lambda f: 2595 * math.log(1 + f / 700)", "natural log"),
        ("hz_to_mel_exercise = lambda f: 2595 * math.log10(f / 700) if f else 0.0", "1 + f / 700"),
        ("hz_to_mel_exercise = lambda f: 2595 * math.log10(1 + f) / 700", "expected"),
    )

    def cases(self):
        return [((f,), 2595 * math.log10(1 + f / 700)) for f in (0.0, 700.0, 1000.0, 4000.0)]

    def hidden_cases(self):
        return [((f,), 2595 * math.log10(1 + f / 700)) for f in (250.0, 3500.0)]

    def same(self, got, expected):
        # 1127 · ln(1 + f/700) differs from 2595 · log10(1 + f/700) by 6e-6 (1127 is 2595 / ln 10 rounded): accept it
        return (isinstance(got, numbers.Real) and not isinstance(got, bool)
                and math.isclose(got, expected, rel_tol=1e-5, abs_tol=1e-6))

    def diagnose(self, args, got, expected):
        (f,) = args
        if f and isinstance(got, numbers.Real) and math.isclose(got, 2595 * math.log(1 + f / 700), rel_tol=1e-6):
            return ("that is the natural log with the log10 constant: either 2595 · log10(1 + f/700) or "
                    "1127 · ln(1 + f/700) (1127 ≈ 2595 / ln 10).")
        if f == 700.0 and isinstance(got, numbers.Real) and (math.isclose(got, 0.0, abs_tol=1e-9)
                                                             or math.isclose(got, 2595 * math.log10(700), rel_tol=1e-6)):
            return "inside the log it is 1 + f / 700, so that 0 Hz maps to 0 mel."
        return None

    def check_answer(self, value: Any) -> None:
        self.require_function(value)
        super().check_answer(_as_float_function(value))


def _as_float_function(function):
    def wrapped(*args):
        result = function(*args)
        return float(result.item() if hasattr(result, "item") else result)
    return wrapped


class FrontEndOutputShape(Question):
    """The output of the paper's two strided conv layers for a 1-second clip."""

    var = "front_end_output_shape"
    prompt = ("The 1-second clip of q1 gives 98 frames of 80 log-mel bands, stacked with deltas: (3, 98, 80). It goes "
              "through two Conv2d layers with 32 kernels of 3 × 3, stride 2, padding 1. Give the output shape of one "
              "example as a tuple (channels, time, frequency).")
    hints = ("Channels = number of kernels of the last layer, and PyTorch puts them first: (channels, time, frequency).",
             "For each axis apply conv_output_size(size, kernel=3, stride=2, padding=1) twice: ⌊(W − 3 + 2) / 2⌋ + 1.")
    solution_code = """
    from lessons_lib.conv import conv_output_size
    time_out = conv_output_size(conv_output_size(98, 3, stride=2, padding=1), 3, stride=2, padding=1)
    freq_out = conv_output_size(conv_output_size(80, 3, stride=2, padding=1), 3, stride=2, padding=1)
    front_end_output_shape = (32, time_out, freq_out)
    """
    frames, bands, kernels = 98, 80, 32
    mistakes = (
        ("front_end_output_shape = (3, 25, 20)", "input depth"),
        ("front_end_output_shape = (32, 23, 19)", "without padding"),
        ("front_end_output_shape = (32, 24, 20)", "T/4 is only approximate"),
        ("front_end_output_shape = (25, 20, 32)", "paper's order"),
        ("front_end_output_shape = (32, 20, 25)", "time before frequency"),
    )

    def expected(self) -> tuple[int, int, int]:
        def twice(size: int, padding: int = 1) -> int:
            return conv_output_size(conv_output_size(size, 3, 2, padding), 3, 2, padding)
        return (self.kernels, twice(self.frames), twice(self.bands))

    def check_answer(self, value: Any) -> None:
        if hasattr(value, "shape") and not isinstance(value, tuple):
            raise Incorrect("give a plain tuple such as (32, 10, 10), not a tensor or array")
        if not isinstance(value, (tuple, list)) or len(value) != 3:
            raise Incorrect(f"expected a tuple (channels, time, frequency), got {value!r}")
        channels, time_out, freq_out = value
        expected = self.expected()
        if tuple(value) == expected:
            return
        if (value[2], value[0], value[1]) == expected:
            raise Incorrect(f"{tuple(value)} is the paper's order (time, frequency, channels); PyTorch's Conv2d "
                            f"puts the channels first: (channels, time, frequency).")
        if (channels, freq_out, time_out) == expected:
            raise Incorrect(f"{tuple(value)} has frequency before time; the input is (3, time, frequency), so "
                            "keep time before frequency: (channels, time, frequency).")
        if channels == 3:
            raise Incorrect("3 is the input depth. Each of the 32 kernels spans all 3 input planes and makes ONE output "
                            "map, so there are 32 output channels.")
        if channels != self.kernels:
            raise Incorrect(f"the number of output channels is the number of kernels in the last layer, not {channels}")
        no_padding = (conv_output_size(conv_output_size(self.frames, 3, 2, 0), 3, 2, 0),
                      conv_output_size(conv_output_size(self.bands, 3, 2, 0), 3, 2, 0))
        if (time_out, freq_out) == no_padding:
            raise Incorrect("that is without padding; with padding=1 each layer gives ⌊(W − 3 + 2) / 2⌋ + 1.")
        if time_out == self.frames / 4 or time_out == self.frames // 4:
            middle = conv_output_size(self.frames, 3, 2, 1)
            raise Incorrect(f"T/4 is only approximate: {self.frames} → {middle} → {expected[1]}, because each layer "
                            f"gives ⌊(W − 3 + 2) / 2⌋ + 1, which rounds up.")
        raise Incorrect(f"{tuple(value)} is not it. Try `{self.label}.hint()`.")


class FrontEndParameters(NumberQuestion):
    """Trainable parameters of the paper's front end (two conv layers with bias + two batch norms)."""

    var = "front_end_parameters"
    prompt = ("How many trainable parameters has the front end: Conv2d(3→32, 3×3, bias) → BatchNorm2d(32) → "
              "Conv2d(32→32, 3×3, bias) → BatchNorm2d(32)? (BatchNorm trains a scale and a shift per channel.)")
    hints = ("A conv layer has kernels × (depth × 3 × 3 + 1) parameters: every kernel spans the full depth.",
             "BatchNorm2d(32) trains a scale and a shift per channel: 2 × 32 (its running statistics are not trained).")
    solution_code = """
    conv1 = 32 * (3 * 3 * 3 + 1)
    conv2 = 32 * (32 * 3 * 3 + 1)
    batch_norms = 2 * (2 * 32)
    front_end_parameters = conv1 + conv2 + batch_norms
    """
    units = "parameter count"
    mistakes = (
        ("front_end_parameters = 32 * (3 * 3 * 3 + 1) + 32 * (32 * 3 * 3 + 1)", "batch norms"),
        ("front_end_parameters = 32 * (3 * 3 * 3 + 1) + 32 * (32 * 3 * 3 + 1) + 2 * 4 * 32", "running mean"),
        ("front_end_parameters = 32 * 3 * 3 * 3 + 32 * 32 * 3 * 3 + 2 * 2 * 32", "bias"),
        ("front_end_parameters = 2 * 32 * (3 * 3 + 1) + 2 * 2 * 32", "whole input depth"),
    )

    def expected(self) -> int:
        return conv_parameter_count(3, 32, 3) + conv_parameter_count(32, 32, 3) + 2 * 2 * 32

    def wrong_answer_hints(self) -> dict:
        conv = conv_parameter_count(3, 32, 3) + conv_parameter_count(32, 32, 3)
        no_depth = 2 * 32 * (3 * 3 + 1) + 2 * 2 * 32
        return {
            conv: "you left out the batch norms: each has a trainable scale and shift per channel (2 × 32).",
            conv + 2 * 4 * 32: "BatchNorm's running mean and variance are statistics, not trained parameters: count 2 per channel.",
            conv_parameter_count(3, 32, 3, bias=False) + conv_parameter_count(32, 32, 3, bias=False) + 2 * 2 * 32:
                "the conv layers here have a bias: one per kernel.",
            no_depth: "a kernel spans the whole input depth: layer 2's kernels are 32 × 3 × 3, not 3 × 3.",
        }


QUESTIONS = [FramesInOneSecond, HzToMel, FrontEndOutputShape, FrontEndParameters]
bind = make_binder(QUESTIONS)
progress = make_progress(QUESTIONS)
