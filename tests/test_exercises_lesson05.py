"""Lesson 05's exercises: the cases its `mistakes` cannot express (the contract is in test_exercises_all_lessons.py)."""
from lessons_lib.exercises import ____, lesson05


def test_unfinished_function_is_not_attempted():
    def skipgram_pairs_of(words, window):
        return ____

    assert lesson05.SkipGramPairs().evaluate(skipgram_pairs_of).status == "not attempted"


def test_odd_answers():
    lesson05.KeepProbability().assert_check_failed(0.5, "should be a function")
    lesson05.SkipGramPairs().assert_check_failed(lambda words, window: 3, "list of (centre, context) tuples")
    lesson05.PairCount().assert_check_failed(33, "hint")
    lesson05.PairCount().assert_check_failed("34", "should be a number")
    lesson05.AnalogyByArithmetic().assert_check_failed(lambda vectors, words, a, b, c: "apple", "expected")


def test_the_first_hint_reads_as_a_sentence():
    hint = lesson05.KeepProbability.hints[1]
    assert "2t/t" not in hint and "capped to 1" in hint
