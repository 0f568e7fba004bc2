"""The students' copy of the course package: ``lessons_lib`` without a single solution, expected value or hidden test.

``python -m lessons_lib.homework students-copy OUT_DIR`` writes ``OUT_DIR/lessons_lib/`` (and a ``pyproject.toml``, so
that ``pip install OUT_DIR`` installs it) for the students' image of graded homework. Every module is the
instructor's, but for each lesson's exercises (``exercises/lessonNN.py``), which is *regenerated* from the instructor's
classes, never copied: a question keeps its docstring, ``var``, ``prompt``, ``units``, ``points``, ``needs``, its
parts, and its first hint (the later ones go further, and the last often spells the answer out); its
class is decorated with ``exercises.core.withheld_answers``, so that ``solution_code``, ``expected()``, ``cases()``,
``hidden_cases()``, ``solution()`` … raise ``AnswerWithheld`` and ``check()`` answers "recorded: checked when graded".
No method of a question, no reference function and no module constant of a lesson module is written, but for
plain helper classes that the grader's inputs are made of (lesson 00's ``_LoadedDataset``) and the constants the
graded handout's locked lesson cells use in place of a giveaway (lesson 01's ``KERAS_TO_TORCH_AXES``, which the
lesson shows before its exercise). ``__pycache__`` folders are not copied (they hold the instructor's bytecode).

Before it returns, the writer looks in every file it wrote for each line of every question's ``solution_code`` and
refuses (``AnswerLeak``) if one is there. The grader runs each submission against a fresh students' copy
(``grade.grade_assignment``), so that a submission's code cannot reach the answers either.

What stays, on purpose: the course's own library (``conv.conv_output_size``, ``keras_interop`` …), which the lessons
run on and teach; an exercise that asks to re-write one of its functions can be answered by calling it
(docs/instructors.md says so). Part of the instructors' homework tooling; never imported by a lesson notebook.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import shutil
import textwrap
from pathlib import Path

import lessons_lib

from ..exercises.core import FunctionQuestion, MultiPartQuestion, NumberQuestion, Question

KEPT_ATTRIBUTES = ("var", "prompt", "units", "points", "needs")
LESSON_MODULE = re.compile(r"^lesson\d\d[a-z]?$")
MIN_LEAK_LINE = 8          # shorter solution lines ("return x") are too common to count as a leak


class AnswerLeak(RuntimeError):
    """A students' copy would hold a line of a solution: it is not written."""


def lesson_modules() -> list[str]:
    """The names of the lesson modules of ``lessons_lib.exercises`` (``lesson00`` … ``lesson09``)."""
    package = importlib.import_module("lessons_lib.exercises")
    return sorted(m.name for m in pkgutil.iter_modules(package.__path__) if LESSON_MODULE.match(m.name))


def _question_classes(module) -> list[type[Question]]:
    """Every Question class of ``module`` the students' copy needs (its questions and their parts), parts first."""
    ordered: list[type[Question]] = []

    def add(cls):
        if cls in ordered:
            return
        if cls.__module__ != module.__name__:
            raise ValueError(f"{module.__name__}: question {cls.__name__} is defined in {cls.__module__}; the "
                             "students' copy writes only the lesson module's own classes")
        for part in getattr(cls, "parts", {}).values() if issubclass(cls, MultiPartQuestion) else ():
            add(part)
        ordered.append(cls)

    for cls in module.QUESTIONS:
        add(cls)
    return ordered


def _base_of(cls: type[Question]) -> str:
    for base in (MultiPartQuestion, FunctionQuestion, NumberQuestion, Question):
        if issubclass(cls, base):
            return base.__name__
    raise TypeError(f"{cls!r} is not a Question")     # pragma: no cover - _question_classes only yields Questions


def _public_hints(cls: type[Question]) -> tuple[str, ...]:
    """The first hint (the nudge; later ones go further, the last often spells the answer out), unless it quotes a
    line of the solution."""
    hints = (tuple(cls.hints) or ((cls.hint_text,) if cls.hint_text else ()))[:1]
    quoted = _solution_lines_of(cls)
    return tuple(hint for hint in hints if not any(line in hint for line in quoted))


def _solution_lines_of(cls: type[Question]) -> list[str]:
    code = inspect.getattr_static(cls, "solution_code", None)
    if not isinstance(code, str):
        return []
    lines = [line.strip() for line in textwrap.dedent(code).splitlines()]
    return [line for line in lines if len(line) >= MIN_LEAK_LINE and not line.startswith(("#", "def "))]


def _class_source(cls: type[Question]) -> str:
    lines = ["@withheld_answers", f"class {cls.__name__}({_base_of(cls)}):"]
    doc = inspect.cleandoc(cls.__doc__) if cls.__doc__ else ""
    lines.append(f"    {doc!r}" if doc else "    pass")
    for name in KEPT_ATTRIBUTES:
        value = inspect.getattr_static(cls, name, None)
        if value is None:
            continue
        if isinstance(value, property):              # a prompt computed from the notebook (lesson 06's q3)
            value = doc.splitlines()[0] if doc else ""
        if name in ("points", "needs") and value == getattr(Question, name):
            continue
        lines.append(f"    {name} = {value!r}")
    lines.append(f"    hints = {_public_hints(cls)!r}")
    if issubclass(cls, MultiPartQuestion):
        parts = ", ".join(f"{key!r}: {part.__name__}" for key, part in cls.parts.items())
        lines.append(f"    parts = {{{parts}}}")
    return "\n".join(lines)


def _giveaway_constants(module, classes) -> dict[str, object]:
    """Module constants the graded handout's locked lesson cells use in place of a giveaway (see ``build``)."""
    names = {}
    for cls in classes:
        for _text, in_code, _in_prose in getattr(cls, "giveaways", ()):
            for name in re.findall(r"\.([A-Z][A-Z0-9_]*)\b", in_code):
                if hasattr(module, name):
                    names[name] = getattr(module, name)
    return names


def _helper_classes(module) -> list[type]:
    """Plain classes of the module (not questions) that the grader's inputs may be made of, pickled into the run."""
    return [value for value in vars(module).values()
            if isinstance(value, type) and value.__module__ == module.__name__ and not issubclass(value, Question)]


def students_module_source(module_name: str) -> str:
    """The students' copy of ``lessons_lib.exercises.<module_name>``, as Python source."""
    if not LESSON_MODULE.match(str(module_name)):
        raise ValueError(f"a lesson module is named like lesson01 or lesson03b; got {module_name!r}")
    module = importlib.import_module(f"lessons_lib.exercises.{module_name}")
    if any(getattr(cls, "answers_withheld", False) for cls in module.QUESTIONS):
        raise RuntimeError(f"lessons_lib.exercises.{module_name} is already a students' copy (imported from "
                           f"{module.__file__}): write the students' copy from the instructor's copy of the course")
    classes = _question_classes(module)
    doc = inspect.cleandoc(module.__doc__ or f"Exercises of {module_name}.")
    parts = [f'"""{doc}\n\nThe students\' copy for graded homework, written by `python -m lessons_lib.homework '
             'students-copy`: no solution, expected value or hidden test is here (the grader holds them)."""'
             .replace("\\", "\\\\"),
             "from __future__ import annotations",
             "from .core import (FunctionQuestion, MultiPartQuestion, NumberQuestion, Question, make_binder, "
             "make_progress,\n                   withheld_answers)  # noqa: F401"]
    for helper in _helper_classes(module):
        parts.append(textwrap.dedent(inspect.getsource(helper)).strip())
    for cls in classes:
        parts.append(_class_source(cls))
    for name, value in _giveaway_constants(module, classes).items():
        parts.append(f"{name} = {value!r}   # the graded handout's lesson cells use it (the lesson shows it first)")
    parts.append(f"QUESTIONS = [{', '.join(cls.__name__ for cls in module.QUESTIONS)}]\n"
                 "bind = make_binder(QUESTIONS)\nprogress = make_progress(QUESTIONS)")
    return "\n\n\n".join(parts) + "\n"


def solution_lines(module_name: str) -> list[str]:
    """The lines of every solution of a lesson module that must appear nowhere in its students' copy."""
    module = importlib.import_module(f"lessons_lib.exercises.{module_name}")
    return [line for cls in _question_classes(module) for line in _solution_lines_of(cls)]


def find_leaks(root: Path, lines: list[str]) -> list[str]:
    """``path: line`` for each solution line found in a text file under ``root``."""
    found = []
    for path in sorted(Path(root).rglob("*")):
        if path.is_file() and path.suffix not in (".npz", ".gz", ".png"):
            text = path.read_text(errors="ignore")
            found += [f"{path.relative_to(root)}: {line}" for line in lines if line in text]
    return found


PYPROJECT = '''[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "lessons_lib"
version = "{version}"
description = "Layer by Layer, the students' copy for graded homework: no solutions, expected values or hidden tests"
requires-python = ">=3.10"
dependencies = {dependencies!r}

[tool.setuptools.packages.find]
include = ["lessons_lib*"]

[tool.setuptools.package-data]
lessons_lib = ["data/samples/*.npz"]
'''


def _project_metadata() -> tuple[str, list[str]]:
    """The installed course's version and dependencies (from its metadata; a plain copy of the tree needs neither)."""
    try:
        from importlib.metadata import PackageNotFoundError, distribution
        dist = distribution("lessons_lib")
        requires = [r for r in (dist.requires or []) if "extra ==" not in r]
        return dist.version, requires
    except (ImportError, PackageNotFoundError):
        return "0", []


def write_students_copy(out_dir: Path, *, pyproject: bool = True) -> Path:
    """Write the students' copy into ``out_dir`` (``out_dir/lessons_lib``, and ``pyproject.toml``); returns the
    package folder. ``out_dir`` must be empty or not exist yet. Raises ``AnswerLeak`` if a solution line got in."""
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise FileExistsError(f"{out_dir} exists and is not an empty folder: the students' copy goes into a new or "
                              "empty folder (remove the old copy first)")
    source = Path(lessons_lib.__file__).resolve().parent
    modules = lesson_modules()
    generated = {name: students_module_source(name) for name in modules}    # first: fails before writing anything
    package = out_dir / "lessons_lib"
    shutil.copytree(source, package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
    for name, text in generated.items():
        (package / "exercises" / f"{name}.py").write_text(text)
    if pyproject:
        version, requires = _project_metadata()
        (out_dir / "pyproject.toml").write_text(PYPROJECT.format(version=version, dependencies=requires))
    # the exercises and the homework tooling; the course's library (conv, keras_interop, pointwise …) is what the
    # lessons run on: that some of its functions do what an exercise asks is documented, not hidden
    lines = [line for name in modules for line in solution_lines(name)]
    leaks = find_leaks(package / "exercises", lines) + find_leaks(package / "homework", lines)
    if leaks:
        shutil.rmtree(package, ignore_errors=True)
        raise AnswerLeak("the students' copy would hold solution lines, so it was not written:\n  " +
                         "\n  ".join(leaks[:20]))
    for path in [out_dir, *out_dir.rglob("*")]:      # readable by every user (the grading sandbox runs as another)
        path.chmod(0o755 if path.is_dir() else 0o644)
    return package


__all__ = ["AnswerLeak", "find_leaks", "lesson_modules", "solution_lines", "students_module_source",
           "write_students_copy"]
