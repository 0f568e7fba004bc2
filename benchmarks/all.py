"""Every lesson-target benchmark in one run, one after the other, then the report that puts them side by side.

    LESSONS_DATA_DIR=../shared/data python benchmarks/all.py                 # the lesson targets, then the report
    LESSONS_DATA_DIR=../shared/data python benchmarks/all.py --with-notebooks # and every notebook's budgets too
    python benchmarks/all.py --only gan,factorization_speed                   # a subset (names as in the report)
    python benchmarks/all.py --dry-run                                        # print the commands, run nothing

Each benchmark runs in its own process with the options below (the targets assume 2 CPU cores: fsdd trains two folds
at a time with one thread each, the others use two threads) and writes its ``benchmarks/results/<name>.json``; then
``report.py`` writes ``benchmarks/results/report.md``. Run it on an otherwise idle machine: the times in the report
are wall times. On 2 cores the targets take about 80 minutes (fsdd about 40, MNIST about 15 and the 3- and 10-minute rows about 40 each, the GAN about 10,
word2vec, factorization and self-play a few each); ``--with-notebooks`` adds about 35 (every notebook in quick and full mode).
A GPU, when PyTorch sees one, is used by the benchmarks that can use it (each row says its device).

A benchmark that fails does not stop the others; the exit status is non-zero and the failures are named at the end.
Introduced for issue 16 (the course's speed is one measured report).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# report name -> the script and its options, in the order they run (the longest last, so the quick ones report first)
BENCHMARKS = {
    "factorization_speed": ["factorization_speed.py"],
    "word2vec_speed": ["word2vec_speed.py"],
    "selfplay_speed": ["selfplay_speed.py"],
    "gan": ["gan_quality.py"],
    "mnist_time_to_accuracy": ["mnist_time_to_accuracy.py"],
    "mnist_beat_walkthrough": ["mnist_beat_walkthrough.py"],         # resumable; about 40 minutes a row
    "fsdd_speaker_holdout": ["fsdd_speaker_holdout.py", "--jobs", "2"],
    "quality_spread": ["quality_spread.py", "--mode", "both"],   # resumable; hours in full mode (see its docstring)
}
NOTEBOOKS = {"notebooks": ["notebooks.py", "--mode", "both"]}


def plan(only: str = "", with_notebooks: bool = False) -> dict[str, list[str]]:
    """The benchmarks to run, by report name, each as its command line; a clear error for an unknown name."""
    available = {**BENCHMARKS, **NOTEBOOKS}
    if only:
        names = [name.strip() for name in only.split(",") if name.strip()]
        unknown = [name for name in names if name not in available]
        if unknown or not names:
            raise SystemExit(f"--only: unknown benchmark(s) {unknown or only!r}; choose from {', '.join(available)}")
        chosen = {name: available[name] for name in names}
    else:
        chosen = {**BENCHMARKS, **(NOTEBOOKS if with_notebooks else {})}
    return {name: [sys.executable, str(HERE / script), *options] for name, (script, *options) in chosen.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated report names (default: the lesson targets)")
    parser.add_argument("--with-notebooks", action="store_true", help="also run benchmarks/notebooks.py --mode both")
    parser.add_argument("--dry-run", action="store_true", help="print the commands and stop")
    args = parser.parse_args(argv)
    commands = plan(args.only, args.with_notebooks)
    report = [sys.executable, str(HERE / "report.py")]
    if args.dry_run:
        for command in [*commands.values(), report]:
            print(" ".join(command[1:]))
        return 0
    start, failed = time.perf_counter(), []
    for name, command in commands.items():
        print(f"\n=== {name}: {' '.join(command[1:])}", flush=True)
        began = time.perf_counter()
        code = subprocess.run(command).returncode
        print(f"=== {name}: {'ok' if code == 0 else f'exit status {code}'} after {time.perf_counter() - began:.0f} s",
              flush=True)
        if code:
            failed.append(f"{name} (exit status {code})")
    subprocess.run(report, check=True)
    print(f"all benchmarks: {time.perf_counter() - start:.0f} s" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
