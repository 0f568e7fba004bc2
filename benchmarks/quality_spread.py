"""Benchmark: the measured spread of every quality check, over seeds, thread counts and CPU instruction sets.

A check on a trained model (``lessons_lib.quality.at_least`` / ``at_most`` in a notebook) lands a little differently
with another seed, another number of PyTorch threads or another CPU's kernels. This benchmark runs each lesson's
checks six times in a covering design — every run another seed (0-5); 1 and 2 threads each paired with every
instruction set (this CPU's own, a CPU without AVX, a CPU with AVX but not AVX2, emulated with ``ATEN_CPU_CAPABILITY``
and ``ONEDNN_MAX_CPU_ISA``, which each run verifies) — and stores every value in
``benchmarks/results/quality_spread.json``. ``tests/test_quality_bars.py`` then holds every notebook's bar below the
worst run by the course's margin (``lessons_lib.quality.margin``), and fails when a check line changed since it was
measured. The ambitious targets (``TARGETS``: what a good run reaches) are rows of the report, never a learner's cell.

Each run executes the notebook in a fresh kernel, in the given mode, up to its last check cell (the cells after it —
the closing exercises and questionnaire — train nothing), with ``LESSONS_RECORD_CHECKS`` set so that every check
records its value instead of raising, and ``LESSONS_SEED_OFFSET`` so that every seed the lesson sets is shifted.

Run (resumable: runs already stored for the current check lines are kept; Ctrl-C loses only the runs in flight):
    LESSONS_OFFLINE=1 LESSONS_DATA_DIR=../shared/data python benchmarks/quality_spread.py --mode both
    python benchmarks/quality_spread.py --lessons 06 --mode full          # one lesson
Options: --lessons, --mode quick|full|both, --runs s0-t2-native ... (a subset of RUNS), --jobs 2 (two one-thread
runs at once: a two-thread run always runs alone), --fresh (forget the stored runs of those lessons and modes),
--checks NAME... (with one lesson: re-measure only those checks in every stored run, running the notebook up to them;
the checks before them must reproduce the stored values, which proves the runs are the same runs).
About 40 minutes for every lesson in quick mode and 3 to 4 hours in full mode, on 2 idle cores.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import datetime as _dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import notebooks as nbbench  # noqa: E402  (benchmarks/notebooks.py: fresh kernels, lesson ids)

sys.path.insert(1, str(nbbench.ROOT))    # lessons_lib from this checkout

from lessons_lib.gan import QUALITY_TARGETS  # noqa: E402
from lessons_lib.quality import meets, runs_meeting  # noqa: E402

ROOT = nbbench.ROOT
RESULTS = ROOT / "benchmarks" / "results" / "quality_spread.json"
CHECK_CALLS = ("at_least(", "at_most(")


ISAS = nbbench.ISAS


@dataclass(frozen=True)
class Run:
    """One run of the design: the seed offset, the PyTorch thread count and the instruction set."""
    seed: int
    threads: int
    isa: str

    @property
    def id(self) -> str:
        return f"s{self.seed}-t{self.threads}-{self.isa}"


# A covering design, not the full product: six seeds; every (threads, instruction set) pair once.
RUNS = [Run(0, 2, "native"), Run(1, 1, "native"), Run(2, 2, "sse41"), Run(3, 1, "sse41"), Run(4, 2, "avx"),
        Run(5, 1, "avx")]

# The ambitious targets: what the lesson's recipe is meant to reach. Rows of the report (mean and worst over the
# spread), never a cell that breaks a learner's run. (lesson, mode, check name) -> target.
TARGETS = {("06", "full", name): target for name, target in QUALITY_TARGETS.items()}   # lesson 06 shows them too

_lock = threading.Lock()


# ------------------------------------------------------------------------------------------------ the notebook side
def calls_a_check(line: str) -> bool:
    """True for a source line that calls a quality check (not a comment or an import)."""
    return any(call in line for call in CHECK_CALLS) and not line.strip().startswith(("#", "from ", "import "))


def check_lines(path: Path) -> list[str]:
    """The stripped source lines of a notebook that call a quality check: what the stored spread was measured for."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    return [line.strip() for cell in notebook.cells if cell.cell_type == "code"
            for line in cell.source.splitlines() if calls_a_check(line)]


def last_check_cell(path: Path, names: list[str] | None = None) -> int:
    """The index of the last cell that calls a quality check (the run stops there), or one of the checks ``names``
    (a partial re-measure stops there)."""
    import nbformat

    def wanted(line: str) -> bool:
        return calls_a_check(line) and (names is None or any(f'"{n}"' in line or f"'{n}'" in line for n in names))

    notebook = nbformat.read(path, as_version=4)
    cells = [i for i, cell in enumerate(notebook.cells)
             if cell.cell_type == "code" and any(wanted(line) for line in cell.source.splitlines())]
    if not cells:
        raise SystemExit(f"{path.name} has no quality check (at_least/at_most): nothing to measure" if names is None
                         else f"{path.name} calls none of the checks {names}")
    return cells[-1]


def check_names(path: Path) -> list[str]:
    """The names of the checks a notebook calls (each check's first argument), in order."""
    import re

    return [match.group(2) for line in check_lines(path)
            for match in [re.search(r"at_(?:least|most)\(\s*([\"'])(.+?)\1", line)] if match]


class NotReproduced(RuntimeError):
    """A partial re-measure's earlier checks did not land where the stored run's did: the prefix ran differently."""


def merge_remeasured(stored: dict, fresh: dict, names: list[str], current: list[str]) -> dict:
    """The stored run with the checks ``names`` taken from ``fresh`` (a re-run of the notebook up to them, under the
    same seed, threads and instruction set). Every other check the re-run recorded must equal the stored value —
    the proof that the prefix ran as it did in the stored run; checks the notebook no longer calls are dropped."""
    if fresh["status"] != "ok":
        raise NotReproduced(f"the re-run did not finish: {fresh['status']} {fresh['error']}")
    missing = [name for name in names if name not in fresh["checks"]]
    if missing:
        raise NotReproduced(f"the re-run recorded no value for {missing}")
    for name, check in fresh["checks"].items():
        if name in names:
            continue
        if name not in stored["checks"] or abs(stored["checks"][name]["value"] - check["value"]) > 1e-9:
            was = stored["checks"].get(name, {}).get("value")
            raise NotReproduced(f"{name!r}: the re-run gave {check['value']}, the stored run {was}")
    checks = {name: check for name, check in stored["checks"].items() if name in current and name not in names}
    checks.update({name: fresh["checks"][name] for name in names})
    history = stored.get("remeasured", []) + [{"checks": sorted(names), "measured_at": fresh["measured_at"],
                                               "wall_s": fresh["wall_s"]}]
    return dict(stored, checks=checks, remeasured=history)


def cache_without_models(folder: Path) -> Path:
    """A cache folder for one run: the shared cache's datasets (downloads, decoded copies) linked in, no saved model,
    so that every run trains what the lesson trains (lesson 06's judge, for one) from its own seed."""
    from lessons_lib import settings

    folder.mkdir(parents=True)
    for part in ("downloads", "decoded"):
        shared = settings.CACHE_DIR / part
        shared.mkdir(parents=True, exist_ok=True)
        (folder / part).symlink_to(shared, target_is_directory=True)
    return folder


def run_checks(lesson: str, mode: str, run: Run, stop_after: int | None = None) -> dict:
    """Execute one lesson up to its last check (or cell ``stop_after``) under one run's seed, threads and
    instruction set."""
    path = nbbench.notebook_path(lesson)
    isa = ISAS[run.isa]
    computes_with = nbbench.verify_isa(isa, run.threads)
    with tempfile.TemporaryDirectory() as scratch:
        record = Path(scratch) / "checks.jsonl"
        env = {**isa.env, "OMP_NUM_THREADS": str(run.threads), "LESSONS_THREADS": str(run.threads),
               "LESSONS_SEED_OFFSET": str(run.seed), "LESSONS_RECORD_CHECKS": str(record),
               "LESSONS_CACHE_DIR": str(cache_without_models(Path(scratch) / "cache"))}
        started = time.perf_counter()
        result = nbbench.run_notebook(path, mode, env=env, hard_timeout=8 * nbbench.BUDGETS[mode].seconds,
                                      stop_after=last_check_cell(path) if stop_after is None else stop_after)
        lines = record.read_text().splitlines() if record.exists() else []
    checks = {}
    for line in lines:
        entry = json.loads(line)
        checks[entry["name"]] = {k: entry[k] for k in ("value", "bar", "kind", "passed")}
    return {"seed": run.seed, "threads": run.threads, "isa": run.isa, "computes_with": computes_with,
            "status": result["status"], "error": result["error"], "wall_s": round(time.perf_counter() - started, 1),
            "checks": checks, "measured_at": result["measured_at"]}


# ---------------------------------------------------------------------------------------------------- the results
def load_results(path: Path = RESULTS) -> dict:
    if not path.exists():
        return {"benchmark": "quality_spread", "lessons": {}, "summary": {}, "rows": []}
    return json.loads(path.read_text())


def summarise(results: dict) -> dict:
    """{mode: {lesson: {check: {runs, worst, best, mean, bar, kind, margin, seeds, threads, isas}}}} over ok runs."""
    from lessons_lib.quality import margin

    summary: dict = {}
    for lesson, entry in sorted(results.get("lessons", {}).items()):
        for mode, runs in entry.get("modes", {}).items():
            ok = [r for r in runs.values() if r["status"] == "ok"]
            names = sorted({name for r in ok for name in r["checks"]})
            for name in names:
                measured = [r for r in ok if name in r["checks"]]
                values = [r["checks"][name]["value"] for r in measured]
                kind = measured[0]["checks"][name]["kind"]
                oriented = values if kind == "at_least" else [-v for v in values]    # higher is better
                summary.setdefault(mode, {}).setdefault(lesson, {})[name] = {
                    "runs": len(values), "kind": kind, "bar": measured[0]["checks"][name]["bar"],
                    "worst": min(values) if kind == "at_least" else max(values),
                    "best": max(values) if kind == "at_least" else min(values),
                    "mean": statistics.fmean(values), "margin": margin(oriented),
                    "seeds": sorted({r["seed"] for r in measured}), "threads": sorted({r["threads"] for r in measured}),
                    "isas": sorted({r["isa"] for r in measured}), "values": values}
    return summary


def contract_rows(summary: dict) -> list[dict]:
    """Report rows: each lesson and mode's measured spread (runs per check), and the ambitious targets (worst run)."""
    rows = []
    for mode, lessons in sorted(summary.items()):
        for lesson, checks in sorted(lessons.items()):
            runs = min(entry["runs"] for entry in checks.values())
            rows.append({"lesson": lesson, "target": f"{lesson} {mode}: its {len(checks)} quality checks measured in "
                         f"{len(RUNS)} runs (seeds, 1-2 threads, instruction sets)", "measured": runs, "unit": "runs",
                         "limit": len(RUNS), "better": "higher", "met": runs >= len(RUNS), "device": "CPU"})
            for name, entry in sorted(checks.items()):
                target = TARGETS.get((lesson, mode, name))
                if target is not None:
                    rows.append({"lesson": lesson, "target": f"{lesson} {mode}: {name} >= {target:g} (worst run)",
                                 "measured": round(entry["worst"], 4), "unit": "", "limit": target, "better": "higher",
                                 "met": meets(entry["worst"], target, entry["kind"]),
                                 "device": f"CPU, {entry['runs']} runs",
                                 "note": f"met in {runs_meeting(entry, target)} of "
                                         f"{len(entry['values'])} runs; mean {entry['mean']:.4g}, best {entry['best']:.4g}"})
    return rows


def store(lesson: str, mode: str, lines: list[str], run: Run, outcome: dict, path: Path) -> None:
    """Merge one run into the results file (re-read first: another run may have stored meanwhile), atomically."""
    with _lock:
        results = load_results(path)
        entry = results.setdefault("lessons", {}).setdefault(lesson, {"modes": {}})
        entry["check_lines"] = lines                # what was measured, to read; bars may be lowered after
        entry["modes"].setdefault(mode, {})[run.id] = outcome
        results["summary"] = summarise(results)
        results["rows"] = contract_rows(results["summary"])
        results["generated"] = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        results["device"] = nbbench.describe_device()
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(results, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
        temporary.replace(path)


def pending(lessons: list[str], modes: list[str], runs: list[Run], path: Path, fresh: bool) -> list[tuple]:
    """The (lesson, mode, run) still to measure: not stored yet (or every one, with ``fresh``)."""
    results = load_results(path)
    todo = []
    for mode in modes:
        for lesson in lessons:
            stored = results.get("lessons", {}).get(lesson, {})
            done = stored.get("modes", {}).get(mode, {}) if not fresh else {}
            todo += [(lesson, mode, run) for run in runs if done.get(run.id, {}).get("status") != "ok"]
    return todo


def batches(todo: list[tuple], jobs: int) -> list[list[tuple]]:
    """Group runs so that no batch asks for more threads than ``jobs`` cores: two one-thread runs, or one alone."""
    if jobs == 1:
        return [[job] for job in todo]
    singles = [job for job in todo if job[2].threads == 1]
    groups = [singles[i:i + jobs] for i in range(0, len(singles), jobs)]
    return [[job] for job in todo if job[2].threads > 1] + groups


def describe(outcome: dict) -> str:
    failed = [name for name, c in outcome["checks"].items() if not c["passed"]]
    return (f"{outcome['status']}, {len(outcome['checks'])} checks, {outcome['wall_s']:.0f} s"
            + (f"; below today's bar: {', '.join(failed)}" if failed else "")
            + (f"; {outcome['error']}" if outcome["error"] else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", nargs="*", default=None)
    parser.add_argument("--mode", choices=["quick", "full", "both"], default="both")
    parser.add_argument("--runs", nargs="*", default=None, help="run ids, e.g. s0-t2-native (default: all six)")
    parser.add_argument("--jobs", type=int, default=2, help="cores to use: two one-thread runs at once")
    parser.add_argument("--fresh", action="store_true", help="re-measure runs already stored")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--checks", nargs="+", default=None, metavar="NAME",
                        help="re-measure only these checks (new or changed) in every stored run: the notebook runs up "
                             "to the last of them, and the checks before them must reproduce the stored values")
    args = parser.parse_args(argv)
    if args.checks:
        return remeasure(args)
    known = [lesson for lesson in nbbench.all_lessons() if _has_checks(lesson)]
    lessons = [nbbench.normalise_lesson(x) for x in args.lessons] if args.lessons else known
    runs = [run for run in RUNS if args.runs is None or run.id in args.runs]
    modes = ["quick", "full"] if args.mode == "both" else [args.mode]
    todo = pending(lessons, modes, runs, args.output, args.fresh)
    print(f"{len(todo)} runs to measure ({len(lessons)} lessons x {len(modes)} modes x {len(runs)} runs, "
          f"less those stored); device {nbbench.describe_device()}", flush=True)
    lines = {lesson: check_lines(nbbench.notebook_path(lesson)) for lesson in lessons}
    started, done = time.perf_counter(), 0
    for batch in batches(todo, args.jobs):
        with concurrent.futures.ProcessPoolExecutor(max_workers=len(batch)) as pool:
            futures = {pool.submit(run_checks, *job): job for job in batch}
            for future in concurrent.futures.as_completed(futures):
                lesson, mode, run = futures[future]
                outcome = future.result()
                store(lesson, mode, lines[lesson], run, outcome, args.output)
                done += 1
                print(f"[{done}/{len(todo)}, {time.perf_counter() - started:.0f} s] {lesson} {mode} {run.id}: "
                      f"{describe(outcome)}", flush=True)
    return 0


def remeasure(args) -> int:
    """``--checks``: re-run each stored run's seed, threads and instruction set up to the named checks, and store their
    values in it (merge_remeasured). For a check renamed or redefined early in a lesson whose full runs take hours."""
    if not args.lessons or len(args.lessons) != 1:
        raise SystemExit("--checks needs exactly one lesson (--lessons NN)")
    lesson = nbbench.normalise_lesson(args.lessons[0])
    path = nbbench.notebook_path(lesson)
    current = check_names(path)
    unknown = [name for name in args.checks if name not in current]
    if unknown:
        raise SystemExit(f"{path.name} calls no check named {unknown}; it calls {current}")
    stop_after = last_check_cell(path, args.checks)
    modes = ["quick", "full"] if args.mode == "both" else [args.mode]
    stored = load_results(args.output).get("lessons", {}).get(lesson, {}).get("modes", {})
    todo = [(lesson, mode, run) for mode in modes for run in RUNS
            if (args.runs is None or run.id in args.runs) and stored.get(mode, {}).get(run.id, {}).get("status") == "ok"]
    print(f"{len(todo)} stored runs of lesson {lesson} to re-measure {args.checks} in, up to cell {stop_after}",
          flush=True)
    started, done = time.perf_counter(), 0
    for batch in batches(todo, args.jobs):
        with concurrent.futures.ProcessPoolExecutor(max_workers=len(batch)) as pool:
            futures = {pool.submit(run_checks, lesson, mode, run, stop_after): (mode, run) for _, mode, run in batch}
            for future in concurrent.futures.as_completed(futures):
                mode, run = futures[future]
                fresh = future.result()
                old = load_results(args.output)["lessons"][lesson]["modes"][mode][run.id]
                outcome = merge_remeasured(old, fresh, args.checks, current)
                store(lesson, mode, check_lines(path), run, outcome, args.output)
                done += 1
                print(f"[{done}/{len(todo)}, {time.perf_counter() - started:.0f} s] {lesson} {mode} {run.id}: "
                      + ", ".join(f"{name} = {outcome['checks'][name]['value']:.4g}" for name in args.checks),
                      flush=True)
    return 0


def _has_checks(lesson: str) -> bool:
    return bool(check_lines(nbbench.notebook_path(lesson)))


if __name__ == "__main__":
    sys.exit(main())
