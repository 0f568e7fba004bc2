"""The instructors' command line: ``python -m lessons_lib.homework build|students-copy|grade|export|gradescope`` (docs/instructors.md).

Part of the homework tooling that turns the course notebooks into graded assignments; not a notebook's helper.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .build import DEFAULT_MEMORY_LIMIT_GB, DEFAULT_OUTPUT_BYTES, DEFAULT_TIMEOUT_S, build_course


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run one command; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m lessons_lib.homework",
                                     description="Build, grade and export the lessons as homework.")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="write COURSE_DIR/source/lessonNN/*.ipynb, nbgrader_config.py, homework.json")
    build.add_argument("course_dir", type=Path)
    build.add_argument("--lessons", nargs="+", metavar="NN", help="lesson numbers, e.g. 00 01 03b (default: all)")
    build.add_argument("--notebooks", type=Path, default=None, help="the course's notebooks/ folder")
    build.add_argument("--exercises-only", action="store_true",
                       help="keep only the opening cells and the exercises (grades in seconds, not minutes)")
    build.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT_S, help="seconds per cell when grading")
    build.add_argument("--memory-gb", type=float, default=DEFAULT_MEMORY_LIMIT_GB,
                       help="memory limit of each grading kernel, GiB")
    build.add_argument("--output-bytes", type=int, default=DEFAULT_OUTPUT_BYTES,
                       help="output kept per cell when grading, bytes")
    copy = sub.add_parser("students-copy", help="write the students' copy of lessons_lib (no solutions, expected "
                          "values or hidden tests) into OUT_DIR, to pip install in the students' image")
    copy.add_argument("out_dir", type=Path, help="a new or empty folder")
    grade = sub.add_parser("grade", help="grade every submitted/<student>/ASSIGNMENT in the sandbox")
    grade.add_argument("course_dir", type=Path)
    grade.add_argument("assignment")
    grade.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: CPU cores)")
    grade.add_argument("--unsandboxed-i-trust-every-submission", dest="unsandboxed", action="store_true",
                       help="run student code without the sandbox, as you: only for code you trust")
    export = sub.add_parser("export", help="write grades.csv (status: graded / needs manual grading / not handed in)")
    export.add_argument("course_dir", type=Path)
    export.add_argument("--to", type=Path, default=None, help="the CSV file (default: COURSE_DIR/grades.csv)")
    scope = sub.add_parser("gradescope", help="write a Gradescope autograder zip for one lesson")
    scope.add_argument("course_dir", type=Path)
    scope.add_argument("assignment")
    scope.add_argument("--to", type=Path, default=None, help="the zip (default: COURSE_DIR/gradescope/ASSIGNMENT.zip)")
    scope.add_argument("--repository", default="https://github.com/layer-by-layer/course",
                       help="where setup.sh installs the course from")
    scope.add_argument("--revision", default="main", help="the commit or tag setup.sh installs (pin it)")
    scope.add_argument("--unsandboxed-i-trust-every-submission", dest="unsandboxed", action="store_true",
                       help="grade without the sandbox where bubblewrap cannot run: only for code you trust")
    scope_run = sub.add_parser("gradescope-run", help="(run_autograder) grade one Gradescope submission")
    scope_run.add_argument("bundle", type=Path)
    scope_run.add_argument("submission", type=Path)
    scope_run.add_argument("results", type=Path)
    scope_run.add_argument("--unsandboxed-i-trust-every-submission", dest="unsandboxed", action="store_true")
    args = parser.parse_args(argv)

    if args.command == "build":
        built = build_course(args.course_dir, args.lessons, args.notebooks, args.exercises_only, args.timeout,
                             args.memory_gb, args.output_bytes)
        for result in built:
            hidden = f", hidden tests for {', '.join(result.hidden)}" if result.hidden else ""
            print(f"source/{result.assignment}/{result.notebook_name}: {len(result.checks)} graded checks, "
                  f"{result.max_score} points{hidden}")
        print(f"Next: cd {args.course_dir} && nbgrader generate_assignment {built[0].assignment} --force "
              "(see docs/instructors.md)")
        return 0
    if args.command == "students-copy":
        from .students_copy import AnswerLeak, write_students_copy
        try:
            package = write_students_copy(args.out_dir)
        except (FileExistsError, RuntimeError, AnswerLeak) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(f"wrote {package} (the students' copy: no solution, expected value or hidden test). Install it in the "
              f"students' environment, instead of the course: pip install {args.out_dir} (see docs/instructors.md)")
        return 0
    if args.command == "grade":
        from .grade import grade_assignment
        from .sandbox import SandboxUnavailable
        try:
            results = grade_assignment(args.course_dir, args.assignment, args.jobs, args.unsandboxed)
        except SandboxUnavailable as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(f"{len(results)} submission(s) of {args.assignment} graded")
        return 0
    if args.command == "export":
        from .exports import write_grades_csv
        path = write_grades_csv(args.course_dir, args.to)
        print(f"wrote {path}")
        return 0
    if args.command == "gradescope":
        from .exports import write_gradescope_zip
        path = write_gradescope_zip(args.course_dir, args.assignment, args.to, args.repository, args.revision,
                                    args.unsandboxed)
        print(f"wrote {path}")
        return 0
    if args.command == "gradescope-run":
        from .exports import run_gradescope
        report = run_gradescope(args.bundle, args.submission, args.results, args.unsandboxed)
        print(f"score {report['score']:g}: {args.results}")
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
