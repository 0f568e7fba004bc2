"""Parallel grading: 20 pretend submissions of lesson 01 graded with 1 and then 2 workers, side by side.

Builds lesson 01 exercises-only in a temporary course, releases it with nbgrader, hands in 20 submissions (right,
partly wrong, one endless loop) and runs ``python -m lessons_lib.homework grade`` with ``--jobs 1`` and ``--jobs 2``
on the same submissions; prints both times and their ratio and writes ``benchmarks/results/homework_grading.json``.
Each grading is sandboxed (bubblewrap), as for a real class. On a shared machine, other work inflates both times.

    python benchmarks/homework_grading.py [--students 20] [--jobs 1 2]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from lessons_lib import homework  # noqa: E402

NOTEBOOK = "01_filter_depth.ipynb"
RIGHT = {"q1": "n_parameters = 64 * (32 * 3 * 3 + 1)",
         "q2": "def output_size(size, kernel, stride, padding):\n    return (size - kernel + 2 * padding) // stride + 1",
         "q3": "def keras_to_torch(kernel):\n    return kernel.permute(3, 2, 0, 1)",
         "q4": "n_depthwise = 8 * (7 * 7 + 1)"}
WRONG = {"q1": "n_parameters = 64 * 32 * 3 * 3", "q3": "def keras_to_torch(kernel):\n    return kernel"}


def run(args: list[str], cwd: Path) -> str:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               PYTHONPATH=f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    env.setdefault("OMP_NUM_THREADS", "1")
    result = subprocess.run([sys.executable, "-m", *args], cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp) / "course"
        homework.build_course(course, ["01"], exercises_only=True, timeout=20, memory_gb=3)
        run(["nbgrader", "generate_assignment", "lesson01", "--force"], course)
        release = nbformat.read(course / "release" / "lesson01" / NOTEBOOK, as_version=4)
        for n in range(args.students):
            notebook = nbformat.from_dict(json.loads(json.dumps(release)))
            for cell in notebook.cells:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
                if grade_id.startswith("answer-"):
                    label = grade_id.removeprefix("answer-")
                    cell.source = (WRONG.get(label, RIGHT[label]) if n % 4 == 1 else
                                   "while True:\n    pass" if n == 3 and label == "q2" else RIGHT[label])
            target = course / "submitted" / f"student{n:02d}" / "lesson01" / NOTEBOOK
            target.parent.mkdir(parents=True)
            nbformat.write(notebook, target)
        seconds = {}
        for jobs in args.jobs:
            start = time.perf_counter()
            run(["lessons_lib.homework", "grade", ".", "lesson01", "--jobs", str(jobs)], course)
            seconds[jobs] = time.perf_counter() - start
            print(f"{args.students} submissions of lesson 01, {jobs} worker(s): {seconds[jobs]:.0f} s", flush=True)
    first, last = args.jobs[0], args.jobs[-1]
    ratio = seconds[first] / seconds[last]
    print(f"speed-up {first} → {last} workers: {ratio:.2f}x")
    result = {"submissions": args.students, "lesson": "01 (exercises only)", "seconds": seconds,
              "ratio": round(ratio, 3), "cpu_count": os.cpu_count(), "machine": platform.machine(),
              "measured": time.strftime("%Y-%m-%d"), "note": "sandboxed (bubblewrap); a shared 2-core machine"}
    if not args.no_save:
        out = ROOT / "benchmarks" / "results" / "homework_grading.json"
        out.write_text(json.dumps(result, indent=1) + "\n")
        print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
