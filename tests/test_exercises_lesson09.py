"""The lesson-09 exercises beyond the contract every lesson keeps (tests/test_exercises_all_lessons.py runs each
solution, blank and declared mistake): binding, the hint that follows a recognised mistake, answers of odd types,
and the homework builder on the lesson."""
from pathlib import Path

import numpy as np

from lessons_lib import homework
from lessons_lib.exercises.lesson09 import PuctScore, ValueTargets, VisitPolicy, bind


def test_bind_creates_q1_to_q3(capsys):
    namespace = {}
    bound = bind(namespace)
    assert [q.label for q in bound] == ["q1", "q2", "q3"]
    assert namespace["q1"].check().status == "not attempted"
    namespace["z_targets"] = lambda players, outcome: [outcome * p for p in players]
    assert namespace["q2"].check().passed


def test_puct_mistakes_are_named_and_the_hint_follows_them(capsys):
    q = PuctScore()
    q.assert_check_failed(lambda q_, p, n, na, c: q_ - c * p * np.sqrt(n) / (1 + na), "wrong sign")
    q.assert_check_failed(lambda q_, p, n, na, c: q_ + c * p * n / (1 + na), "square root")
    q.assert_check_failed(lambda q_, p, n, na, c: q_ + c * p * np.sqrt(n / (1 + na)), "of N(s) alone")
    q.assert_check_failed(lambda q_, p, n, na, c: [q_], "one number")
    q.assert_check_failed(lambda q_, p, n, na, c: 0.0, "expected")
    q.assert_check_passed(lambda q_, p, n, na, c: np.float64(q_ + c * p * np.sqrt(n) / (1 + na)))  # a NumPy float
    learner = PuctScore({"puct_score": lambda q_, p, n, na, c: q_ - c * p * np.sqrt(n) / (1 + na)}, label="q1")
    learner.check()
    learner.hint()
    assert "ADDED to Q" in capsys.readouterr().out


def test_value_targets_accepts_arrays_and_names_the_perspective_mistake():
    q = ValueTargets()
    q.assert_check_passed(lambda players, outcome: np.asarray(players) * outcome)
    q.assert_check_failed(lambda players, outcome: [outcome] * len(players), "X's point of view")
    q.assert_check_failed(lambda players, outcome: [outcome] * 2, "one z per position")


def test_visit_policy_names_the_temperature_mistakes():
    q = VisitPolicy()
    q.assert_check_failed(lambda v, t: np.asarray(v, float), "sum to 1")
    q.assert_check_failed(lambda v, t: "pi", "array")
    q.assert_check_passed(lambda v, t: VisitPolicy.reference(v, t).tolist())


def test_the_homework_builder_handles_lesson_09():
    notebook = Path(__file__).resolve().parent.parent / "notebooks" / "09_alphazero.ipynb"
    built = homework.build_notebook(notebook, exercises_only=True)
    sources = "\n".join(cell.source for cell in built.notebook.cells)
    for var in ("puct_score", "z_targets", "pi_from_visits"):
        assert f"def {var}" in sources
    assert "self_play(" not in sources            # the exercises-only notebook does not train
