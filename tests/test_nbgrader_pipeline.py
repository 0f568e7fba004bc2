"""End to end: build the course for lessons 00 and 01, release it with nbgrader, grade a class that includes a red team.

Builds with ``--exercises-only`` (the opening cells, the cells a solution needs, and the exercises) so that the gradings
fit in the suite's budget; the full notebooks build the same way (checked without running). Grading is
``python -m lessons_lib.homework grade`` (every submission in a bubblewrap sandbox, its answers checked in the grader's
own process, two at a time); feedback is nbgrader's ``generate_feedback``; grades.csv is ``homework export``.

Students, each with the score it must get: alice answers everything right; bob makes known mistakes and fails a hidden
test; carol loops forever in one cell; dave's answer raises; erin allocates memory without end; frank crashes his
kernel (only that cell is lost now: the kernel is restarted). The red team: mallory forges the gradebook with sqlite3
and deletes it; trent appends code to nbgrader_config.py; eve reads the grader's environment (a fake
JUPYTERHUB_API_TOKEN) and /proc; patch replaces Question.check / evaluate / same with wrong answers; sigil loops with
SIGINT and SIGTERM ignored; loud prints 100 MB; del deletes, strips and edits locked cells; marker writes
"BEGIN HIDDEN TESTS" in an answer; greedy sets ``grade: true, points: 1000`` on an answer cell; oscar's answer is not
plain data (needs manual grading); peek looks for the answers while being graded — ``exec(q1.solution_code)``,
``q2.hidden_cases()``, ``q4.expected()`` and the instructor's files — and finds none: the run imports the students'
copy of lessons_lib and the instructor's clone is hidden (each answer graded as an honest wrong one). Skipped when nbgrader (the `instructor` extra) is not installed, and the graded
part when bubblewrap cannot run here (saying why).
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("nbgrader")
pytestmark = pytest.mark.expected_seconds(500)   # measured 404 s + 87 s at load 5-9   # on 2 busy cores (../conftest.py starts the longest scopes first)

from lessons_lib import homework  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 20          # per cell while grading (importing torch on a busy 2-core runner takes seconds)
MEMORY_GB = 3           # per grading kernel
EAT_GB = 5              # what erin's cell tries to hold: more than the limit, but survivable if the limit were missing
TOKEN = "fake-hub-token-5b1c"   # in the grader's environment; no student may see it
RIGHT = {
    ("lesson00", "q1"): "pixels_per_image = mnist['x_train'][0].size",
    ("lesson00", "q2"): "def to_unit_range(images):\n    return images.astype(np.float32) / 255.0",
    ("lesson00", "q3"): "def source_of(dataset):\n    return dataset.source",
    ("lesson01", "q1"): "n_parameters = 64 * (32 * 3 * 3 + 1)",
    ("lesson01", "q2"): "def output_size(size, kernel, stride, padding):\n    return (size - kernel + 2 * padding) // stride + 1",
    ("lesson01", "q3"): "def keras_to_torch(kernel):\n    return kernel.permute(3, 2, 0, 1)",
    ("lesson01", "q4"): "n_depthwise = 8 * (7 * 7 + 1)",
}
RIGHT_Q1 = RIGHT[("lesson01", "q1")]
FORGE = """import os, sqlite3
for path in ['../../../gradebook.db', '{course}/gradebook.db']:
    try:
        db = sqlite3.connect(path)
        db.execute('UPDATE grade SET auto_score = 0, manual_score = 0')
        db.commit()
        print('forged', path)
    except Exception as error:
        print('forging failed:', error)
    try:
        os.remove(path)
        print('removed', path)
    except Exception as error:
        print('removing failed:', error)
"""
APPEND = """try:
    with open('{course}/nbgrader_config.py', 'a') as handle:
        handle.write('\\nopen("{course}/pwned", "w").write("x")\\n')
except Exception as error:
    print('appending failed:', error)
"""
SNOOP = """import glob, os
seen = str(dict(os.environ))
for path in glob.glob('/proc/[0-9]*/environ'):
    try:
        seen += open(path, errors='replace').read()
    except Exception:
        pass
leaked = 'fake-hub-token' in seen
print('leaked' if leaked else 'nothing to see')
n_parameters = 0 if leaked else 64 * (32 * 3 * 3 + 1)"""
PATCH = """from lessons_lib.exercises.core import FunctionQuestion, NumberQuestion, Outcome, Question
Question.check = lambda self: Outcome('correct', 'patched')
Question.evaluate = lambda self, value: Outcome('correct', 'patched')
NumberQuestion.check_answer = lambda self, value: None
FunctionQuestion.same = lambda *args: True
type(q2).same = lambda *args: True
n_parameters = 1"""
SIGIL = """import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
while True:
    pass"""
# peek looks for the answers in the package while being graded: the students' copy has none, the instructor's is hidden
PEEK_Q1 = """try:
    exec(q1.solution_code)
except Exception as error:
    print('no solution:', type(error).__name__)
    n_parameters = 0"""
PEEK_Q2 = """try:
    table = {tuple(args): want for args, want in q2.hidden_cases()}
except Exception as error:
    print('no hidden tests:', type(error).__name__)
    table = {}
def output_size(size, kernel, stride, padding):
    return table.get((size, kernel, stride, padding), -1)"""
PEEK_Q3 = """source = ''
for path in ['{instructors}/lessons_lib/exercises/lesson01.py', '{instructors}/tests/test_nbgrader_pipeline.py']:
    try:
        source += open(path).read()
    except OSError as error:
        print('no instructor copy:', type(error).__name__)
def keras_to_torch(kernel):
    return kernel.permute(3, 2, 0, 1) if 'permute(3, 2, 0, 1)' in source else kernel"""
PEEK_Q4 = """try:
    n_depthwise = q4.expected()
except Exception as error:
    print('no expected value:', type(error).__name__)
    n_depthwise = 0"""
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
    "mallory": {("lesson01", "q1"): FORGE + RIGHT_Q1},
    "trent": {("lesson01", "q1"): APPEND + RIGHT_Q1},
    "eve": {("lesson01", "q1"): SNOOP},
    "patch": {("lesson01", "q1"): PATCH, ("lesson01", "q2"): "def output_size(*args):\n    return -1",
              ("lesson01", "q3"): "def keras_to_torch(kernel):\n    return kernel", ("lesson01", "q4"): "n_depthwise = 1"},
    "sigil": {("lesson01", "q2"): SIGIL},
    "loud": {("lesson01", "q1"): "print('x' * 100_000_000)\n" + RIGHT_Q1},
    "del": {},
    "marker": {("lesson01", "q1"): "# ### BEGIN HIDDEN TESTS\n" + RIGHT_Q1},
    "greedy": {},
    "oscar": {("lesson01", "q1"): "n_parameters = type('Mine', (), {})()"},
    "peek": {("lesson01", "q1"): PEEK_Q1, ("lesson01", "q2"): PEEK_Q2, ("lesson01", "q3"): PEEK_Q3,
             ("lesson01", "q4"): PEEK_Q4},
}
# the lessons each student hands in: alice and bob both, the others the one where their failure is
HANDS_IN = {"alice": ("lesson00", "lesson01"), "bob": ("lesson00", "lesson01"), "carol": ("lesson01",),
            "dave": ("lesson00",), "erin": ("lesson00",), "frank": ("lesson01",), "mallory": ("lesson01",),
            "trent": ("lesson01",), "eve": ("lesson01",), "patch": ("lesson01",), "sigil": ("lesson01",),
            "loud": ("lesson01",), "del": ("lesson00",), "marker": ("lesson01",), "greedy": ("lesson01",),
            "oscar": ("lesson01",), "peek": ("lesson01",)}
# the score each check cell should get: its points unless listed
ZEROS = {
    "bob": {("lesson00", "q1"), ("lesson01", "q1"), ("lesson01", "q2"), ("lesson01", "q3")},
    "carol": {("lesson01", "q2")},
    "dave": {("lesson00", "q2")},
    "erin": {("lesson00", "q1")},
    "frank": {("lesson01", "q3")},          # the kernel died there: restarted, q4 still counts
    "patch": {("lesson01", "q1"), ("lesson01", "q2"), ("lesson01", "q3"), ("lesson01", "q4")},
    "peek": {("lesson01", "q1"), ("lesson01", "q2"), ("lesson01", "q3"), ("lesson01", "q4")},
    "sigil": {("lesson01", "q2")},
}
MANUAL = {"oscar": {("lesson01", "q1")}}
TAMPERING = {"del"}          # the only students whose grading logs a warning
MAX = {"lesson00": 3, "lesson01": 4}
NOTEBOOK = {"lesson00": "00_start_here.ipynb", "lesson01": "01_filter_depth.ipynb"}


def env_for_tools() -> dict:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")   # nbgrader runs `alembic`
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")              # kernels import this tree
    env["JUPYTERHUB_API_TOKEN"] = TOKEN
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def nbgrader(course: Path, *args: str, timeout: int = 900, ok: bool = True) -> str:
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env_for_tools(),
                            capture_output=True, text=True, timeout=timeout)
    assert (result.returncode == 0) == ok, f"nbgrader {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def homework_cli(course: Path, *args: str, timeout: int = 1200) -> str:
    result = subprocess.run([sys.executable, "-m", "lessons_lib.homework", *args], cwd=course, env=env_for_tools(),
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"homework {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def cell_sources(path: Path) -> str:
    return "\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells)


def test_every_lesson_builds_into_an_nbgrader_source_notebook(tmp_path):
    built = homework.build_course(tmp_path / "full")
    assert {b.assignment for b in built} >= {f"lesson0{n}" for n in range(6)} | {"lesson03b"}
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
        assert not any("HIDDEN TESTS" in c.source for c in cells), "hidden tests live in the grader, not the notebook"
        if result.assignment == "lesson01":      # the lesson spells out q3's answer before the exercise: not here
            locked = "\n".join(c.source for c in cells if not c.metadata.get("nbgrader", {}).get("solution"))
            assert "permute(3, 2, 0, 1)" not in locked and "KERAS_TO_TORCH_AXES" in locked


def test_a_lesson_with_a_letter_builds_itself(tmp_path):
    assert [b.assignment for b in homework.build_course(tmp_path, ["03b"])] == ["lesson03b"]
    assert [b.assignment for b in homework.build_course(tmp_path, ["03"])] == ["lesson03"]


def test_bad_input_to_the_builder_says_what_was_expected(tmp_path):
    with pytest.raises(FileNotFoundError, match="notebooks there"):
        homework.build_course(tmp_path, ["42"])
    with pytest.raises(ValueError, match="by its number"):
        homework.lesson_notebook("x", ROOT / "notebooks")
    with pytest.raises(ValueError, match="seconds per cell"):
        homework.write_config(tmp_path, timeout=0)


def test_grading_refuses_to_run_unsandboxed_without_the_flag(tmp_path, monkeypatch):
    from lessons_lib.homework import sandbox
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    with pytest.raises(sandbox.SandboxUnavailable, match="unsandboxed"):
        sandbox.run_sandboxed(tmp_path, course_dir=tmp_path)


def test_answers_come_back_as_plain_data_only():
    import numpy as np
    import torch
    from lessons_lib.homework import codec

    class Evil:
        def __eq__(self, other):
            return True

        def __reduce__(self):
            return (os.system, ("echo pwned",))

    back = codec.loads(codec.dumps({"a": (1, 2.5, float("nan")), "x": np.arange(3), "t": torch.ones(2),
                                    "evil": Evil()}))
    assert back["a"][:2] == (1, 2.5) and back["x"].tolist() == [0, 1, 2] and torch.equal(back["t"], torch.ones(2))
    assert isinstance(back["evil"], codec.Unexported) and back["evil"] != 1


def submit(course: Path, student: str, assignment: str) -> None:
    release = course / "release" / assignment / NOTEBOOK[assignment]
    notebook = nbformat.read(release, as_version=4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id.startswith("answer-"):
            label = grade_id.removeprefix("answer-")
            cell.source = STUDENTS[student].get((assignment, label), RIGHT[(assignment, label)]).replace(
                "{course}", str(course)).replace("{instructors}", str(ROOT))
            if student == "greedy":
                cell.metadata["nbgrader"].update(grade=True, points=1000)
    if student == "del":
        checks = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("check-")]
        notebook.cells.remove(checks[0])                    # deleted
        checks[1].metadata = {}                             # stripped of its metadata
        checks[2].source = "pass  # nothing to check here"  # edited
    target = course / "submitted" / student / assignment / NOTEBOOK[assignment]
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)


def outputs(path: Path):
    return [o for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code" for o in c.outputs]


def test_assign_grade_feedback_export_with_a_red_team(tmp_path):
    from lessons_lib.homework import sandbox
    works, why = sandbox.sandbox_works()
    if not works:
        pytest.skip(f"no sandbox here: {why} (.ci/run installs bubblewrap)")
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
    for path in course.glob("*/lesson01/*.ipynb"):
        assert "output_size(100, 7, 3, 2)" not in cell_sources(path) and "HIDDEN" not in cell_sources(path)
    config_before = (course / "nbgrader_config.py").read_text()

    assert set(HANDS_IN) == set(STUDENTS) and all(a in HANDS_IN[s] for s in STUDENTS for a, _ in STUDENTS[s])
    for student, assignments in HANDS_IN.items():
        for assignment in assignments:
            submit(course, student, assignment)
    nbgrader(course, "autograde", "lesson00", "--force", ok=False)     # nbgrader's unsandboxed autograde refuses
    logs = {}
    for assignment in MAX:
        grading = time.perf_counter()
        logs[assignment] = homework_cli(course, "grade", ".", assignment, "--jobs", "2")
        print(f"grading {assignment}: {sum(assignment in HANDS_IN[s] for s in STUDENTS)} submissions, "
              f"{time.perf_counter() - grading:.0f} s")
    log = "\n".join(logs.values())

    # the course directory is as the instructor left it
    assert (course / "gradebook.db").exists() and not (course / "pwned").exists()
    assert (course / "nbgrader_config.py").read_text() == config_before
    warned = {line.split("/")[0].lstrip("[") for line in log.splitlines() if "] warning:" in line}
    assert warned == TAMPERING, log
    assert "deleted or stripped" in log and "was edited: restored" in log

    autograded = course / "autograded"
    nb01 = NOTEBOOK["lesson01"]
    assert any(o.get("ename") == "CellTimeoutError" for o in outputs(autograded / "carol" / "lesson01" / nb01))
    assert any(o.get("ename") == "CellTimeoutError" for o in outputs(autograded / "sigil" / "lesson01" / nb01))
    assert any(o.get("ename") == "MemoryError" for o in outputs(autograded / "erin" / "lesson00" / NOTEBOOK["lesson00"])), \
        "erin's allocation must hit the grading kernel's memory limit"
    assert "nothing to see" in json.dumps(outputs(autograded / "eve" / "lesson01" / nb01))
    peeked = json.dumps(outputs(autograded / "peek" / "lesson01" / nb01))
    assert all(f"{what}: AnswerWithheld" in peeked for what in ("no solution", "no hidden tests", "no expected value"))
    assert "no instructor copy: FileNotFoundError" in peeked, peeked
    forger = json.dumps(outputs(autograded / "mallory" / "lesson01" / nb01))
    assert "forging failed" in forger and "removing failed" in forger and "forged" not in forger.replace("forging", "")
    assert (autograded / "loud" / "lesson01" / nb01).stat().st_size < 3_000_000
    assert "output cut here" in json.dumps(outputs(autograded / "loud" / "lesson01" / nb01))

    for assignment in MAX:
        nbgrader(course, "generate_feedback", assignment, "--force")
    for student, assignments in HANDS_IN.items():
        for assignment in assignments:
            page = course / "feedback" / student / assignment / NOTEBOOK[assignment].replace(".ipynb", ".html")
            html = page.read_text()
            assert "output_size(100, 7, 3, 2)" not in html and "same(" not in html, f"hidden tests leak into {page}"
            assert TOKEN not in html and len(html) < 5_000_000, page
            if student != "marker":
                assert "HIDDEN TESTS" not in html, page
    bob = (course / "feedback" / "bob" / "lesson01" / "01_filter_depth.html").read_text()
    assert "forgot the biases" in bob and "kh and kw swapped" in bob and "a hidden test of q2 failed" in bob

    with __import__("nbgrader.api", fromlist=["Gradebook"]).Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student, assignments in HANDS_IN.items():
            for assignment in assignments:
                submission = gb.find_submission_notebook(NOTEBOOK[assignment].removesuffix(".ipynb"), assignment,
                                                         student)
                scores = {grade.name.removeprefix("check-"): grade.auto_score for grade in submission.grades}
                expected = {label: None if (assignment, label) in MANUAL.get(student, set())
                            else 0.0 if (assignment, label) in ZEROS.get(student, set()) else 1.0
                            for label in scores}
                assert scores == expected, f"{student} {assignment}: {scores}"
                assert submission.max_score == MAX[assignment]

    homework_cli(course, "export", ".")
    with open(course / "grades.csv", newline="") as handle:
        rows = {(row["assignment"], row["student_id"]): row for row in csv.DictReader(handle)}
    assert len(rows) == len(STUDENTS) * len(MAX)          # every student, every lesson: handed in or not
    for (assignment, student), row in rows.items():
        assert float(row["max_score"]) == MAX[assignment]
        if assignment not in HANDS_IN[student]:
            assert row["status"] == "not handed in" and row["score"] == "", row
            continue
        zeros = sum(1 for a, _ in ZEROS.get(student, set()) | MANUAL.get(student, set()) if a == assignment)
        assert float(row["score"]) == MAX[assignment] - zeros, f"{student} {assignment}: {row}"
        manual = any(a == assignment for a, _ in MANUAL.get(student, set()))
        assert row["status"] == ("needs manual grading" if manual else "graded"), row
    gradings = sum(map(len, HANDS_IN.values()))
    print(f"homework pipeline, 2 lessons, {len(STUDENTS)} students, {gradings} gradings: "
          f"{time.perf_counter() - start:.0f} s")
    shutil.rmtree(course / "autograded", ignore_errors=True)


def check_gradescope_results(report: dict) -> None:
    """Gradescope's documented results.json: score, output, and tests [{name, score, max_score, output, visibility}]."""
    assert isinstance(report["score"], (int, float)) and isinstance(report.get("output", ""), str)
    for test in report["tests"]:
        assert set(test) <= {"name", "score", "max_score", "output", "visibility", "number", "tags", "status"}
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
        assert isinstance(test["score"], (int, float)) and isinstance(test["max_score"], (int, float))
        assert test["visibility"] in ("hidden", "after_due_date", "after_published", "visible")


def test_gradescope_autograder_runs_locally_on_pretend_submissions(tmp_path):
    """The zip holds setup.sh and run_autograder; run_autograder, run here as Gradescope would (its folders under a
    stand-in root), grades an honest and a check-patching submission in the sandbox and writes results.json."""
    import zipfile

    from lessons_lib.homework import sandbox
    works, why = sandbox.sandbox_works()
    if not works:
        pytest.skip(f"no sandbox here: {why} (.ci/run installs bubblewrap)")
    course = tmp_path / "course"
    homework.build_course(course, ["01"], exercises_only=True, timeout=TIMEOUT_S, memory_gb=MEMORY_GB)
    nbgrader(course, "generate_assignment", "lesson01", "--force")
    homework_cli(course, "gradescope", ".", "lesson01", "--revision", "v2026.1")
    archive = zipfile.ZipFile(course / "gradescope" / "lesson01.zip")
    assert {"setup.sh", "run_autograder"} <= set(archive.namelist())
    assert "apt-get install" in archive.read("setup.sh").decode() and "bubblewrap" in archive.read("setup.sh").decode()
    scores = {}
    for student in ("alice", "patch"):
        root = tmp_path / student / "autograder"
        archive.extractall(root / "source")
        submit(course, student, "lesson01")
        (root / "submission").mkdir(parents=True)
        shutil.copy(course / "submitted" / student / "lesson01" / NOTEBOOK["lesson01"], root / "submission")
        env = dict(env_for_tools(), AUTOGRADER_ROOT=str(root), LESSONS_GRADESCOPE_PYTHON=sys.executable)
        result = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True,
                                text=True, timeout=900)
        assert result.returncode == 0, result.stdout + result.stderr
        report = json.loads((root / "results" / "results.json").read_text())
        check_gradescope_results(report)
        assert [t["name"] for t in report["tests"]] == ["q1", "q2", "q3", "q4"]
        assert "output_size(100, 7, 3, 2)" not in json.dumps(report)
        scores[student] = report["score"]
    assert scores == {"alice": 4.0, "patch": 0.0}
