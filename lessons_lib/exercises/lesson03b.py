"""Exercises for notebook 03b (unseen speakers): the size of a leave-one-speaker-out fold, what a louder
microphone does to log-mel features, per-utterance mean normalisation, and a floor under the log.

``FloorUnderTheLog`` moved here from lesson 03 with the section it belongs to. Introduced in notebook 03b
(unseen speakers).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..audio import limit_dynamic_range
from .core import FunctionQuestion, Incorrect, NumberQuestion, Question, make_binder, make_progress

SPEAKERS, DIGITS, REPETITIONS = 6, 10, 50


class ClipsPerTrainingFold(NumberQuestion):
    """How many clips does one leave-one-speaker-out fold train on?"""

    var = "clips_per_training_fold"
    prompt = ("FSDD has 6 speakers, each saying every digit 0–9 fifty times. Leave-one-speaker-out trains on five "
              "speakers and tests on the sixth. How many clips does each fold train on?")
    hints = ("One speaker has 10 digits × 50 repetitions = 500 clips. The fold trains on every clip of the other five.",
             "Five speakers × 500 clips each: the held-out sixth speaker's 500 clips are only tested on.")
    solution_code = """
    clips_per_speaker = 10 * 50
    clips_per_training_fold = 5 * clips_per_speaker
    """
    units = "number of clips"
    mistakes = (("clips_per_training_fold = 2700", "official split"),
                ("clips_per_training_fold = 500", "tested on"),
                ("clips_per_training_fold = 3000", "held-out speaker"))

    def expected(self) -> int:
        return (SPEAKERS - 1) * DIGITS * REPETITIONS

    def wrong_answer_hints(self) -> dict:
        everything = SPEAKERS * DIGITS * REPETITIONS
        return {
            everything * 9 // 10: "2,700 is the official split's training set, which keeps all six voices; "
                                  "a fold drops every clip of one speaker.",
            DIGITS * REPETITIONS: "500 clips are one speaker's: that is what the fold is tested on, not trained on.",
            everything: "3,000 is every clip; the held-out speaker's 500 are not trained on.",
        }


class LouderMicrophone(NumberQuestion):
    """A gain in decibels is an added constant in natural-log mel features: how big?"""

    var = "log_mel_offset"
    prompt = ("A second microphone records everything 10 dB louder: every power value is multiplied by 10. "
              "What does that add to every natural-log mel value (log of power @ filterbank)? Give a float (two decimals are enough).")
    hints = ("log(10 · p) = log(10) + log(p): the gain becomes an added constant. The features use the natural "
             "log (np.log), not log10, and not decibels.",
             "10 dB multiplies power by 10, so every value grows by ln(10) = math.log(10) ≈ 2.30.")
    solution_code = """
    log_mel_offset = math.log(10)
    """
    units = "offset"
    tolerance = 0.01
    mistakes = (("log_mel_offset = 10", "decibels"),
                ("log_mel_offset = 1", "log10"),
                ("log_mel_offset = 10 / math.log(10)", "the other way"))

    def expected(self) -> float:
        return math.log(10)

    def wrong_answer_hints(self) -> dict:
        return {
            10: "10 is the gain in decibels; the features are natural logs of power, so the offset is ln(10).",
            1: "1 is the offset in log10 units (bels); the features use the natural log (np.log).",
            10 / math.log(10): "that converts the other way: 10 / ln 10 ≈ 4.34 dB per natural-log unit. You want "
                               "ln(10) natural-log units for 10 dB.",
            20 * math.log(10) / 10: "20 · log10 is for amplitudes; these are powers: 10 dB multiplies power by 10.",
        }


class MeanNormalise(Question):
    """Per-utterance mean normalisation, written by hand."""

    var = "mean_normalise"
    prompt = ("Write `mean_normalise(log_mel)`: for a (T, n_mels) NumPy array of one clip's log-mel features, subtract "
              "each mel band's mean over the clip's own frames, and nothing else.")
    hints = ("Frames are rows (axis 0), bands are columns: the mean of each band is log_mel.mean(axis=0), one number "
             "per band. Do not divide by the standard deviation — the lesson shows why.",
             "Broadcasting does the rest: `log_mel - log_mel.mean(axis=0)` subtracts row vector (n_bands,) from every frame.")
    solution_code = """
    def mean_normalise(log_mel):
        return log_mel - log_mel.mean(axis=0)
    """
    mistakes = (("def mean_normalise(log_mel):\n    return log_mel - log_mel.mean(axis=1, keepdims=True)", "each band"),
                ("def mean_normalise(log_mel):\n    return log_mel - log_mel.mean()", "one mean per band"),
                ("def mean_normalise(log_mel):\n    centred = log_mel - log_mel.mean(axis=0)\n"
                 "    return centred / centred.std(axis=0)", "standard deviation"),
                ("def mean_normalise(log_mel):\n    centred = log_mel - log_mel.mean(axis=0)\n"
                 "    return centred / centred.std(axis=0, ddof=1)", "whichever ddof"))

    @staticmethod
    def cases() -> list[np.ndarray]:
        rng = np.random.default_rng(5)
        tilted = rng.normal(0, 1, (40, 12)) + np.linspace(-8, 2, 12)          # each band at its own level
        return [tilted, tilted.T.copy() * 2 + 3, rng.normal(-4, 3, (7, 5))]

    def check_answer(self, value: Any) -> None:
        if not callable(value):
            raise Incorrect(f"`{self.var}` should be a function, got {type(value).__name__}")
        for log_mel in self.cases():
            got = value(log_mel.copy())
            if not isinstance(got, np.ndarray) and not hasattr(got, "numpy"):
                raise Incorrect(f"return an array of the same shape as `log_mel`, got {type(got).__name__}")
            got = np.asarray(got, dtype=np.float64)
            if got.shape != log_mel.shape:
                raise Incorrect(f"the result should keep the shape {log_mel.shape} of `log_mel`, got {got.shape}")
            centred = log_mel - log_mel.mean(axis=0)
            if np.allclose(got, centred, atol=1e-6):
                continue
            if np.allclose(got, log_mel - log_mel.mean(axis=1, keepdims=True), atol=1e-6):
                raise Incorrect("that subtracts each frame's mean (axis 1); the normalisation subtracts each band's "
                                "mean over the frames (axis 0).")
            if np.allclose(got, log_mel - log_mel.mean(), atol=1e-6):
                raise Incorrect("that subtracts one mean for the whole clip; a microphone's colour differs per band, so "
                                "take one mean per band: log_mel.mean(axis=0).")
            if any(np.allclose(got, centred / (log_mel.std(axis=0, ddof=ddof) + eps), atol=1e-4)
                   for ddof in (0, 1) for eps in (1e-12, 1e-5)):
                raise Incorrect("mean only: dividing by each band's standard deviation (whichever ddof, population or "
                                "sample) blows up the bands that hold only background noise — the benchmark row "
                                "'mean only' shows what it costs.")
            raise Incorrect(f"{self.var} gives the wrong values for a {log_mel.shape} array. Try `{self.label}.hint()`.")


class FloorUnderTheLog(FunctionQuestion):
    """Write the dynamic-range floor (``audio.limit_dynamic_range``) yourself. (Moved here from lesson 03.)"""

    var = "floor_log_mel"
    prompt = ("Write `floor_log_mel(log_mel, top_db)`: raise every value of a (T, n_mels) NumPy array of natural-log "
              "energies to at least the array's largest value minus `top_db` decibels; leave louder values as they are.")
    hints = ("A decibel is 10 · log10 of a power ratio, so top_db decibels are top_db · ln(10) / 10 in natural-log "
             "units.",
             "One floor for the whole clip (its loudest value over all frames and bands); np.maximum does the rest.",
             "floor = log_mel.max() - top_db * np.log(10) / 10; return np.maximum(log_mel, floor)")
    solution_code = """
    def floor_log_mel(log_mel, top_db):
        floor = log_mel.max() - top_db * np.log(10) / 10
        return np.maximum(log_mel, floor)
    """
    mistakes = (
        ("floor_log_mel = lambda x, db: np.maximum(x, x.max() - db / 10)", "natural logs"),
        ("floor_log_mel = lambda x, db: np.maximum(x, x.max() - db)", "natural logs"),
        ("floor_log_mel = lambda x, db: np.minimum(x, x.max() - db * np.log(10) / 10)", "np.maximum, not np.minimum"),
        ("floor_log_mel = lambda x, db: np.maximum(x, x.max(axis=0) - db * np.log(10) / 10)", "not per band"),
        ("floor_log_mel = lambda x, db: x[:2]", "keep the shape"),
        ("floor_log_mel = lambda x, db: np.maximum(x, x.max() - db * np.log(10) / 20)", "amplitudes"),
    )

    def cases(self):
        rng = np.random.default_rng(3)
        deep = rng.normal(0, 4, (30, 40)) + np.linspace(-20, 0, 40)           # 40 bands, the lowest ~90 dB down
        for log_mel, top_db in [(deep, 40.0), (deep.T.copy(), 20.0), (rng.normal(0, 1, (5, 8)), 60.0)]:
            yield (log_mel, top_db), limit_dynamic_range(log_mel, top_db)

    def describe_call(self, args):
        log_mel, top_db = args
        return f"{self.var}(<a {log_mel.shape[0]}×{log_mel.shape[1]} array>, {top_db})"

    def same(self, got, expected):
        if not isinstance(got, np.ndarray) and not hasattr(got, "numpy"):
            return False
        got = np.asarray(got, dtype=np.float64)
        return got.shape == expected.shape and np.allclose(got, expected, atol=1e-4)

    def diagnose(self, args, got, expected):
        log_mel, top_db = args
        if not isinstance(got, np.ndarray) and not hasattr(got, "numpy"):
            return f"return an array of the same shape as `log_mel`, got {type(got).__name__}"
        got = np.asarray(got, dtype=np.float64)
        if got.shape != log_mel.shape:
            return f"the result should keep the shape {log_mel.shape} of `log_mel`, got {got.shape}"
        gap = top_db * np.log(10) / 10                     # top_db decibels in natural-log units
        if np.allclose(got, np.maximum(log_mel, log_mel.max() - top_db / 10), atol=1e-4) or \
                np.allclose(got, np.maximum(log_mel, log_mel.max() - top_db), atol=1e-4):
            return ("top_db is in decibels; the features are natural logs, so the floor lies "
                    "top_db · ln(10) / 10 below the maximum (9.21 for 40 dB).")
        if np.allclose(got, np.maximum(log_mel, log_mel.max() - top_db * np.log(10) / 20), atol=1e-4):
            return ("20 · log10 is the decibel for amplitudes; these are energies (powers), and a power ratio in "
                    "decibels is 10 · log10: top_db decibels are top_db · ln(10) / 10 natural-log units, not / 20.")
        if np.allclose(got, np.minimum(log_mel, log_mel.max() - gap), atol=1e-4):
            return "that caps the loud values; the floor should raise the quiet ones (np.maximum, not np.minimum)."
        for axis in (0, 1):
            per_axis = np.maximum(log_mel, log_mel.max(axis=axis, keepdims=True) - gap)
            if np.allclose(got, per_axis, atol=1e-4):
                return ("one floor for the whole clip: measure from its loudest value over all frames and "
                        "bands (log_mel.max()), not per band or per frame.")
        return (f"{self.var} gives the wrong values for a ({log_mel.shape[0]}, {log_mel.shape[1]}) array "
                f"and top_db={top_db}. Try `{self.label}.hint()`.")


QUESTIONS = [ClipsPerTrainingFold, LouderMicrophone, MeanNormalise, FloorUnderTheLog]
bind = make_binder(QUESTIONS)
progress = make_progress(QUESTIONS)
