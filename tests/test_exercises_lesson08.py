"""The lesson-08 exercises: solutions pass, every declared mistake and other known wrong answers fail with the
message a learner needs."""
import textwrap

import pytest
import torch

from lessons_lib.exercises import ____
from lessons_lib.exercises.lesson08 import QUESTIONS, C3Inputs, ReceptiveFieldSize, UnitByHand, bind


def test_every_solution_passes_and_starts_unattempted():
    assert len(QUESTIONS) >= 3
    for question_class in QUESTIONS:
        question_class().assert_check_passed()
        assert question_class().evaluate(____).status == "not attempted"


@pytest.mark.parametrize("question_class", QUESTIONS, ids=[q.__name__ for q in QUESTIONS])
def test_declared_mistakes_fail_with_their_message(question_class):
    assert len(question_class.mistakes) >= 2
    for code, fragment in question_class.mistakes:
        namespace = question_class().solution_namespace()
        exec(textwrap.dedent(code), namespace)
        question_class(namespace).assert_check_failed(namespace[question_class.var], fragment)


def test_bind_creates_q1_to_q3(capsys):
    namespace = {}
    bound = bind(namespace)
    assert [q.label for q in bound] == ["q1", "q2", "q3"]
    assert namespace["q1"].check().status == "not attempted"
    namespace["rf_size"] = 14
    assert namespace["q1"].check().passed


def test_receptive_field_answer_is_computed_not_pasted():
    assert ReceptiveFieldSize().expected() == 14
    q = ReceptiveFieldSize()
    q.assert_check_failed(11, "hint")
    q.assert_check_failed(12, "K − 1")


def test_c3_inputs_accepts_any_order_and_container():
    q = C3Inputs()
    q.assert_check_passed([5, 3, 4])
    q.assert_check_passed((3, 4, 5))
    q.assert_check_failed([3, 4], "row 3")
    q.assert_check_failed(["three"], "ints")


def test_unit_by_hand_other_answers():
    q = UnitByHand()
    q.assert_check_passed(lambda m, k, b, r, c: torch.clamp((m[:, r:r + k.shape[1], c:c + k.shape[2]] * k).sum() + b, min=0))
    q.assert_check_failed(lambda m, k, b, r, c: 0.0, "expected")
    q.assert_check_failed(lambda m, k, b, r, c: [1.0], "one number")
    q.assert_check_failed(3.0, "should be a function")
    q.assert_check_failed(lambda m, k, b, r, c: 1 / 0, "ZeroDivisionError")
