"""Homework for instructors: the lessons as an nbgrader course, graded in a sandbox (docs/instructors.md).

One module per job, so that the grading path reads apart from the rest:

* ``build`` — the nbgrader course directory from the course notebooks and their ``Question`` classes;
* ``students_copy`` — the package without solutions, expected values or hidden tests, for the students' image and
  for every grading run;
* ``sandbox`` — bubblewrap around every graded execution (read-only machine, scratch copy, no network, limits);
* ``runner`` — what runs inside the sandbox: the notebook under nbclient, each answer exported as plain data;
* ``codec`` — that plain data, read back without running the student's code;
* ``grade`` — assemble, run, check outside the student's kernel, record in the gradebook (one process), in parallel;
* ``exports`` — ``grades.csv`` (handed in or not, needs manual grading) and a Gradescope autograder per lesson;
* ``cli`` — ``python -m lessons_lib.homework build|students-copy|grade|export|gradescope``.

Introduced for instructors alongside notebook 00 (start here); nbgrader itself is not a learner's dependency.
"""
from __future__ import annotations

from .build import (DEFAULT_MEMORY_LIMIT_GB, DEFAULT_OUTPUT_BYTES, DEFAULT_TIMEOUT_S, BuiltNotebook,  # noqa: F401
                    bound_questions, build_course, build_notebook, default_notebooks_dir, hidden_test_lines,
                    lesson_notebook, lesson_notebooks, write_config)


def main(argv: list[str] | None = None) -> int:
    """The command line (``python -m lessons_lib.homework …``; see ``lessons_lib.homework.cli``)."""
    from .cli import main as cli_main
    return cli_main(argv)
