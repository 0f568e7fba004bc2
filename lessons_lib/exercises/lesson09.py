"""Exercises for notebook 09 (AlphaZero in miniature): the PUCT score of one edge, the value targets z of a game's
positions from the point of view of the player to move, and the move distribution π from visit counts at a
temperature.

In the notebook: ``from lessons_lib.exercises import lesson09`` then ``lesson09.bind(globals())``.
Every expected value is computed from the formula, never pasted; each check recognises the likely mistakes (the
exploration term's sign or square root, the value from X's side, visit shares without the temperature).
Introduced in notebook 09 (AlphaZero in miniature).
"""
from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .core import FunctionQuestion, Incorrect, make_binder, make_progress


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


class PuctScore(FunctionQuestion):
    """puct_score(q, prior, parent_visits, child_visits, c) = q + c·prior·√parent_visits / (1 + child_visits)."""

    var = "puct_score"
    prompt = ("Write `puct_score(q, prior, parent_visits, child_visits, c)`: the PUCT score of one edge, "
              "Q + c · P · √N(s) / (1 + N(s, a)), with q = Q(s, a), prior = P(s, a), parent_visits = N(s), "
              "child_visits = N(s, a). Return one float.")
    hints = ("Two terms: the value so far, q, plus an exploration bonus that is large for a move the network likes "
             "(high prior) and that few simulations have tried yet.",
             "The bonus is c · prior · math.sqrt(parent_visits) / (1 + child_visits): it grows slowly with the parent's "
             "visits and shrinks as this move's own count grows.",
             "return q + c * prior * math.sqrt(parent_visits) / (1 + child_visits)")
    solution_code = """
        def puct_score(q, prior, parent_visits, child_visits, c):
            return q + c * prior * math.sqrt(parent_visits) / (1 + child_visits)
    """
    mistakes = (
        ("def puct_score(q, prior, parent_visits, child_visits, c):\n"
         "    return q - c * prior * math.sqrt(parent_visits) / (1 + child_visits)\n", "sign"),
        ("def puct_score(q, prior, parent_visits, child_visits, c):\n"
         "    return q + c * prior * parent_visits / (1 + child_visits)\n", "square root"),
        ("def puct_score(q, prior, parent_visits, child_visits, c):\n"
         "    return q + c * prior * math.sqrt(parent_visits) / max(child_visits, 1)\n", "1 + N(s, a)"),
        ("def puct_score(q, prior, parent_visits, child_visits, c):\n"
         "    return c * prior * math.sqrt(parent_visits) / (1 + child_visits)\n", "Q"),
        ("def puct_score(q, prior, parent_visits, child_visits, c):\n"
         "    return q + c * math.sqrt(parent_visits) / (1 + child_visits)\n", "prior"),
    )
    correct_message = "Q plus c·P·√N(s)/(1 + N(s, a)): the score the notebook's puct_select takes the argmax of."

    @staticmethod
    def reference(q, prior, parent_visits, child_visits, c):
        return q + c * prior * math.sqrt(parent_visits) / (1 + child_visits)

    def cases(self):
        for args in ((0.25, 0.4, 9, 2, 1.0), (-0.5, 0.1, 30, 0, 1.5), (0.0, 0.7, 1, 0, 2.0), (0.8, 0.05, 100, 24, 1.25)):
            yield args, self.reference(*args)

    def same(self, got: Any, expected: Any) -> bool:
        return isinstance(got, numbers.Real) and not isinstance(got, bool) and _close(float(got), expected)

    def diagnose(self, args: tuple, got: Any, expected: Any) -> str | None:
        if isinstance(got, np.ndarray) and got.size == 1:
            got = float(got)
        if not isinstance(got, numbers.Real) or isinstance(got, bool):
            return f"puct_score{args} returned {type(got).__name__} {got!r}: return one number (a float)."
        q, prior, n, na, c = args
        got = float(got)
        named = {
            "the exploration term has the wrong sign: it is ADDED to Q, so that rarely tried moves the network likes "
            "get searched (minus would steer the search away from them).": q - c * prior * math.sqrt(n) / (1 + na),
            "the parent's count goes in under a square root: c · P · √N(s), not c · P · N(s) (without the root the "
            "bonus keeps up with the visits and the search never settles on the best move).":
                q + c * prior * n / (1 + na),
            "the denominator is 1 + N(s, a) (1 + the move's own count), so an unvisited move gets the full bonus "
            "without dividing by zero.": q + c * prior * math.sqrt(n) / max(na, 1),
            "the score starts from Q, the value of the move so far: add q to the exploration bonus.":
                c * prior * math.sqrt(n) / (1 + na),
            "the bonus is weighted by the network's prior P(s, a): multiply by `prior`.":
                q + c * math.sqrt(n) / (1 + na),
            "the square root is of N(s) alone, not of the whole fraction.": q + c * prior * math.sqrt(n / (1 + na)),
        }
        for message, wrong in named.items():
            if _close(got, wrong) and not _close(wrong, expected):
                raise Incorrect(f"puct_score{args} returned {got:.4f}, expected {expected:.4f}: {message}",
                                hint=message)
        return f"puct_score{args} returned {got!r}, expected {expected:.4f}. Try `{self.label}.hint()`."


class ValueTargets(FunctionQuestion):
    """value_targets(players, outcome) = [outcome * player for player in players]: z from the mover's side."""

    var = "z_targets"
    prompt = ("Write `z_targets(players, outcome)`: `players` lists the player to move (+1 X, -1 O) in each stored "
              "position of one game, `outcome` is the game's result (+1 X won, 0 draw, -1 O won). Return a list with "
              "one z per position: +1 if the player to move there went on to win, -1 if they lost, 0 for a draw.")
    hints = ("The network's value head is read from the point of view of the player to move (its input is written "
             "that way), so z must be too: the same game result is +1 for one player and -1 for the other.",
             "For a position where O (-1) was to move and X (+1) won, z is -1: O lost. Multiply.",
             "return [outcome * player for player in players]")
    solution_code = """
        def z_targets(players, outcome):
            return [outcome * player for player in players]
    """
    mistakes = (
        ("def z_targets(players, outcome):\n    return [outcome for player in players]\n", "X's point of view"),
        ("def z_targets(players, outcome):\n    return [-outcome * player for player in players]\n", "opposite"),
        ("def z_targets(players, outcome):\n    return outcome * players[0]\n", "one z per position"),
    )
    correct_message = "z = outcome × player to move: the same result, +1 for the winner's positions, -1 for the loser's."

    def cases(self):
        for players, outcome in (([1, -1, 1, -1, 1], 1), ([1, -1, 1, -1, 1, -1], -1), ([1, -1, 1, -1, 1, -1, 1, -1, 1], 0),
                                 ([-1, 1, -1], 1), ([1, -1, 1, -1], -1)):
            yield (players, outcome), [outcome * p for p in players]

    def same(self, got: Any, expected: Any) -> bool:
        try:
            values = [float(v) for v in np.asarray(got, dtype=float).reshape(-1)]
        except (TypeError, ValueError):
            return False
        return np.ndim(got) == 1 and len(values) == len(expected) and all(_close(a, b) for a, b in zip(values, expected))

    def diagnose(self, args: tuple, got: Any, expected: Any) -> str | None:
        players, outcome = args
        call = f"z_targets({players}, {outcome})"
        if np.ndim(got) != 1 or len(np.asarray(got).reshape(-1)) != len(players):
            message = "return one z per position: a list as long as `players`."
            raise Incorrect(f"{call} returned {got!r}: {message}", hint=message)
        values = [float(v) for v in np.asarray(got, dtype=float)]
        named = {
            "that is the result from X's point of view for every position; z is from the point of view of the player "
            "to move there, so O's positions get the opposite sign.": [float(outcome)] * len(players),
            "every sign is the opposite: z is +1 where the player to move went on to WIN.":
                [-float(outcome * p) for p in players],
        }
        for message, wrong in named.items():
            if all(_close(a, b) for a, b in zip(values, wrong)) and wrong != [float(e) for e in expected]:
                raise Incorrect(f"{call} returned {got!r}, expected {expected}: {message}", hint=message)
        return f"{call} returned {got!r}, expected {expected}. Try `{self.label}.hint()`."


class VisitPolicy(FunctionQuestion):
    """pi_from_visits(visits, temperature): π ∝ N^(1/τ), all on the most visited move(s) at τ = 0."""

    var = "pi_from_visits"
    prompt = ("Write `pi_from_visits(visits, temperature)`: `visits` is a root's visit counts (one per legal move). "
              "Return a NumPy array π that sums to 1 with π ∝ visits ** (1 / temperature); at temperature 0, all the "
              "probability on the most visited move (split equally on a tie).")
    hints = ("The temperature sharpens (τ < 1) or flattens (τ > 1) the visit shares: raise the counts to the power "
             "1/τ, then normalise. τ = 1 gives the plain shares N / ΣN.",
             "At τ = 0 the power 1/τ is infinite: handle it apart, with the mask visits == visits.max().",
             "v = np.asarray(visits, float); if temperature == 0: best = v == v.max(); return best / best.sum(); "
             "p = v ** (1 / temperature); return p / p.sum()")
    solution_code = """
        def pi_from_visits(visits, temperature):
            visits = np.asarray(visits, dtype=float)
            if temperature == 0:
                best = visits == visits.max()
                return best / best.sum()
            powered = visits ** (1.0 / temperature)
            return powered / powered.sum()
    """
    mistakes = (
        ("def pi_from_visits(visits, temperature):\n"
         "    v = np.asarray(visits, dtype=float)\n"
         "    return v / v.sum()\n", "temperature"),
        ("def pi_from_visits(visits, temperature):\n"
         "    v = np.asarray(visits, dtype=float)\n"
         "    if temperature == 0:\n"
         "        best = v == v.max()\n"
         "        return best / best.sum()\n"
         "    p = v ** temperature\n"
         "    return p / p.sum()\n", "1/τ"),
        ("def pi_from_visits(visits, temperature):\n"
         "    v = np.asarray(visits, dtype=float)\n"
         "    if temperature == 0:\n"
         "        best = v == v.max()\n"
         "        return best / best.sum()\n"
         "    p = np.exp(v / temperature)\n"
         "    return p / p.sum()\n", "softmax"),
        ("def pi_from_visits(visits, temperature):\n"
         "    v = np.asarray(visits, dtype=float)\n"
         "    if temperature == 0:\n"
         "        return (np.arange(len(v)) == v.argmax()).astype(float)\n"
         "    p = v ** (1 / temperature)\n"
         "    return p / p.sum()\n", "tie"),
    )
    correct_message = "π ∝ N^(1/τ): τ = 1 keeps the visit shares, small τ sharpens them, τ = 0 is the argmax."

    @staticmethod
    def reference(visits, temperature):
        v = np.asarray(visits, dtype=float)
        if temperature == 0:
            best = v == v.max()
            return best / best.sum()
        p = v ** (1.0 / temperature)
        return p / p.sum()

    def cases(self):
        for visits, temperature in (([10, 30, 5, 15], 1.0), ([10, 30, 5, 15], 0.5), ([1, 6, 3], 2.0),
                                    ([12, 4, 0, 8], 0), ([7, 7, 2], 0), ([3, 9, 0, 4, 2], 0.25)):
            yield (visits, temperature), self.reference(visits, temperature)

    def same(self, got: Any, expected: Any) -> bool:
        try:
            got = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            return False
        return got.shape == expected.shape and bool(np.allclose(got, expected, atol=1e-9))

    def diagnose(self, args: tuple, got: Any, expected: Any) -> str | None:
        visits, temperature = args
        call = f"pi_from_visits({visits}, {temperature})"
        try:
            values = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            return f"{call} returned {type(got).__name__} {got!r}: return an array of probabilities, one per move."
        if values.shape != expected.shape:
            message = "return one probability per move: an array as long as `visits`."
            raise Incorrect(f"{call} returned shape {values.shape}: {message}", hint=message)
        v = np.asarray(visits, dtype=float)
        named = {}
        if temperature != 0:
            named["the temperature is missing: these are the plain visit shares N / ΣN. Raise the counts to the power "
                  "1/τ before normalising (τ = 1 is the only case where the two agree)."] = v / v.sum()
            named["the power is 1/τ, not τ: a small temperature must sharpen π toward the most visited move."] = (
                v ** temperature / (v ** temperature).sum())
            e = np.exp((v - v.max()) / temperature)
            named["that is a softmax of the counts; π raises the counts to the power 1/τ (a softmax of log N / τ), "
                  "so it does not depend on how many simulations ran in all."] = e / e.sum()
        else:
            one_hot = (np.arange(len(v)) == v.argmax()).astype(float)
            named["on a tie of the most visited moves, share the probability equally between them (mask "
                  "visits == visits.max(), then normalise)."] = one_hot
            named["the temperature is missing: at τ = 0 all the probability goes to the most visited move."] = v / v.sum()
        if not np.isclose(values.sum(), 1.0) and np.all(np.isfinite(values)):
            message = "π must sum to 1: divide by the sum."
            raise Incorrect(f"{call} returned {np.round(values, 4).tolist()} (sum {values.sum():.4f}): {message}",
                            hint=message)
        for message, wrong in named.items():
            if wrong.shape == values.shape and np.allclose(values, wrong, atol=1e-9) and not np.allclose(wrong, expected):
                raise Incorrect(f"{call} returned {np.round(values, 4).tolist()}, expected "
                                f"{np.round(expected, 4).tolist()}: {message}", hint=message)
        return (f"{call} returned {np.round(values, 4).tolist()}, expected {np.round(expected, 4).tolist()}. "
                f"Try `{self.label}.hint()`.")


QUESTIONS = [PuctScore, ValueTargets, VisitPolicy]
bind = make_binder(QUESTIONS)
progress = make_progress(QUESTIONS)
