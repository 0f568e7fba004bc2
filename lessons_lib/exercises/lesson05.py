"""Exercises for notebook 05 (word2vec: CBOW and skip-gram from scratch).

q1: word2vec's subsampling keep probability; q2: skip-gram pairs of a sentence; q3: how many pairs a
sentence gives; q4: answer an analogy with vector arithmetic.

Introduced in notebook 05 (word2vec).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .core import FunctionQuestion, Incorrect, NumberQuestion, make_binder


class KeepProbability(FunctionQuestion):
    """Write word2vec's subsampling formula."""

    var = "keep_probability_of"
    prompt = ("Write `keep_probability_of(frequency, sample)`: the probability that word2vec keeps one occurrence "
              "of a word whose share of the corpus is `frequency`, i.e. (sqrt(f / sample) + 1) · sample / f, "
              "never more than 1.")
    hint_text = ("With f = frequency and t = sample: keep = (math.sqrt(f / t) + 1) * t / f, then cap it with "
                 "min(1.0, …). A word with f = t is kept with probability 2t/t·… — check it gives 1.")
    solution_code = """
def keep_probability_of(frequency, sample=1e-3):
    keep = (math.sqrt(frequency / sample) + 1) * sample / frequency
    return min(1.0, keep)
"""
    correct_message = "that is the formula in word2vec.c and gensim: rare words are always kept, 'the' mostly dropped."

    def cases(self):
        for frequency, sample in [(0.05, 1e-3), (0.01, 1e-3), (0.002, 1e-3), (1e-5, 1e-3), (0.05, 1e-4)]:
            yield (frequency, sample), min(1.0, (math.sqrt(frequency / sample) + 1) * sample / frequency)

    def check_answer(self, value: Any) -> None:
        if not callable(value):
            raise Incorrect(f"`{self.var}` should be a function, got {type(value).__name__}")
        for (frequency, sample), expected in self.cases():
            got = value(frequency, sample)
            try:
                got = float(got)
            except (TypeError, ValueError):
                raise Incorrect(f"{self.var}({frequency}, {sample}) returned {got!r}, expected a number") from None
            if math.isclose(got, expected, rel_tol=1e-6):
                continue
            if math.isclose(got, 1 - math.sqrt(sample / frequency), rel_tol=1e-6):
                raise Incorrect("that is the paper's probability of DISCARDING a word, 1 - sqrt(t/f); "
                                "return the probability of keeping it, as the code computes it.")
            if math.isclose(got, math.sqrt(sample / frequency), rel_tol=1e-6):
                raise Incorrect("that is the paper's keep probability sqrt(t/f); word2vec's code adds t/f: "
                                "(sqrt(f/t) + 1) · t/f.")
            if got > 1 + 1e-12:
                raise Incorrect(f"{self.var}({frequency}, {sample}) returned {got:.4g}: a probability cannot exceed 1 "
                                "— cap it with min(1.0, …).")
            raise Incorrect(f"{self.var}({frequency}, {sample}) returned {got!r}, expected {expected!r}")


def _pairs(words, window):
    return sorted((words[t], words[t + d]) for t in range(len(words))
                  for d in range(-window, window + 1) if d != 0 and 0 <= t + d < len(words))


class SkipGramPairs(FunctionQuestion):
    """Build skip-gram (centre, context) pairs for a fixed window."""

    var = "skipgram_pairs_of"
    prompt = ("Write `skipgram_pairs_of(words, window)`: every (centre, context) pair of the list `words` where the "
              "context word is at most `window` positions left or right of the centre (fixed window, no sampling). "
              "Return a list of tuples; the order does not matter.")
    hint_text = ("Loop over positions t, then over offsets d in -window … +window; skip d == 0 (a word is not its "
                 "own context) and positions t + d outside 0 … len(words) - 1.")
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

    def cases(self):
        sentences = [("the quick brown fox jumps over the lazy dog".split(), 2),
                     ("king and queen".split(), 1), ("a b c d e".split(), 4), (["alone"], 3)]
        for words, window in sentences:
            yield (words, window), _pairs(words, window)

    def check_answer(self, value: Any) -> None:
        if not callable(value):
            raise Incorrect(f"`{self.var}` should be a function, got {type(value).__name__}")
        for (words, window), expected in self.cases():
            got = value(list(words), window)
            try:
                got = sorted(tuple(p) for p in got)
            except TypeError:
                raise Incorrect(f"{self.var} should return a list of (centre, context) tuples, got {got!r}") from None
            if got == expected:
                continue
            if got == sorted(expected + [(w, w) for w in words]):
                raise Incorrect("your pairs include (word, word) for every position: a word is not its own context "
                                "— skip offset 0.")
            one_sided = sorted((words[t], words[t + d]) for t in range(len(words))
                               for d in range(1, window + 1) if t + d < len(words))
            if got == one_sided:
                raise Incorrect("you only look to the right: the context spans `window` words on BOTH sides.")
            raise Incorrect(f"for words={words} and window={window} you gave {len(got)} pairs, expected "
                            f"{len(expected)}; e.g. missing {sorted(set(expected) - set(got))[:3]}, "
                            f"extra {sorted(set(got) - set(expected))[:3]}")


class PairCount(NumberQuestion):
    """How many skip-gram pairs a 10-word sentence gives with a fixed window of 2."""

    var = "n_pairs"
    prompt = "How many (centre, context) pairs does a 10-word sentence give with a fixed window of 2 words each side?"
    hint_text = ("Count the neighbours of each position: the middle words have 4, but the first word has only 2 "
                 "(to its right), the second has 3, and the same at the other end.")
    solution_code = """
n_pairs = sum(min(t, 2) + min(10 - 1 - t, 2) for t in range(10))
"""
    units = "number of pairs"
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
    hint_text = ("Normalise: unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True). Then "
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

    def check_answer(self, value: Any) -> None:
        if not callable(value):
            raise Incorrect(f"`{self.var}` should be a function, got {type(value).__name__}")
        for args, expected in self.cases():
            vectors, words, a, b, c = args
            got = value(vectors.copy(), list(words), a, b, c)
            if got == expected:
                continue
            if got in (a, b, c):
                raise Incorrect(f"for {b} - {a} + {c} you returned {got!r}, one of the question's own words: "
                                "leave a, b and c out of the search.")
            if got == "giant":
                raise Incorrect(f"for {b} - {a} + {c} you returned 'giant', the longest vector: compare directions "
                                "(cosine), i.e. normalise the vectors before the dot product.")
            raise Incorrect(f"for {b} - {a} + {c} you returned {got!r}, expected {expected!r}")


bind = make_binder([KeepProbability, SkipGramPairs, PairCount, AnalogyByArithmetic])
