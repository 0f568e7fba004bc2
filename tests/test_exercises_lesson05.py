"""The exercises of notebook 05 (word2vec): solutions pass, known mistakes get the right message."""
import math

import numpy as np
import pytest

from lessons_lib.exercises import ____, lesson05


@pytest.fixture()
def questions():
    return lesson05.bind({})


def test_there_are_at_least_three_questions(questions):
    assert len(questions) >= 3


def test_every_solution_passes(questions):
    for question in questions:
        question.assert_check_passed()


def test_placeholders_report_not_attempted(questions):
    for question in questions:
        assert question.evaluate(____).status == "not attempted"

    def uses_placeholder(words, window):
        return ____

    assert questions[1].evaluate(uses_placeholder).status == "not attempted"


def test_keep_probability_known_mistakes(questions):
    q1 = questions[0]
    q1.assert_check_failed(lambda f, t: 1 - math.sqrt(t / f), "discarding")
    q1.assert_check_failed(lambda f, t: math.sqrt(t / f), "adds t/f")
    q1.assert_check_failed(lambda f, t: (math.sqrt(f / t) + 1) * t / f, "cannot exceed 1")
    q1.assert_check_failed(lambda f, t: "high", "expected a number")
    q1.assert_check_failed(0.5, "should be a function")


def test_skipgram_pairs_known_mistakes(questions):
    q2 = questions[1]

    def with_self(words, window):
        return [(words[t], words[t + d]) for t in range(len(words)) for d in range(-window, window + 1)
                if 0 <= t + d < len(words)]

    def right_only(words, window):
        return [(words[t], words[t + d]) for t in range(len(words)) for d in range(1, window + 1) if t + d < len(words)]

    def no_edges(words, window):
        return [(words[t], words[t + d]) for t in range(window, len(words) - window) for d in range(-window, window + 1) if d]

    q2.assert_check_failed(with_self, "not its own context")
    q2.assert_check_failed(right_only, "BOTH sides")
    q2.assert_check_failed(no_edges, "missing")


def test_pair_count_known_mistakes(questions):
    q3 = questions[2]
    assert q3.expected() == 34
    q3.assert_check_failed(40, "edges")
    q3.assert_check_failed(20, "one side")
    q3.assert_check_failed(17, "two examples")
    q3.assert_check_failed(33, "hint")
    q3.assert_check_failed("34", "should be a number")


def test_analogy_known_mistakes(questions):
    q4 = questions[3]

    def no_exclusion(vectors, words, a, b, c):
        unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        index = {w: i for i, w in enumerate(words)}
        return words[int(np.argmax(unit @ (unit[index[b]] - unit[index[a]] + unit[index[c]])))]

    def plain_dot(vectors, words, a, b, c):
        index = {w: i for i, w in enumerate(words)}
        scores = vectors @ (vectors[index[b]] - vectors[index[a]] + vectors[index[c]])
        for w in (a, b, c):
            scores[index[w]] = -np.inf
        return words[int(np.argmax(scores))]

    q4.assert_check_failed(no_exclusion, "leave a, b and c out")
    q4.assert_check_failed(plain_dot, "cosine")
    q4.assert_check_failed(lambda vectors, words, a, b, c: "apple", "expected")
