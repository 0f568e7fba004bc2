"""End to end with nbgrader itself: build the course for lessons 00 and 01, release it, grade six students.

Builds with ``--exercises-only`` (the opening cells, the cells a solution needs, and the exercises) so that
the gradings fit in the suite's budget; the full notebooks build the same way (checked without running).
Students: alice answers everything right; bob makes known mistakes and fails a hidden test; carol loops
forever in one cell; dave's answer raises; erin allocates memory without end; frank crashes his kernel. alice and bob
hand in both lessons; the other four only the lesson where their failure is (eight gradings, not twelve: each costs a
kernel start on a busy runner), so the export also shows a lesson never handed in, scored 0.
Skipped when nbgrader (the `instructor` extra) is not installed.
"""
from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("nbgrader")
pytestmark = pytest.mark.expected_seconds(160)   # on 2 busy cores (../conftest.py starts the longest scopes first)

from lessons_lib import homework  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 20          # per cell while grading (importing torch on a busy 2-core runner takes seconds)
MEMORY_GB = 3           # per grading kernel
EAT_GB = 5              # what erin's cell tries to hold: more than the limit, but survivable if the limit were missing

RIGHT = {
    ("lesson00", "q1"): "pixels_per_image = mnist['x_train'][0].size",
    ("lesson00", "q2"): "def to_unit_range(images):\n    return images.astype(np.float32) / 255.0",
    ("lesson00", "q3"): "def source_of(dataset):\n    return dataset.source",
    ("lesson01", "q1"): "n_parameters = 64 * (32 * 3 * 3 + 1)",
    ("lesson01", "q2"): "def output_size(size, kernel, stride, padding):\n    return (size - kernel + 2 * padding) // stride + 1",
    ("lesson01", "q3"): "def keras_to_torch(kernel):\n    return kernel.permute(3, 2, 0, 1)",
    ("lesson01", "q4"): "n_depthwise = 8 * (7 * 7 + 1)",
}
STUDENTS = {
    "alice": {},
    "bob": {
        ("lesson00", "q1"): "pixels_per_image = 28",
        ("lesson01", "q1"): "n_parameters = 64 * 32 * 3 * 3",
        # right on every visible case (no stride 3 among them), wrong on the hidden ones
        ("lesson01", "q2"): "def output_size(size, kernel, stride, padding):\n"
                            "    return (size - kernel + 2 * padding) // stride + 1 if stride != 3 else 0",
        ("lesson01", "q3"): "def keras_to_torch(kernel):\n    return kernel.permute(3, 2, 1, 0)",
    },
    "carol": {("lesson01", "q2"): "while True:\n    pass"},
    "dave": {("lesson00", "q2"): "def to_unit_range(images):\n    return images / 255\nraise RuntimeError('oops')"},
    "erin": {("lesson00", "q1"): f"hoard = [bytearray(2 ** 27) for _ in range({EAT_GB * 8})]\n"
                                 "pixels_per_image = mnist['x_train'][0].size"},
    "frank": {("lesson01", "q3"): "import os\nos._exit(1)"},
}
# the lessons each student hands in: alice and bob both, the others the one where their failure is
HANDS_IN = {"alice": ("lesson00", "lesson01"), "bob": ("lesson00", "lesson01"), "carol": ("lesson01",),
            "dave": ("lesson00",), "erin": ("lesson00",), "frank": ("lesson01",)}
# the score each check cell should get: 1 unless listed
ZEROS = {
    "bob": {("lesson00", "q1"), ("lesson01", "q1"), ("lesson01", "q2"), ("lesson01", "q3")},
    "carol": {("lesson01", "q2")},
    "dave": {("lesson00", "q2")},
    "erin": {("lesson00", "q1")},
    "frank": {("lesson01", "q3"), ("lesson01", "q4")},      # nothing runs after the kernel died
}
MAX = {"lesson00": 3, "lesson01": 4}
NOTEBOOK = {"lesson00": "00_start_here.ipynb", "lesson01": "01_filter_depth.ipynb"}


def nbgrader(course: Path, *args: str, timeout: int = 900) -> str:   # a hang fails the test; a busy runner does not
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")   # nbgrader runs `alembic`
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")              # kernels import this tree
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def cell_sources(path: Path) -> str:
    return "\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells)


def test_every_lesson_builds_into_an_nbgrader_source_notebook(tmp_path):
    built = homework.build_course(tmp_path / "full")
    assert {b.assignment for b in built} >= {f"lesson0{n}" for n in range(6)}
    for result in built:
        cells = result.notebook.cells
        graded = [c for c in cells if c.metadata.get("nbgrader", {}).get("grade")]
        answers = [c for c in cells if c.metadata.get("nbgrader", {}).get("solution")]
        assert len(graded) == len(answers) == len(result.checks) >= 3, result.notebook_name
        assert all("### BEGIN SOLUTION" in c.source and "### END SOLUTION" in c.source for c in answers)
        assert all(c.metadata["nbgrader"]["locked"] and c.metadata["nbgrader"]["points"] >= 1 for c in graded)
        grade_ids = [c.metadata["nbgrader"]["grade_id"] for c in cells if "nbgrader" in c.metadata]
        assert len(grade_ids) == len(set(grade_ids)), f"{result.notebook_name}: duplicate grade ids"
        prose = [c for c in cells if c.cell_type == "markdown"]
        assert prose and all(c.metadata["nbgrader"]["locked"] for c in prose)
        assert not any(c.cell_type == "code" and "____" in c.source and ".check()" in c.source
                       and "BEGIN SOLUTION" not in c.source for c in cells), "no blank is left in a check cell"


def test_bad_input_to_the_builder_says_what_was_expected(tmp_path):
    with pytest.raises(FileNotFoundError, match="notebooks there"):
        homework.build_course(tmp_path, ["42"])
    with pytest.raises(ValueError, match="by its number"):
        homework.lesson_notebook("x", ROOT / "notebooks")
    with pytest.raises(ValueError, match="seconds per cell"):
        homework.write_config(tmp_path, timeout=0)


def submit(course: Path, student: str, assignment: str) -> None:
    release = course / "release" / assignment / NOTEBOOK[assignment]
    notebook = nbformat.read(release, as_version=4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id.startswith("answer-"):
            label = grade_id.removeprefix("answer-")
            cell.source = STUDENTS[student].get((assignment, label), RIGHT[(assignment, label)])
    target = course / "submitted" / student / assignment / NOTEBOOK[assignment]
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)


def test_assign_autograde_feedback_export_with_nbgrader(tmp_path):
    start = time.perf_counter()
    course = tmp_path / "course"
    built = {b.assignment: b for b in homework.build_course(course, ["00", "01"], exercises_only=True,
                                                             timeout=TIMEOUT_S, memory_gb=MEMORY_GB)}
    assert built["lesson01"].hidden == ["q2"] and {a: b.max_score for a, b in built.items()} == MAX

    for assignment in MAX:
        nbgrader(course, "generate_assignment", assignment, "--force")
        source = cell_sources(course / "source" / assignment / NOTEBOOK[assignment])
        student = cell_sources(course / "release" / assignment / NOTEBOOK[assignment])
        assert "### BEGIN SOLUTION" in source and "### BEGIN SOLUTION" not in student
        assert student.count("raise NotImplementedError()") == MAX[assignment]
        for label in ("q1", "q2", "q3"):
            assert RIGHT[(assignment, label)].splitlines()[-1].strip() not in student, "a solution reached students"
    hidden_source = cell_sources(course / "source" / "lesson01" / NOTEBOOK["lesson01"])
    released = cell_sources(course / "release" / "lesson01" / NOTEBOOK["lesson01"])
    assert "output_size(100, 7, 3, 2)" in hidden_source
    assert "HIDDEN TESTS" not in released and "output_size(100, 7, 3, 2)" not in released

    assert set(HANDS_IN) == set(STUDENTS) and all(a in HANDS_IN[s] for s in STUDENTS for a, _ in STUDENTS[s])
    for student, assignments in HANDS_IN.items():
        for assignment in assignments:
            submit(course, student, assignment)
    for assignment in MAX:
        nbgrader(course, "autograde", assignment, "--force")     # finishes: carol's loop is stopped after TIMEOUT_S

    autograded = course / "autograded"
    carol = nbformat.read(autograded / "carol" / "lesson01" / NOTEBOOK["lesson01"], as_version=4)
    assert any(o.get("ename") == "CellTimeoutError" for c in carol.cells if c.cell_type == "code" for o in c.outputs)
    erin = nbformat.read(autograded / "erin" / "lesson00" / NOTEBOOK["lesson00"], as_version=4)
    assert any(o.get("ename") == "MemoryError" for c in erin.cells if c.cell_type == "code" for o in c.outputs), \
        "erin's allocation must hit the grading kernel's memory limit"

    for assignment in MAX:
        nbgrader(course, "generate_feedback", assignment, "--force")
    for student, assignments in HANDS_IN.items():
        for assignment in assignments:
            page = course / "feedback" / student / assignment / NOTEBOOK[assignment].replace(".ipynb", ".html")
            html = page.read_text()
            assert "HIDDEN TESTS" not in html and "output_size(100, 7, 3, 2)" not in html and "same(" not in html, \
                f"hidden tests leak into {page}"
    bob = (course / "feedback" / "bob" / "lesson01" / "01_filter_depth.html").read_text()
    assert "forgot the biases" in bob and "kh and kw swapped" in bob and "a hidden test of q2 failed" in bob

    with __import__("nbgrader.api", fromlist=["Gradebook"]).Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student, assignments in HANDS_IN.items():
            for assignment in assignments:
                submission = gb.find_submission_notebook(NOTEBOOK[assignment].removesuffix(".ipynb"), assignment,
                                                         student)
                scores = {grade.name.removeprefix("check-"): grade.score for grade in submission.grades}
                expected = {label: 0.0 if (assignment, label) in ZEROS.get(student, set()) else 1.0
                            for label in scores}
                assert scores == expected, f"{student} {assignment}: {scores}"

    nbgrader(course, "export")
    with open(course / "grades.csv", newline="") as handle:
        rows = {(row["assignment"], row["student_id"]): row for row in csv.DictReader(handle)}
    assert len(rows) == len(STUDENTS) * len(MAX)          # every student, every lesson: handed in or not
    for (assignment, student), row in rows.items():
        zeros = sum(1 for a, _ in ZEROS.get(student, set()) if a == assignment)
        expected = MAX[assignment] - zeros if assignment in HANDS_IN[student] else 0.0
        assert float(row["max_score"]) == MAX[assignment]
        assert float(row["score"]) == expected, f"{student} {assignment}: {row}"
    gradings = sum(map(len, HANDS_IN.values()))
    print(f"nbgrader pipeline, 2 lessons, {len(STUDENTS)} students, {gradings} gradings: "
          f"{time.perf_counter() - start:.0f} s")
    shutil.rmtree(course / "autograded", ignore_errors=True)
