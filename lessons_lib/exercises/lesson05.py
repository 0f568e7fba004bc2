"""Exercises for notebook 05 (word2vec: CBOW and skip-gram from scratch).

q1: word2vec's subsampling keep probability; q2: skip-gram pairs of a sentence; q3: how many pairs a
sentence gives; q4: answer an analogy with vector arithmetic.

Introduced in notebook 05 (word2vec).
"""
from __future__ import annotations

import math
import numpy as np

from .core import FunctionQuestion, Incorrect, NumberQuestion, make_binder, make_progress


class KeepProbability(FunctionQuestion):
    """Write word2vec's subsampling formula."""

    var = "keep_probability_of"
    prompt = ("Write `keep_probability_of(frequency, sample)`: the probability that word2vec keeps one occurrence "
              "of a word whose share of the corpus is `frequency`, i.e. (sqrt(f / sample) + 1) · sample / f, "
              "never more than 1.")
    hints = ("With f = frequency and t = sample: keep = (math.sqrt(f / t) + 1) * t / f.",
             "That formula exceeds 1 for rare words (f < t gives more than 2): cap it with min(1.0, …). "
             "Check: a word with f = t gives (1 + 1) · 1 = 2, capped to 1 — always kept.")
    solution_code = """
def keep_probability_of(frequency, sample=1e-3):
    keep = (math.sqrt(frequency / sample) + 1) * sample / frequency
    return min(1.0, keep)
"""
    correct_message = "that is the formula in word2vec.c and gensim: rare words are always kept, 'the' mostly dropped."
    mistakes = (
        ("keep_probability_of = lambda f, t: 1 - math.sqrt(t / f)", "discarding"),
        ("keep_probability_of = lambda f, t: math.sqrt(t / f)", "adds t/f"),
        ("keep_probability_of = lambda f, t: (math.sqrt(f / t) + 1) * t / f", "cannot exceed 1"),
        ("keep_probability_of = lambda f, t: 'high'", "expected a number"),
    )

    def cases(self):
        for frequency, sample in [(0.05, 1e-3), (0.01, 1e-3), (0.002, 1e-3), (1e-5, 1e-3), (0.05, 1e-4)]:
            yield (frequency, sample), min(1.0, (math.sqrt(frequency / sample) + 1) * sample / frequency)

    def hidden_cases(self):
        for frequency, sample in [(0.03, 1e-4), (1e-3, 1e-3), (0.2, 1e-5)]:
            yield (frequency, sample), min(1.0, (math.sqrt(frequency / sample) + 1) * sample / frequency)

    def check_answer(self, value):
        self.require_function(value)
        super().check_answer(_as_float_function(value, self.var))

    def diagnose(self, args, got, expected):
        frequency, sample = args
        if math.isclose(got, 1 - math.sqrt(sample / frequency), rel_tol=1e-6):
            return ("that is the paper's probability of DISCARDING a word, 1 - sqrt(t/f); "
                    "return the probability of keeping it, as the code computes it.")
        if math.isclose(got, math.sqrt(sample / frequency), rel_tol=1e-6):
            return "that is the paper's keep probability sqrt(t/f); word2vec's code adds t/f: (sqrt(f/t) + 1) · t/f."
        if got > 1 + 1e-12:
            return (f"{self.var}({frequency}, {sample}) returned {got:.4g}: a probability cannot exceed 1 "
                    "— cap it with min(1.0, …).")
        return None


def _as_float_function(function, name):
    """The learner's function with its result turned into a float (a clear message when it is not a number)."""
    def wrapped(*args):
        got = function(*args)
        try:
            return float(got)
        except (TypeError, ValueError):
            raise Incorrect(f"{name}{args} returned {got!r}, expected a number") from None
    return wrapped


def _pairs(words, window):
    return sorted((words[t], words[t + d]) for t in range(len(words))
                  for d in range(-window, window + 1) if d != 0 and 0 <= t + d < len(words))


class SkipGramPairs(FunctionQuestion):
    """Build skip-gram (centre, context) pairs for a fixed window."""

    var = "skipgram_pairs_of"
    prompt = ("Write `skipgram_pairs_of(words, window)`: every (centre, context) pair of the list `words` where the "
              "context word is at most `window` positions left or right of the centre (fixed window, no sampling). "
              "Return a list of tuples; the order does not matter.")
    hints = ("Loop over positions t, then over offsets d in -window … +window.",
             "Skip d == 0 (a word is not its own context) and positions t + d outside 0 … len(words) - 1; keep "
             "every pair, repeats included.")
    solution_code = """
def skipgram_pairs_of(words, window):
    pairs = []
    for t, centre in enumerate(words):
        for d in range(-window, window + 1):
            if d != 0 and 0 <= t + d < len(words):
                pairs.append((centre, words[t + d]))
    return pairs
"""
    correct_message = "these are the examples skip-gram learns from (word2vec also shrinks the window at random)."
    mistakes = (
        ("""
def skipgram_pairs_of(words, window):
    return [(words[t], words[t + d]) for t in range(len(words)) for d in range(-window, window + 1)
            if 0 <= t + d < len(words)]
""", "not its own context"),
        ("""
def skipgram_pairs_of(words, window):
    return [(words[t], words[t + d]) for t in range(len(words)) for d in range(1, window + 1) if t + d < len(words)]
""", "BOTH sides"),
        ("""
def skipgram_pairs_of(words, window):
    return list({(words[t], words[t + d]) for t in range(len(words)) for d in range(-window, window + 1)
                 if d != 0 and 0 <= t + d < len(words)})
""", "repeated pair"),
        ("""
def skipgram_pairs_of(words, window):
    return [(words[t], words[t + d]) for t in range(window, len(words) - window)
            for d in range(-window, window + 1) if d]
""", "missing"),
    )

    def cases(self):
        sentences = [("the quick brown fox jumps over the lazy dog".split(), 2),
                     ("to be or not to be".split(), 2),          # (to, be) occurs twice: two examples
                     ("king and queen".split(), 1), ("a b c d e".split(), 4), (["alone"], 3)]
        for words, window in sentences:
            yield (words, window), _pairs(words, window)

    def same(self, got, expected):
        try:
            return sorted(tuple(p) for p in got) == expected
        except TypeError:
            return False

    def diagnose(self, args, got, expected):
        words, window = args
        try:
            got = sorted(tuple(p) for p in got)
        except TypeError:
            return f"{self.var} should return a list of (centre, context) tuples, got {got!r}"
        if got == sorted(expected + [(w, w) for w in words]):
            return "your pairs include (word, word) for every position: a word is not its own context — skip offset 0."
        one_sided = sorted((words[t], words[t + d]) for t in range(len(words))
                           for d in range(1, window + 1) if t + d < len(words))
        if got == one_sided:
            return "you only look to the right: the context spans `window` words on BOTH sides."
        if got == sorted(set(expected)) and len(got) < len(expected):
            repeated = next(p for p in expected if expected.count(p) > 1)
            return (f"for words={words} you dropped a repeated pair: {repeated} occurs {expected.count(repeated)} "
                    "times in the sentence, and skip-gram trains on every occurrence (don't deduplicate with a set).")
        return (f"for words={words} and window={window} you gave {len(got)} pairs, expected "
                f"{len(expected)}; e.g. missing {sorted(set(expected) - set(got))[:3]}, "
                f"extra {sorted(set(got) - set(expected))[:3]}")


class PairCount(NumberQuestion):
    """How many skip-gram pairs a 10-word sentence gives with a fixed window of 2."""

    var = "n_pairs"
    prompt = "How many (centre, context) pairs does a 10-word sentence give with a fixed window of 2 words each side?"
    hints = ("Count the neighbours of each position, not 10 × 4: the words near the ends have fewer.",
             "The middle words have 4, but the first word has only 2 (to its right), the second has 3, and the same "
             "at the other end.")
    solution_code = """
n_pairs = sum(min(t, 2) + min(10 - 1 - t, 2) for t in range(10))
"""
    units = "number of pairs"
    mistakes = (
        ("n_pairs = 10 * 4", "edges"),
        ("n_pairs = 10 * 2", "one side"),
        ("n_pairs = 34 // 2", "two examples"),
    )
    correct_message = "edges lose 6 pairs; a 17 M-word corpus has so few edges that ~2·window pairs per word is a fine estimate."

    def expected(self) -> float:
        return len(_pairs(list(range(10)), 2))

    def wrong_answer_hints(self) -> dict:
        return {40: "10 words × 4 neighbours ignores the edges: the first and last words have fewer neighbours.",
                20: "that counts one side only: each word looks 2 words left AND 2 words right.",
                17: "that counts each unordered pair once; skip-gram uses (a, b) and (b, a) as two examples."}


def _analogy_vectors():
    """A tiny 3-D embedding in which a plain dot product, or not leaving out a, b and c, gives a wrong word."""
    words = ["man", "woman", "king", "queen", "prince", "princess", "apple", "giant"]
    vectors = np.array([            # found by a small random search: each trap below catches one mistake
        [0.5, 0.9, -0.9],     # man
        [-0.3, 1.0, -0.4],    # woman
        [0.4, 1.1, 0.9],      # king
        [-0.5, 2.0, -0.1],    # queen
        [0.5, -0.5, 1.4],     # prince
        [2.0, 0.3, 2.1],      # princess
        [-0.3, -0.2, -1.4],   # apple
        [6.0, 6.5, 6.4],      # giant: a long vector, wins any plain dot product
    ])
    return words, vectors


class AnalogyByArithmetic(FunctionQuestion):
    """Answer 'a is to b as c is to ?' with vector arithmetic."""

    var = "solve_analogy"
    prompt = ("Write `solve_analogy(vectors, words, a, b, c)`: `vectors` is a (V, D) NumPy array whose row i is the "
              "vector of `words[i]`. Return the word whose vector has the highest COSINE similarity to "
              "b - a + c (use unit-length vectors), leaving out a, b and c themselves.")
    hints = ("Normalise: unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True), so that a dot product "
             "is a cosine.",
             "target = unit[i_b] - unit[i_a] + unit[i_c]; scores = unit @ target; set the scores of a, b, c to "
             "-inf and return words[scores.argmax()].")
    solution_code = """
def solve_analogy(vectors, words, a, b, c):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    index = {w: i for i, w in enumerate(words)}
    target = unit[index[b]] - unit[index[a]] + unit[index[c]]
    scores = unit @ target
    for w in (a, b, c):
        scores[index[w]] = -np.inf
    return words[int(np.argmax(scores))]
"""
    correct_message = "that is 3CosAdd, the rule of the Google analogy test and of gensim's most_similar."
    mistakes = (
        ("""
def solve_analogy(vectors, words, a, b, c):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    index = {w: i for i, w in enumerate(words)}
    return words[int(np.argmax(unit @ (unit[index[b]] - unit[index[a]] + unit[index[c]])))]
""", "leave a, b and c out"),
        ("""
def solve_analogy(vectors, words, a, b, c):
    index = {w: i for i, w in enumerate(words)}
    scores = vectors @ (vectors[index[b]] - vectors[index[a]] + vectors[index[c]])
    for w in (a, b, c):
        scores[index[w]] = -np.inf
    return words[int(np.argmax(scores))]
""", "cosine"),
    )

    def _reference(self, vectors, words, a, b, c):
        unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        index = {w: i for i, w in enumerate(words)}
        scores = unit @ (unit[index[b]] - unit[index[a]] + unit[index[c]])
        for w in (a, b, c):
            scores[index[w]] = -np.inf
        return words[int(np.argmax(scores))]

    def cases(self):
        words, vectors = _analogy_vectors()
        for question in [("man", "king", "woman"), ("king", "queen", "prince"), ("man", "woman", "king")]:
            yield (vectors, words, *question), self._reference(vectors, words, *question)

    def diagnose(self, args, got, expected):
        vectors, words, a, b, c = args
        if got in (a, b, c):
            return (f"for {b} - {a} + {c} you returned {got!r}, one of the question's own words: "
                    "leave a, b and c out of the search.")
        if got == "giant":
            return (f"for {b} - {a} + {c} you returned 'giant', the longest vector: compare directions "
                    "(cosine), i.e. normalise the vectors before the dot product.")
        return f"for {b} - {a} + {c} you returned {got!r}, expected {expected!r}"


QUESTIONS = [KeepProbability, SkipGramPairs, PairCount, AnalogyByArithmetic]
bind = make_binder(QUESTIONS)
progress = make_progress(QUESTIONS)
