"""Grading a class: each submission run in the sandbox, its answers checked in the grader's own process.

``python -m lessons_lib.homework grade COURSE_DIR lesson01 [--jobs N]`` grades every
``submitted/<student>/<assignment>/*.ipynb``:

1. **assemble** — the notebook that runs is the *released* notebook with the student's answer cells put in by their
   ``grade_id``. Everything else is the instructor's: an edited, deleted or metadata-stripped locked cell is restored
   and reported, a cell the student added is not run (reported), and the student's cell metadata is never read
   (``points: 1000`` on an answer changes nothing). An honest submission reports nothing.
2. **run** — in the sandbox (``sandbox.run_sandboxed``), on a scratch copy, importing the **students' copy** of
   ``lessons_lib`` (``students_copy``, written once per grading run; the grader's own copy is hidden there): a
   submission's code finds no solution, expected value or hidden test to copy. The run exports each graded answer as
   plain data (``codec``) and, for a function answer, its results on the inputs the grader chose (visible and hidden
   cases).
3. **check** — here, in a process where no student code ever ran, with the instructor's own ``Question`` classes:
   ``Question.check = lambda self: True`` in a notebook patches the student's kernel, not this process. Hidden tests
   are checked here too, and never appear in the notebook, its outputs or the feedback: a failure says only
   "a hidden test of q2 failed".
4. **record** — the main process alone writes the gradebook (nbgrader's ``Gradebook``) and ``autograded/``, whose
   check cells show the verdict of step 3; ``nbgrader generate_feedback`` makes the pages from them.

Submissions are graded ``--jobs`` at a time (default: one per CPU core), each in a sandbox of its own.
Part of the instructors' homework tooling (docs/instructors.md), not a notebook's helper.
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import copy
import json
import os
import pickle
import queue
import re
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from . import codec
from .build import BIND, bound_questions
from .sandbox import run_sandboxed
from .students_copy import write_students_copy
from ..exercises.core import FunctionQuestion, Outcome

MAX_ANSWER_BYTES = 64 * 2 ** 20
SETTINGS_FILE = "homework.json"


@dataclass
class Verdict:
    """The grade of one graded cell: score, points, message (shown in feedback), whether a person must look."""

    label: str
    score: float
    points: int
    message: str
    manual: bool = False


@dataclass
class Graded:
    """What grading one submission produced (returned by a worker to the one process that records it)."""

    assignment: str
    student: str
    notebook: str
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    executed: Any = None
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(v.score for v in self.verdicts.values())

    @property
    def manual(self) -> bool:
        return any(v.manual for v in self.verdicts.values())


def label_of(grade_id: str) -> str:
    """``check-q3-a`` → ``q3.a``."""
    return grade_id.split("-", 1)[1].replace("-", ".")


def read_settings(course_dir: Path) -> dict:
    """The grading settings ``build`` wrote (timeout per cell, memory limit, output cap)."""
    path = Path(course_dir) / SETTINGS_FILE
    settings = {"timeout": 120, "memory_gb": 4.0, "output_bytes": 1_000_000}
    if path.exists():
        settings.update(json.loads(path.read_text()))
    return settings


def questions_of(notebook) -> dict:
    """label → (instructor's Question, points) for every graded cell of a source/release notebook."""
    modules = [m.group(1) for c in notebook.cells if c.cell_type == "code" for m in BIND.finditer(c.source)]
    if len(modules) != 1:
        raise ValueError("expected one lessonNN.bind(globals()) cell")
    bound = bound_questions(modules[0])
    graded = {}
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and str(meta.get("grade_id", "")).startswith("check-"):
            label = label_of(meta["grade_id"])
            graded[label] = (bound[label], int(meta.get("points", 1)))
    return graded


def assemble(release, submitted) -> tuple[Any, list[str]]:
    """The notebook to run: the released cells, the student's answers put in by grade_id; and what was tampered."""
    notes = []
    by_id = {}
    for cell in submitted.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if isinstance(grade_id, str) and grade_id not in by_id:
            by_id[grade_id] = cell
    release_ids = set()
    release_plain = {c.source for c in release.cells if "nbgrader" not in c.metadata}
    cells = []
    for cell in release.cells:
        cell = copy.deepcopy(cell)
        meta = cell.metadata.get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if grade_id:
            release_ids.add(grade_id)
            theirs = by_id.get(grade_id)
            if meta.get("solution"):
                if theirs is None or theirs.get("cell_type") != "code":
                    notes.append(f"answer cell {grade_id} is missing (deleted, or its metadata stripped): graded "
                                 "as unanswered")
                else:
                    cell.source = str(theirs.get("source", ""))
            elif theirs is None:
                notes.append(f"locked cell {grade_id} was deleted or stripped of its metadata: restored")
            elif theirs.get("source") != cell.source or theirs.get("cell_type") != cell.cell_type:
                notes.append(f"locked cell {grade_id} was edited: restored")
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
    added = [c for c in submitted.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") not in release_ids
             and c.get("source") not in release_plain and c.get("cell_type") == "code" and str(c.get("source")).strip()]
    if added:
        notes.append(f"{len(added)} code cell(s) added by the student were not run: answers go in the answer cells")
    notebook = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(release.metadata))
    return notebook, notes


def calls_for(questions: dict) -> dict[str, list[tuple]]:
    """label → the inputs a function answer is called on in the sandbox: its visible cases, then its hidden ones."""
    calls = {}
    for label, (question, _) in questions.items():
        if isinstance(question, FunctionQuestion):
            calls[label] = [tuple(args) for args, _ in question.cases()] + \
                           [tuple(args) for args, _ in question.hidden_cases()]
    return calls


class Replay:
    """A student's function as the grader sees it: its results on the chosen inputs, computed in the sandbox."""

    def __init__(self, var: str, calls: list[tuple], results: list[dict]):
        self.__name__ = var
        self._results = {}
        for args, result in zip(calls, results):
            self._results.setdefault(self._key(args), result)

    @staticmethod
    def _key(args) -> bytes:
        return json.dumps(codec.encode(tuple(args)), sort_keys=True).encode()      # by content

    def __call__(self, *args):
        result = self._results.get(self._key(args))
        if result is None:
            raise LookupError("this input was not tried in the grading run")
        if "error" in result:
            raise RuntimeError(str(result["error"]))
        return codec.decode(result["ok"])

    def has_unexported(self) -> bool:
        return any(isinstance(codec.decode(r["ok"]), codec.Unexported) for r in self._results.values() if "ok" in r)


def _checked(label: str, question, points: int, record: dict | None, calls: list[tuple] | None,
             run_status: str) -> Verdict:
    """The verdict on one answer, from the instructor's class (never the student's)."""
    if record is None:
        why = {"timeout": "ran past the time limit", "died": "crashed its kernel"}.get(run_status, "could not run")
        return Verdict(label, 0, points, f"{label}: not graded: exporting the answer {why}")
    namespace = {name: codec.decode(value) for name, value in record.get("needs", {}).items()}
    fresh = type(question)(namespace, label=label)
    status = record.get("status")
    if status == "missing":
        return Verdict(label, 0, points, f"{label}: Not attempted: `{question.var}` is not defined (did its cell run?)")
    if status == "placeholder":
        return Verdict(label, 0, points, f"{label}: Not attempted: `{question.var}` still holds ____")
    unexported = False
    if status == "function":
        value = Replay(question.var, calls or [], record.get("results", []))
        unexported = value.has_unexported()
    else:
        value = codec.decode(record.get("value"))
        unexported = isinstance(value, codec.Unexported)
    namespace[question.var] = value
    outcome: Outcome = fresh.evaluate(value)
    if outcome.passed and status == "function":
        for args, expected in question.hidden_cases():
            try:
                ok = question.same(value(*args), expected)
            except Exception:
                ok = False
            if not ok:
                outcome = Outcome("incorrect", f"a hidden test of {label} failed: `{question.var}` is wrong on "
                                               "another input")
                break
    if outcome.passed:
        return Verdict(label, points, points, f"{label}: {outcome}")
    if unexported:
        return Verdict(label, 0, points, f"{label}: the answer is not plain data ({value!r:.100}): grade it by hand",
                       manual=True)
    return Verdict(label, 0, points, f"{label}: {outcome}")


@contextlib.contextmanager
def students_copy_for_grading():
    """A fresh students' copy of ``lessons_lib`` in a temporary folder (readable by the sandbox's user), removed after."""
    folder = Path(tempfile.mkdtemp(prefix="lessons-students-copy-"))
    try:
        write_students_copy(folder / "copy", pyproject=False)
        os.chmod(folder, 0o755)
        yield folder / "copy"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def grade_submission(course_dir: Path, assignment: str, student: str, notebook_name: str, worker: int = 0,
                     unsandboxed: bool = False, settings: dict | None = None,
                     students_copy: Path | None = None) -> Graded:
    """Assemble, run in the sandbox, check: one student's one notebook (no gradebook is touched here).

    ``students_copy``: the folder holding the students' copy the run imports (``write_students_copy``); when None, one
    is written for this submission alone (``grade_assignment`` writes one for all of them)."""
    if students_copy is None:
        with students_copy_for_grading() as copy_dir:
            return grade_submission(course_dir, assignment, student, notebook_name, worker, unsandboxed, settings,
                                    copy_dir)
    start = time.perf_counter()
    course_dir = Path(course_dir).resolve()
    settings = settings or read_settings(course_dir)
    release = nbformat.read(course_dir / "release" / assignment / notebook_name, as_version=4)
    submitted = nbformat.read(course_dir / "submitted" / student / assignment / notebook_name, as_version=4)
    source = nbformat.read(course_dir / "source" / assignment / notebook_name, as_version=4)
    questions = questions_of(source)
    notebook, notes = assemble(release, submitted)
    calls = calls_for(questions)
    result = Graded(assignment, student, notebook_name, notes=notes)
    job_dir = Path(tempfile.mkdtemp(prefix="lessons-grading-"))
    try:
        os.chmod(job_dir, 0o700)
        nbformat.write(notebook, job_dir / "submission.ipynb")
        with open(job_dir / "calls.pkl", "wb") as handle:
            pickle.dump(calls, handle)
        inside = "/tmp/submission" if not unsandboxed else str(job_dir)
        exports = [{"label": label, "var": q.var, "kind": "function" if isinstance(q, FunctionQuestion) else "value",
                    "needs": list(getattr(q, "needs", ()))} for label, (q, _) in questions.items()]
        n_code = sum(c.cell_type == "code" for c in notebook.cells) + len(exports)
        timeout = int(settings["timeout"])
        (job_dir / "job.json").write_text(json.dumps({
            "timeout": timeout, "memory_bytes": int(float(settings["memory_gb"]) * 2 ** 30),
            "output_bytes": int(settings["output_bytes"]), "exports": exports, "sandboxed": not unsandboxed}))
        wall = 180 + 3 * timeout * n_code
        finished = run_sandboxed(job_dir, course_dir=course_dir, students_copy=students_copy, worker=worker,
                                 wall_s=wall, cpu_s=wall, unsandboxed=unsandboxed)
        del inside
        run = _read_json(job_dir / "run.json") or {}
        if not run:
            result.notes.append(f"the grading run did not finish (exit {finished.returncode}): "
                                f"{finished.stdout[-500:]}")
        executed = _read_notebook(job_dir / "executed.ipynb") or notebook
        for label, (question, points) in questions.items():
            record = _read_json(job_dir / "answers" / f"{label}.json")
            verdict = _checked(label, question, points, record, calls.get(label),
                               run.get("exports", {}).get(label, "not run"))
            result.verdicts[label] = verdict
        _show_verdicts(executed, notebook, result.verdicts)
        result.executed = nbformat.writes(executed)
    finally:
        shutil.rmtree(job_dir, ignore_errors=True)
    result.seconds = time.perf_counter() - start
    return result


def _read_json(path: Path):
    try:
        if path.stat().st_size > MAX_ANSWER_BYTES:
            return None
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _read_notebook(path: Path):
    try:
        if path.stat().st_size > 16 * MAX_ANSWER_BYTES:
            return None
        return nbformat.read(path, as_version=4)
    except Exception:       # a notebook the run could not write (or a forged, broken one): use the assembled one
        return None


def _show_verdicts(executed, assembled, verdicts: dict[str, Verdict]) -> None:
    """The check cells of the graded notebook show the grader's verdict, not what the student's kernel printed;
    every cell's source and metadata are the assembled notebook's."""
    if len(executed.cells) != len(assembled.cells):
        executed.cells = copy.deepcopy(assembled.cells)
    for mine, theirs in zip(assembled.cells, executed.cells):
        theirs.source, theirs.metadata, theirs.cell_type = mine.source, copy.deepcopy(mine.metadata), mine.cell_type
        meta = mine.metadata.get("nbgrader", {})
        if meta.get("grade") and str(meta.get("grade_id", "")).startswith("check-"):
            verdict = verdicts[label_of(meta["grade_id"])]
            if verdict.score == verdict.points:
                theirs.outputs = [nbformat.v4.new_output("stream", name="stdout", text=verdict.message + "\n")]
            else:
                theirs.outputs = [nbformat.v4.new_output("error", ename="Graded", evalue=verdict.message,
                                                         traceback=[verdict.message])]


def submissions(course_dir: Path, assignment: str) -> list[tuple[str, str]]:
    """(student, notebook file name) for every submitted notebook of ``assignment``."""
    found = []
    for path in sorted((Path(course_dir) / "submitted").glob(f"*/{assignment}/*.ipynb")):
        found.append((path.parent.parent.name, path.name))
    return found


def record(course_dir: Path, graded: Graded) -> None:
    """Write one graded submission into the gradebook and ``autograded/`` (the main process only)."""
    from nbgrader.api import Gradebook

    course_dir = Path(course_dir)
    target = course_dir / "autograded" / graded.student / graded.assignment / graded.notebook
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)            # nbgrader leaves its files read-only
    target.write_text(graded.executed)
    stamp = course_dir / "submitted" / graded.student / graded.assignment / "timestamp.txt"
    if stamp.exists():
        shutil.copy(stamp, target.parent / "timestamp.txt")
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gb:
        warnings.simplefilter("ignore")         # SQLAlchemy's autoflush notes from nbgrader's own API
        gb.update_or_create_student(graded.student)
        gb.update_or_create_submission(graded.assignment, graded.student)
        notebook_id = graded.notebook.removesuffix(".ipynb")
        for label, verdict in graded.verdicts.items():
            grade = gb.find_grade(f"check-{label.replace('.', '-')}", notebook_id, graded.assignment, graded.student)
            grade.auto_score = None if verdict.manual else float(verdict.score)
            grade.needs_manual_grade = bool(verdict.manual)
        gb.db.commit()


def grade_assignment(course_dir: Path, assignment: str, jobs: int | None = None, unsandboxed: bool = False,
                     log=print) -> list[Graded]:
    """Grade every submission of ``assignment``, ``jobs`` at a time; the gradebook is written here, by one process."""
    course_dir = Path(course_dir).resolve()
    settings = read_settings(course_dir)
    todo = submissions(course_dir, assignment)
    jobs = max(1, int(jobs or os.cpu_count() or 1))
    workers: queue.Queue[int] = queue.Queue()
    for worker in range(jobs):
        workers.put(worker)

    def one(student: str, name: str) -> Graded:
        worker = workers.get()
        try:
            return grade_submission(course_dir, assignment, student, name, worker, unsandboxed, settings, copy_dir)
        finally:
            workers.put(worker)

    results = []
    with students_copy_for_grading() as copy_dir, concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(one, student, name): (student, name) for student, name in todo}
        for future in concurrent.futures.as_completed(futures):
            graded = future.result()
            record(course_dir, graded)
            for note in graded.notes:
                log(f"[{graded.student}/{assignment}] warning: {note}")
            manual = " (needs manual grading)" if graded.manual else ""
            log(f"[{graded.student}/{assignment}] {graded.score:g}/{sum(v.points for v in graded.verdicts.values())}"
                f"{manual} in {graded.seconds:.0f} s")
            results.append(graded)
    return results
