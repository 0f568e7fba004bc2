"""Homework for instructors: build an nbgrader course from the lessons and their ``Question`` classes.

One command writes an nbgrader course directory — ``source/<lesson>/<notebook>.ipynb`` plus an
``nbgrader_config.py`` — generated from the course notebooks (never a second hand-written copy)::

    python -m lessons_lib.homework build COURSE_DIR --lessons 00 01 [--exercises-only]

In each notebook, every answer cell (the cell that ends in ``qN.check()``) becomes an nbgrader
solution cell holding the question's reference solution between ``### BEGIN SOLUTION`` and
``### END SOLUTION``; the check becomes a locked, graded cell worth ``points`` that asserts the
check passed (its message shown on failure), with hidden tests (``### BEGIN HIDDEN TESTS``) for the
questions that have ``hidden_cases()``; every other cell (prose and code) stays, locked.
nbgrader's own ``generate_assignment``, ``autograde``, ``generate_feedback`` and ``export`` then work
on it unchanged. The config it writes sets a per-cell timeout (``c.Execute.timeout``), a memory
limit for every grading kernel (``RLIMIT_AS``, so a submission that allocates without end gets a
``MemoryError`` in its own cell), and strips hidden tests — their code and their tracebacks — from
the feedback HTML. See docs/instructors.md.

nbgrader is only needed to *run* the course (``pip install ".[instructor]"``); building needs nbformat.
Introduced for instructors alongside notebook 00 (start here); nbgrader itself is not a learner's dependency.
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import importlib
import io
import re
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .exercises.core import FunctionQuestion, Question

BIND = re.compile(r"\b(lesson\d\d)\.bind\(globals\(\)\)")
CHECK = re.compile(r"^\s*(q\d+(?:\.[A-Za-z_]\w*)?)\.check\(\)\s*;?\s*$", re.MULTILINE)
HELP_CALL = re.compile(r"\b(q\d+(?:\.[A-Za-z_]\w*)?)\.(hint|solution)\(")
DEFAULT_TIMEOUT_S = 120
DEFAULT_MEMORY_LIMIT_GB = 4.0


@dataclass
class BuiltNotebook:
    """What ``build_notebook`` made of one lesson: the nbgrader notebook and its graded checks."""

    assignment: str
    notebook_name: str
    notebook: nbformat.NotebookNode
    checks: dict[str, int] = field(default_factory=dict)        # label -> points
    hidden: list[str] = field(default_factory=list)              # labels with hidden tests

    @property
    def max_score(self) -> int:
        return sum(self.checks.values())


def default_notebooks_dir() -> Path:
    """The course's notebooks/ folder next to the package (a clone of the repository)."""
    return Path(__file__).resolve().parent.parent / "notebooks"


def lesson_notebook(number: str, notebooks_dir: Path) -> Path:
    """The notebook ``NN_*.ipynb`` of lesson ``number`` (``"1"``, ``"01"`` or ``"lesson01"``)."""
    digits = re.sub(r"\D", "", str(number))
    if not digits:
        raise ValueError(f"a lesson is given by its number, like 01 or lesson01; got {number!r}")
    matches = sorted(Path(notebooks_dir).glob(f"{int(digits):02d}_*.ipynb"))
    if len(matches) != 1:
        found = ", ".join(p.name for p in sorted(Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb"))) or "none"
        raise FileNotFoundError(f"no single notebook for lesson {int(digits):02d} in {notebooks_dir} "
                                f"(notebooks there: {found})")
    return matches[0]


def _nbgrader(cell, grade_id: str, *, solution=False, grade=False, locked=False, points=None):
    meta = {"schema_version": 3, "grade_id": grade_id, "grade": grade, "solution": solution, "locked": locked}
    if grade:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    return cell


def _bound(module_name: str) -> dict[str, Question]:
    """Every label (q1, q3.a, …) of a lesson module's bound questions."""
    module = importlib.import_module(f"lessons_lib.exercises.{module_name}")
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        questions = module.bind(namespace)
    labels: dict[str, Question] = {}
    for question in questions:
        labels[question.label] = question
        for leaf in question.leaves():
            labels[leaf.label] = leaf
    return labels


def _literal(value) -> str:
    text = repr(value)
    ast.literal_eval(text)       # hidden cases must be plain literals: they are written into the notebook
    return text


def hidden_test_lines(label: str, question: Question) -> list[str]:
    """Asserts on other inputs of the same skill, from ``hidden_cases()`` (FunctionQuestions only)."""
    if not isinstance(question, FunctionQuestion):
        return []
    lines = []
    for args, expected in question.hidden_cases():
        call = f"{question.var}({', '.join(_literal(a) for a in args)})"
        lines.append(f"assert {label}.same({call}, {_literal(expected)}), "
                     f"\"a hidden test of {label} failed: `{question.var}` is wrong on another input\"")
    return lines


def _answer_source(label: str, question: Question, template: str) -> str:
    blank = "\n".join(f"# {line}" if line.strip() else "#" for line in template.strip().splitlines())
    solution = textwrap.dedent(question.solution_code).strip()
    return (f"# {label}: your answer replaces the two lines below. In the course notebook the blank was:\n"
            f"{blank}\n### BEGIN SOLUTION\n{solution}\n### END SOLUTION")


def _check_source(label: str, question: Question, points: int, hidden: list[str]) -> str:
    lines = [f"# Graded: {label} ({points} point{'s' if points != 1 else ''}). If this cell fails, its message "
             "says what to fix.",
             f"assert {label}.check().passed, {label}.last_outcome.message"]
    if hidden:
        lines += ["### BEGIN HIDDEN TESTS", *hidden, "### END HIDDEN TESTS"]
    return "\n".join(lines)


def _exercise_cells_only(cells, bind_index: int, check_indices: list[int], needs: set[str]) -> list[int]:
    """Indices of the cells an exercises-only notebook keeps (see ``build_notebook``)."""
    keep = set()
    first_section = next((i for i, c in enumerate(cells) if c.cell_type == "markdown" and c.source.startswith("## ")),
                         len(cells))
    keep.update(range(first_section))                                    # title, install cell, imports
    for name in needs:                                                   # cells defining what a solution uses
        # `name = …`, or one of several names assigned at once: `z_dim, width = 64, full_or_quick(32, 16)`
        pattern = re.compile(rf"^(?:\w+\s*,\s*)*{re.escape(name)}\s*(?:,\s*\w+\s*)*=(?!=)", re.MULTILINE)
        index = next((i for i, c in enumerate(cells) if c.cell_type == "code" and pattern.search(c.source)), None)
        if index is None:
            raise LookupError(f"no cell defines {name!r}, which an exercise's solution needs")
        keep.add(index)
    for index in [bind_index, *check_indices]:
        keep.add(index)
        before = index - 1
        while before >= 0 and cells[before].cell_type == "markdown" and before not in keep:
            keep.add(before)                                             # its prompt (and the heading above)
            if cells[before].source.lstrip().startswith("#"):
                break
            before -= 1
        after = index + 1
        while after < len(cells) and cells[after].cell_type == "code" and HELP_CALL.search(cells[after].source) \
                and not CHECK.search(cells[after].source):
            keep.add(after)                                              # its hint/solution cell
            after += 1
    return sorted(keep)


def build_notebook(path: Path, exercises_only: bool = False) -> BuiltNotebook:
    """The nbgrader version of one course notebook.

    ``exercises_only`` keeps the opening cells (everything before the first ``## `` section), the cells that
    define names a solution needs (a question's ``needs``), the binding cell and every exercise with its prompt
    and hint cell — enough to grade the exercises in seconds instead of running the whole lesson.
    """
    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    cells = notebook.cells
    binds = [(i, m.group(1)) for i, c in enumerate(cells) if c.cell_type == "code" for m in BIND.finditer(c.source)]
    if len(binds) != 1:
        raise ValueError(f"{path.name}: expected one cell with lessonNN.bind(globals()), found {len(binds)}")
    bind_index, module_name = binds[0]
    questions = _bound(module_name)
    check_indices = [i for i, c in enumerate(cells) if c.cell_type == "code" and CHECK.search(c.source)]
    if not check_indices:
        raise ValueError(f"{path.name}: no cell ends in qN.check()")
    if exercises_only:
        needs = {name for i in check_indices for label in CHECK.findall(cells[i].source)
                 for name in getattr(questions.get(label), "needs", ())}
        cells = [cells[i] for i in _exercise_cells_only(cells, bind_index, check_indices, needs)]

    built = BuiltNotebook(f"lesson{module_name[-2:]}", path.name, notebook)
    out = []
    for index, cell in enumerate(cells):
        cell = nbformat.from_dict(dict(cell))
        cell.metadata = nbformat.from_dict(dict(cell.metadata))
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        labels = CHECK.findall(cell.source) if cell.cell_type == "code" else []
        if not labels:
            if cell.cell_type == "code" and HELP_CALL.search(cell.source) and not BIND.search(cell.source):
                cell.metadata.pop("nbgrader", None)      # the learner's own hint/solution cell stays editable
                out.append(cell)
            else:
                out.append(_nbgrader(cell, f"cell-{index:03d}", locked=True))
            continue
        if len(labels) > 1:
            raise ValueError(f"{path.name}: one check per answer cell, found {labels} in one cell")
        label = labels[0]
        if label not in questions:
            raise LookupError(f"{path.name}: {label}.check() names no question of {module_name}")
        question = questions[label]
        template = CHECK.sub("", cell.source).strip()
        cell.source = _answer_source(label, question, template)
        out.append(_nbgrader(cell, f"answer-{label.replace('.', '-')}", solution=True))
        points = int(getattr(question, "points", 1))
        hidden = hidden_test_lines(label, question)
        check = nbformat.v4.new_code_cell(_check_source(label, question, points, hidden))
        out.append(_nbgrader(check, f"check-{label.replace('.', '-')}", grade=True, locked=True, points=points))
        built.checks[label] = points
        if hidden:
            built.hidden.append(label)
    notebook.cells = out
    return built


CONFIG_TEMPLATE = '''"""nbgrader configuration written by `python -m lessons_lib.homework build` (edit freely; rebuilding rewrites it)."""
import os

import nbformat
from nbclient.exceptions import DeadKernelError
from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor, Preprocessor
from traitlets import Bool
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearHiddenTests, Execute, GetGrades,
                                    IgnorePattern, LimitOutput, SaveAutoGrades)

c = get_config()  # noqa: F821 (nbgrader defines it)
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.assignment_id = ""

# Per cell: a submission that loops forever loses that cell (and the checks that need it), nothing more.
c.Execute.timeout = {timeout}
c.Execute.interrupt_on_timeout = True
# After a cell's reply, wait this long for its last output: on a busy grading server 4 s (the default) is too short.
c.Execute.iopub_timeout = 30

# Every grading kernel runs under a memory limit (address space, RLIMIT_AS), set before the notebook's first
# cell: a submission that allocates without end gets a MemoryError in its own cell instead of taking the
# grader down. {memory_gb:g} GiB; raise it for lessons that train large models.
MEMORY_LIMIT_BYTES = {memory_bytes}
c.Execute.extra_arguments = [
    "--HistoryManager.hist_file=:memory:",
    "--IPKernelApp.exec_lines=__import__('resource').setrlimit(__import__('resource').RLIMIT_AS, "
    f"({{MEMORY_LIMIT_BYTES}}, {{MEMORY_LIMIT_BYTES}}))",
]



def _error(ename, evalue):
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{{ename}}: {{evalue}}"])


class ExecuteSurvivingCrashes(Execute):
    """nbgrader's Execute, except that a kernel which dies (os._exit, a segfault, the OOM killer) fails the cell it
    died in and every cell after it — those score 0 — instead of failing the student's whole notebook."""

    def preprocess(self, nb, resources=None, km=None):
        self._kernel_died = False
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if self._kernel_died:
            if cell.cell_type == "code":
                cell.outputs = [_error("DeadKernelError", "not run: the kernel died in an earlier cell")]
            return cell, self.resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._kernel_died = True
            cell.outputs.append(_error("DeadKernelError", "the kernel died while running this cell"))
            return cell, self.resources


c.Autograde.autograde_preprocessors = [ExecuteSurvivingCrashes, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                       SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]


class HideHiddenTestTracebacks(Preprocessor):
    """Feedback shows a failed hidden test as its one-line message: a traceback would quote the hidden code."""

    enabled = Bool(True)   # nbconvert's own preprocessors start disabled

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and "BEGIN HIDDEN TESTS" in cell.source:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{{output.get('ename', 'Error')}}: {{output.get('evalue', '')}}"]
        return cell, resources


# nbgrader's feedback keeps hidden tests by default: clear their code and their tracebacks.
c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTestTracebacks, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
'''


def write_config(course_dir: Path, timeout: int = DEFAULT_TIMEOUT_S, memory_gb: float = DEFAULT_MEMORY_LIMIT_GB,
                 course_id: str = "layer-by-layer") -> Path:
    """Write ``nbgrader_config.py`` into ``course_dir``."""
    if not (isinstance(timeout, int) and timeout > 0):
        raise ValueError(f"timeout is seconds per cell, a positive int; got {timeout!r}")
    if not (isinstance(memory_gb, (int, float)) and memory_gb >= 0.5):
        raise ValueError(f"memory_gb is the grading kernel's memory limit in GiB, at least 0.5; got {memory_gb!r}")
    path = Path(course_dir) / "nbgrader_config.py"
    path.write_text(CONFIG_TEMPLATE.format(course_id=course_id, timeout=timeout, memory_gb=memory_gb,
                                           memory_bytes=int(memory_gb * 2 ** 30)))
    return path


def build_course(course_dir: Path, lessons: list[str] | None = None, notebooks_dir: Path | None = None,
                 exercises_only: bool = False, timeout: int = DEFAULT_TIMEOUT_S,
                 memory_gb: float = DEFAULT_MEMORY_LIMIT_GB) -> list[BuiltNotebook]:
    """Write ``course_dir/source/lessonNN/NN_name.ipynb`` for each lesson, and ``nbgrader_config.py``."""
    notebooks_dir = Path(notebooks_dir) if notebooks_dir else default_notebooks_dir()
    if not notebooks_dir.is_dir():
        raise FileNotFoundError(f"no notebooks folder at {notebooks_dir}: pass --notebooks PATH/TO/notebooks "
                                "(the folder of a clone of the course)")
    if lessons is None:
        paths = sorted(notebooks_dir.glob("[0-9][0-9]_*.ipynb"))
    else:
        paths = [lesson_notebook(lesson, notebooks_dir) for lesson in lessons]
    course_dir = Path(course_dir)
    course_dir.mkdir(parents=True, exist_ok=True)
    write_config(course_dir, timeout, memory_gb)
    built = []
    for path in paths:
        result = build_notebook(path, exercises_only=exercises_only)
        target = course_dir / "source" / result.assignment / result.notebook_name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(result.notebook, target)
        built.append(result)
    return built


def main(argv: list[str] | None = None) -> int:
    """The command line: ``python -m lessons_lib.homework build COURSE_DIR [--lessons NN …] [--exercises-only]``."""
    parser = argparse.ArgumentParser(prog="python -m lessons_lib.homework",
                                     description="Build an nbgrader course directory from the lessons.")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="write COURSE_DIR/source/lessonNN/*.ipynb and nbgrader_config.py")
    build.add_argument("course_dir", type=Path)
    build.add_argument("--lessons", nargs="+", metavar="NN", help="lesson numbers, e.g. 00 01 (default: all)")
    build.add_argument("--notebooks", type=Path, default=None, help="the course's notebooks/ folder")
    build.add_argument("--exercises-only", action="store_true",
                       help="keep only the opening cells and the exercises (grades in seconds, not minutes)")
    build.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT_S, help="seconds per cell when grading")
    build.add_argument("--memory-gb", type=float, default=DEFAULT_MEMORY_LIMIT_GB,
                       help="memory limit of each grading kernel, GiB")
    args = parser.parse_args(argv)
    built = build_course(args.course_dir, args.lessons, args.notebooks, args.exercises_only, args.timeout,
                         args.memory_gb)
    for result in built:
        hidden = f", hidden tests for {', '.join(result.hidden)}" if result.hidden else ""
        print(f"source/{result.assignment}/{result.notebook_name}: {len(result.checks)} graded checks, "
              f"{result.max_score} points{hidden}")
    print(f"Next: cd {args.course_dir} && nbgrader generate_assignment {built[0].assignment} --force "
          "(see docs/instructors.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
