"""What leaves the course directory: ``grades.csv`` and a Gradescope autograder per lesson (docs/instructors.md).

``write_grades_csv`` writes one row per (assignment, student) with a ``status`` — ``graded``, ``needs manual
grading`` (a check the grader could not decide, e.g. an answer that is not plain data) or ``not handed in`` — and
leaves ``score`` empty for a lesson never handed in, so it cannot be mistaken for a zero.
Part of the instructors' homework tooling; not a notebook's helper.
"""
from __future__ import annotations

import csv
import json
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


SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once to build the autograder image (written by python -m lessons_lib.homework gradescope).
set -euo pipefail
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 python3-venv python3-pip bubblewrap git
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install -q --extra-index-url https://download.pytorch.org/whl/cpu \\
    "lessons_lib[instructor] @ git+{repository}@{revision}"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for each submission: grade it in the sandbox, write results/results.json.
set -uo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{LESSONS_GRADESCOPE_PYTHON:-$ROOT/venv/bin/python}}"
mkdir -p "$ROOT/results"
exec "$PYTHON" -m lessons_lib.homework gradescope-run "$ROOT/source" "$ROOT/submission" "$ROOT/results/results.json" {flags}
"""

VISIBILITY = ("hidden", "after_due_date", "after_published", "visible")


def write_gradescope_zip(course_dir: Path, assignment: str, to: Path | None = None,
                         repository: str = "https://github.com/layer-by-layer/course", revision: str = "main",
                         unsandboxed: bool = False) -> Path:
    """A Gradescope autograder zip for ``assignment``: ``setup.sh``, ``run_autograder`` and the course's
    ``source/`` and ``release/`` notebooks of that lesson with ``homework.json`` (Gradescope's documented contract).

    ``run_autograder`` grades with the same sandbox and the same outside-the-kernel checks as
    ``python -m lessons_lib.homework grade``; where bubblewrap cannot run it reports that instead of a grade, unless the
    zip was built ``unsandboxed`` (then the student's code could write its own results.json: trust required).
    """
    import zipfile

    course_dir = Path(course_dir)
    to = Path(to) if to else course_dir / "gradescope" / f"{assignment}.zip"
    to.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(to, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (("setup.sh", SETUP_SH.format(repository=repository, revision=revision)),
                           ("run_autograder", RUN_AUTOGRADER.format(
                               flags="--unsandboxed-i-trust-every-submission" if unsandboxed else ""))):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            archive.writestr(info, text)
        for folder in ("source", "release"):
            for path in sorted((course_dir / folder / assignment).glob("*.ipynb")):
                archive.write(path, f"{folder}/{assignment}/{path.name}")
        settings = course_dir / "homework.json"
        if settings.exists():
            archive.write(settings, "homework.json")
    return to


def run_gradescope(bundle: Path, submission: Path, results: Path, unsandboxed: bool = False) -> dict:
    """Grade one Gradescope submission (the notebook in ``submission``) and write Gradescope's ``results.json``."""
    import shutil
    import tempfile

    from .grade import grade_submission, read_settings
    from .sandbox import SandboxUnavailable, sandbox_works

    bundle, submission = Path(bundle), Path(submission)
    sources = sorted(bundle.glob("source/*/*.ipynb"))
    if len(sources) != 1:
        raise ValueError(f"expected one source notebook in {bundle}/source, found {len(sources)}")
    assignment, name = sources[0].parent.name, sources[0].name
    handed_in = sorted(submission.rglob("*.ipynb"))
    chosen = next((p for p in handed_in if p.name == name), handed_in[0] if len(handed_in) == 1 else None)
    report: dict = {"tests": [], "score": 0.0}
    works, why = (True, "") if unsandboxed else sandbox_works()
    if chosen is None or not works:
        report["output"] = (f"no notebook named {name} in the submission (found: "
                            f"{', '.join(p.name for p in handed_in) or 'none'})" if chosen is None else
                            f"not graded: the grading sandbox cannot run here ({why}); ask the instructor")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            course = Path(tmp) / "course"
            for folder in ("source", "release"):
                shutil.copytree(bundle / folder, course / folder)
            target = course / "submitted" / "student" / assignment / name
            target.parent.mkdir(parents=True)
            shutil.copy(chosen, target)
            try:
                graded = grade_submission(course, assignment, "student", name, unsandboxed=unsandboxed,
                                          settings=read_settings(bundle))
            except SandboxUnavailable as error:
                graded = None
                report["output"] = f"not graded: {error}"
        if graded is not None:
            report["tests"] = [{"name": label, "score": float(v.score), "max_score": float(v.points),
                                "output": v.message + ("\n(needs manual grading)" if v.manual else ""),
                                "visibility": "visible"} for label, v in graded.verdicts.items()]
            report["score"] = float(graded.score)
            report["output"] = "\n".join(graded.notes) or "graded in a sandbox; hidden tests are not shown"
    results = Path(results)
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(report, indent=1))
    return report
