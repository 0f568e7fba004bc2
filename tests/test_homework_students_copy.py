"""The students' copy of lessons_lib (issue 30): no solution, expected value or hidden test a student can read.

``python -m lessons_lib.homework students-copy OUT`` writes the package with every lesson's exercises regenerated
from the instructor's classes; here, for every lesson's questions, the copy is imported in a fresh process (the
instructor's copy nowhere on its path) and every answer-bearing member must raise ``AnswerWithheld``, ``check()``
must only record an answer, and no solution's source text may be anywhere in its exercises. The sandbox test runs a
command the way grading does and checks that the instructor's copy is out of reach there.
"""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lessons_lib.exercises import core
from lessons_lib.homework import students_copy

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def copy_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("students") / "copy"
    result = subprocess.run([sys.executable, "-m", "lessons_lib.homework", "students-copy", str(out)],
                            capture_output=True, text=True, timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert (out / "pyproject.toml").is_file() and (out / "lessons_lib" / "__init__.py").is_file()
    return out


PROBE = r'''
import contextlib, io, json, sys
import lessons_lib
from lessons_lib.exercises import core
from lessons_lib.homework import students_copy
report = {"file": lessons_lib.__file__, "leaks": [], "checked": 0}
for name in students_copy.lesson_modules():
    module = __import__(f"lessons_lib.exercises.{name}", fromlist=["bind"])
    namespace = {}
    with contextlib.redirect_stdout(io.StringIO()):
        bound = module.bind(namespace)
    leaves = [leaf for q in bound for leaf in q.leaves()] + [q for q in bound if q.leaves() != [q]]
    for q in leaves:
        for what, get in [("solution_code", lambda: q.solution_code), ("expected()", lambda: q.expected()),
                          ("cases()", lambda: list(q.cases())), ("hidden_cases()", lambda: list(q.hidden_cases())),
                          ("solution()", lambda: q.solution()), ("solution_value()", lambda: q.solution_value()),
                          ("mistakes", lambda: q.mistakes), ("check_answer", lambda: q.check_answer(0)),
                          ("exec(solution_code)", lambda: exec(q.solution_code, {}))]:
            try:
                with contextlib.redirect_stdout(io.StringIO()) as out:
                    got = get()
                report["leaks"].append(f"{name} {q.label}.{what} gave {got!r:.80} {out.getvalue()!r:.80}")
            except core.AnswerWithheld as error:
                assert "students' copy" in str(error) and "graded" in str(error), error
        with contextlib.redirect_stdout(io.StringIO()):
            blank = q.check()
            namespace[q.var] = 12345
            answered = q.check()
        assert blank.status == "not attempted" or q.var not in namespace, (name, q.label, blank)
        assert answered.status == "recorded" and answered.ok and not answered.passed, (name, q.label, answered)
        assert "checked when your homework is graded" in answered.message
        report["checked"] += 1
try:
    students_copy.students_module_source("lesson01")
    report["leaks"].append("a students' copy was written from a students' copy")
except RuntimeError as error:
    assert "already a students' copy" in str(error)
print(json.dumps(report))
'''


def test_no_answer_can_be_had_from_the_students_copy(copy_dir, tmp_path):
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                            env=dict(os.environ, PYTHONPATH=str(copy_dir)))
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert Path(report["file"]).resolve().is_relative_to(copy_dir.resolve()), report["file"]
    assert report["leaks"] == []
    lessons = students_copy.lesson_modules()
    assert report["checked"] >= 3 * len(lessons) >= 30


def test_no_solution_text_is_in_the_students_copy(copy_dir):
    """Grep: no solution (whole, or one line of it) in the copy's exercises or tooling; no bytecode; no methods."""
    assert not list(copy_dir.rglob("__pycache__")) and not list(copy_dir.rglob("*.pyc"))
    package = copy_dir / "lessons_lib"
    texts = {path: path.read_text() for folder in ("exercises", "homework") for path in (package / folder).rglob("*.py")}
    for name in students_copy.lesson_modules():
        module = __import__(f"lessons_lib.exercises.{name}", fromlist=["QUESTIONS"])
        solutions = [textwrap.dedent(c.__dict__["solution_code"]).strip() for c in vars(module).values()
                     if isinstance(c, type) and isinstance(c.__dict__.get("solution_code"), str)
                     and c.__dict__["solution_code"].strip()]
        assert solutions, name
        for text in solutions + students_copy.solution_lines(name):
            assert not any(text in body for body in texts.values()), f"{name}: {text!r} is in the students' copy"
        tree = ast.parse((package / "exercises" / f"{name}.py").read_text())
        assert not any(isinstance(node, ast.FunctionDef) for node in tree.body), f"{name}: a module-level function"
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.decorator_list:      # the question classes
                assert not any(isinstance(n, (ast.FunctionDef, ast.Lambda)) for n in ast.walk(node)), \
                    f"{name}.{node.name} keeps code"
                assert [ast.unparse(d) for d in node.decorator_list] == ["withheld_answers"]
    # lesson 01's hidden test inputs and every last hint are gone too
    lesson01 = (package / "exercises" / "lesson01.py").read_text()
    assert "(100, 7, 3, 2)" not in lesson01 and "kernel.permute(3, 2, 0, 1)" not in lesson01


def test_bad_input_to_the_students_copy_says_what_to_do(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "x").write_text("x")
    with pytest.raises(FileExistsError, match="new or empty folder"):
        students_copy.write_students_copy(tmp_path / "old")
    with pytest.raises(ValueError, match="lesson01"):
        students_copy.students_module_source("os")
    with pytest.raises(TypeError, match="Question class"):
        core.withheld_answers(int)


def test_self_learners_keep_their_solutions(monkeypatch, capsys):
    """The instructor's (the self-learner's) copy: solution() as today; LESSONS_HIDE_SOLUTIONS, read in settings."""
    from lessons_lib import settings
    from lessons_lib.exercises import lesson01

    namespace: dict = {}
    lesson01.bind(namespace)
    q1 = namespace["q1"]
    assert not q1.answers_withheld and "64 * (32 * 3 * 3 + 1)" in q1.solution_code and q1.expected() == 18496
    q1.solution()
    assert "64 * (32 * 3 * 3 + 1)" in capsys.readouterr().out
    monkeypatch.setattr(settings, "HIDE_SOLUTIONS", True)
    q1.solution()
    assert "hidden for this course's graded homework" in capsys.readouterr().out
    namespace["n_parameters"] = 18496
    assert q1.check().ok and q1.last_outcome.passed


def test_the_grading_sandbox_imports_the_students_copy_and_hides_the_instructors(copy_dir, tmp_path):
    from lessons_lib.homework import sandbox
    works, why = sandbox.sandbox_works()
    if not works:
        pytest.skip(f"no sandbox here: {why} (.ci/run installs bubblewrap)")
    job = tmp_path / "job"
    job.mkdir()
    instructors = [str(p) for p in sandbox.instructors_copy_paths()]
    assert str(ROOT / "lessons_lib") in instructors
    code = textwrap.dedent(f"""
        import json, os, lessons_lib
        seen = {{}}
        for folder in {instructors!r}:
            for path in (folder + '/exercises/lesson01.py', folder + '/lessons_lib/exercises/lesson01.py',
                         folder + '/tests/test_nbgrader_pipeline.py'):
                try:
                    seen[path] = 'permute(3, 2, 0, 1)' in open(path).read()
                except OSError as error:
                    seen[path] = type(error).__name__
        print(json.dumps({{"file": lessons_lib.__file__, "seen": seen}}))
    """)
    uid = sandbox.BASE_UID if os.geteuid() == 0 else None
    if uid is not None:
        os.chown(job, uid, uid)
    command = sandbox._bwrap_args(sandbox.bwrap_path(), job, sandbox._hidden_paths(None), uid,
                                  [sys.executable, "-c", code],
                                  sandbox.sandbox_env(sandbox.SCRATCH_IN_SANDBOX, sandbox.STUDENTS_COPY_IN_SANDBOX),
                                  students_copy=copy_dir)
    result = subprocess.run(command, env={}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["file"] == f"{sandbox.STUDENTS_COPY_IN_SANDBOX}/lessons_lib/__init__.py"
    assert report["seen"] and all(v is not True for v in report["seen"].values()), report["seen"]
    assert all(v == "FileNotFoundError" for v in report["seen"].values()), report["seen"]
