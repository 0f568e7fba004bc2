"""Building the homework: an nbgrader course from the lessons and their ``Question`` classes.

One command writes an nbgrader course directory — ``source/<lesson>/<notebook>.ipynb`` plus an
``nbgrader_config.py`` — generated from the course notebooks (never a second hand-written copy)::

    python -m lessons_lib.homework build COURSE_DIR --lessons 00 01 [--exercises-only]

In each notebook, every answer cell (the cell that ends in ``qN.check()``) becomes an nbgrader
solution cell holding the question's reference solution between ``### BEGIN SOLUTION`` and
``### END SOLUTION``; the check becomes a locked, graded cell worth ``points`` that asserts the
check passed, or, in the students' copy of the package, that an answer is there (``Outcome.ok``; its message shown
on failure) — for the student's own view: the grade itself comes from
``lessons_lib.homework.grade``, which checks the answers outside the student's kernel, with the hidden tests
(``hidden_cases()``), which are never written into any notebook. Every other cell (prose and code) stays, locked;
text in a locked cell that gives an answer away (a question's ``giveaways``) is replaced.
nbgrader's ``generate_assignment``, ``generate_feedback`` and ``export`` work on it; its ``autograde`` is switched
off by the config written here (it would run student code unsandboxed): grade with
``python -m lessons_lib.homework grade``. ``homework.json`` holds the grading settings (timeout per cell, memory
limit, output cap in bytes). See docs/instructors.md.

nbgrader is only needed to *run* the course (``pip install ".[instructor]"``); building needs nbformat.
Introduced for instructors alongside notebook 00 (start here); nbgrader itself is not a learner's dependency.
"""
from __future__ import annotations

import ast
import contextlib
import importlib
import io
import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..exercises.core import FunctionQuestion, Question

BIND = re.compile(r"\b(lesson\d\d[a-z]?)\.bind\(globals\(\)\)")
CHECK = re.compile(r"^\s*(q\d+(?:\.[A-Za-z_]\w*)?)\.check\(\)\s*;?\s*$", re.MULTILINE)
HELP_CALL = re.compile(r"\b(q\d+(?:\.[A-Za-z_]\w*)?)\.(hint|solution)\(")
DEFAULT_TIMEOUT_S = 120
DEFAULT_MEMORY_LIMIT_GB = 4.0
DEFAULT_OUTPUT_BYTES = 1_000_000
LESSON_FILE = re.compile(r"^(\d\d[a-z]?)_.+\.ipynb$")


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
    """The course's notebooks/ folder: next to the package in a clone (editable install), else ./notebooks."""
    beside = Path(__file__).resolve().parents[2] / "notebooks"
    return beside if beside.is_dir() or not (Path.cwd() / "notebooks").is_dir() else Path.cwd() / "notebooks"


def lesson_notebook(number: str, notebooks_dir: Path) -> Path:
    """The notebook ``NN_*.ipynb`` of lesson ``number`` (``"1"``, ``"01"``, ``"lesson01"``, ``"03b"``)."""
    match = re.fullmatch(r"(?:lesson)?(\d+)([a-z]?)", str(number).strip().lower())
    if not match:
        raise ValueError(f"a lesson is given by its number, like 01, 03b or lesson01; got {number!r}")
    name = f"{int(match.group(1)):02d}{match.group(2)}"
    matches = [p for p in lesson_notebooks(notebooks_dir) if LESSON_FILE.match(p.name).group(1) == name]
    if len(matches) != 1:
        found = ", ".join(p.name for p in lesson_notebooks(notebooks_dir)) or "none"
        raise FileNotFoundError(f"no single notebook for lesson {name} in {notebooks_dir} "
                                f"(notebooks there: {found})")
    return matches[0]


def lesson_notebooks(notebooks_dir: Path) -> list[Path]:
    """Every lesson notebook (``00_…`` … ``03b_…`` …) of the course, in order; appendices (``A1_…``) have no exercises."""
    return sorted(p for p in Path(notebooks_dir).glob("*.ipynb") if LESSON_FILE.match(p.name))


def _nbgrader(cell, grade_id: str, *, solution=False, grade=False, locked=False, points=None):
    meta = {"schema_version": 3, "grade_id": grade_id, "grade": grade, "solution": solution, "locked": locked}
    if grade:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    return cell


def bound_questions(module_name: str) -> dict[str, Question]:
    """Every label (q1, q3.a, …) of a lesson module's bound questions (the instructor's copy, in this process)."""
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


def _check_source(label: str, question: Question, points: int) -> str:
    lines = [f"# Graded: {label} ({points} point{'s' if points != 1 else ''}). If this cell fails, its message "
             "says what to fix. (The grade is checked again by the grader, with more tests; where the course is the "
             "students' copy, answers are only checked then.)",
             f"assert {label}.check().ok, {label}.last_outcome.message"]
    return "\n".join(lines)


def _without_giveaways(cell, questions: dict[str, Question]):
    for question in questions.values():
        for text, in_code, in_prose in getattr(question, "giveaways", ()):
            cell.source = cell.source.replace(f"`{text}`" if cell.cell_type == "markdown" else text,
                                              in_prose if cell.cell_type == "markdown" else in_code)
            cell.source = cell.source.replace(text, in_prose if cell.cell_type == "markdown" else in_code)
    return cell


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
    questions = bound_questions(module_name)
    check_indices = [i for i, c in enumerate(cells) if c.cell_type == "code" and CHECK.search(c.source)]
    if not check_indices:
        raise ValueError(f"{path.name}: no cell ends in qN.check()")
    if exercises_only:
        needs = {name for i in check_indices for label in CHECK.findall(cells[i].source)
                 for name in getattr(questions.get(label), "needs", ())}
        cells = [cells[i] for i in _exercise_cells_only(cells, bind_index, check_indices, needs)]

    built = BuiltNotebook(module_name, path.name, notebook)
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
                out.append(_nbgrader(_without_giveaways(cell, questions), f"cell-{index:03d}", locked=True))
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
        check = nbformat.v4.new_code_cell(_check_source(label, question, points))
        out.append(_nbgrader(check, f"check-{label.replace('.', '-')}", grade=True, locked=True, points=points))
        built.checks[label] = points
        if hidden:
            built.hidden.append(label)
    notebook.cells = out
    return built


CONFIG_TEMPLATE = '''"""nbgrader configuration written by `python -m lessons_lib.homework build` (edit freely; rebuilding rewrites it)."""
import os

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor, Preprocessor
from nbgrader.preprocessors import GetGrades

c = get_config()  # noqa: F821 (nbgrader defines it)
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.assignment_id = ""


class UseTheSandboxedGrader(Preprocessor):
    """nbgrader's autograde would run each student's code as you, next to the gradebook: refuse."""

    enabled = True   # nbconvert's preprocessors start disabled

    def preprocess(self, nb, resources):
        raise RuntimeError("grade with `python -m lessons_lib.homework grade . ASSIGNMENT` (sandboxed, checks outside "
                           "the student's kernel), not `nbgrader autograde` — see docs/instructors.md")


c.Autograde.autograde_preprocessors = [UseTheSandboxedGrader]
# No hidden test is in any notebook (the grader holds them): feedback is the grader's verdicts and the outputs.
c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor]
'''


def write_config(course_dir: Path, timeout: int = DEFAULT_TIMEOUT_S, memory_gb: float = DEFAULT_MEMORY_LIMIT_GB,
                 course_id: str = "layer-by-layer", output_bytes: int = DEFAULT_OUTPUT_BYTES) -> Path:
    """Write ``nbgrader_config.py`` and the grading settings ``homework.json`` into ``course_dir``."""
    if not (isinstance(timeout, int) and timeout > 0):
        raise ValueError(f"timeout is seconds per cell, a positive int; got {timeout!r}")
    if not (isinstance(memory_gb, (int, float)) and memory_gb >= 0.5):
        raise ValueError(f"memory_gb is the grading kernel's memory limit in GiB, at least 0.5; got {memory_gb!r}")
    if not (isinstance(output_bytes, int) and output_bytes >= 1000):
        raise ValueError(f"output_bytes is the output kept per cell, at least 1000 bytes; got {output_bytes!r}")
    path = Path(course_dir) / "nbgrader_config.py"
    path.write_text(CONFIG_TEMPLATE.format(course_id=course_id))
    (Path(course_dir) / "homework.json").write_text(json.dumps(
        {"timeout": timeout, "memory_gb": memory_gb, "output_bytes": output_bytes}, indent=1) + "\n")
    return path


def build_course(course_dir: Path, lessons: list[str] | None = None, notebooks_dir: Path | None = None,
                 exercises_only: bool = False, timeout: int = DEFAULT_TIMEOUT_S,
                 memory_gb: float = DEFAULT_MEMORY_LIMIT_GB,
                 output_bytes: int = DEFAULT_OUTPUT_BYTES) -> list[BuiltNotebook]:
    """Write ``course_dir/source/lessonNN/NN_name.ipynb`` for each lesson, and ``nbgrader_config.py``."""
    notebooks_dir = Path(notebooks_dir) if notebooks_dir else default_notebooks_dir()
    if not notebooks_dir.is_dir():
        raise FileNotFoundError(f"no notebooks folder at {notebooks_dir}: pass --notebooks PATH/TO/notebooks "
                                "(the folder of a clone of the course)")
    if lessons is None:
        paths = lesson_notebooks(notebooks_dir)
    else:
        paths = [lesson_notebook(lesson, notebooks_dir) for lesson in lessons]
    course_dir = Path(course_dir)
    course_dir.mkdir(parents=True, exist_ok=True)
    write_config(course_dir, timeout, memory_gb, output_bytes=output_bytes)
    built = []
    for path in paths:
        result = build_notebook(path, exercises_only=exercises_only)
        target = course_dir / "source" / result.assignment / result.notebook_name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(result.notebook, target)
        built.append(result)
    return built
