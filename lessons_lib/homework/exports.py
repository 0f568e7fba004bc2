"""What leaves the course directory: ``grades.csv`` and a Gradescope autograder per lesson (docs/instructors.md).

``write_grades_csv`` writes one row per (assignment, student) with a ``status`` — ``graded``, ``needs manual
grading`` (a check the grader could not decide, e.g. an answer that is not plain data) or ``not handed in`` — and
leaves ``score`` empty for a lesson never handed in, so it cannot be mistaken for a zero.
Part of the instructors' homework tooling; not a notebook's helper.
"""
from __future__ import annotations

import csv
from pathlib import Path

GRADES_COLUMNS = ("assignment", "student_id", "status", "score", "max_score", "needs_manual_grading")


def grade_rows(course_dir: Path) -> list[dict]:
    """The rows of grades.csv, from the gradebook: every assignment × every student."""
    from nbgrader.api import Gradebook, MissingEntry

    rows = []
    with Gradebook(f"sqlite:///{Path(course_dir) / 'gradebook.db'}") as gb:
        students = sorted(s.id for s in gb.students)
        for assignment in sorted(gb.assignments, key=lambda a: a.name):
            for student in students:
                try:
                    submission = gb.find_submission(assignment.name, student)
                except MissingEntry:
                    rows.append({"assignment": assignment.name, "student_id": student, "status": "not handed in",
                                 "score": "", "max_score": assignment.max_score, "needs_manual_grading": ""})
                    continue
                manual = sorted(g.name for nb in submission.notebooks for g in nb.grades if g.needs_manual_grade)
                rows.append({"assignment": assignment.name, "student_id": student,
                             "status": "needs manual grading" if manual else "graded", "score": submission.score,
                             "max_score": assignment.max_score, "needs_manual_grading": " ".join(manual)})
    return rows


def write_grades_csv(course_dir: Path, to: Path | None = None) -> Path:
    """Write ``grades.csv`` (see the module's docstring); returns its path."""
    path = Path(to) if to else Path(course_dir) / "grades.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=GRADES_COLUMNS)
        writer.writeheader()
        writer.writerows(grade_rows(course_dir))
    return path


def write_gradescope_zip(course_dir: Path, assignment: str, to: Path | None = None) -> Path:
    """A Gradescope autograder zip for ``assignment`` (written in a later step)."""
    raise NotImplementedError("the Gradescope export is not written yet")
