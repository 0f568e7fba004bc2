"""Every quality bar comes from a measured spread (benchmarks/quality_spread.py → results/quality_spread.json).

The bars themselves are held to the spread where they run: the suite sets ``LESSONS_ENFORCE_SPREAD=1`` (conftest.py),
so under nbval every ``at_least``/``at_most`` in a quick-mode notebook fails when its bar is beyond what the stored
spread allows or was never measured, and CI's full-mode step does the same for full mode (``--enforce-spread``).
This module checks the stored spread itself: that it follows the benchmark's design (≥ 6 runs, ≥ 5 seeds, 1 and 2
threads, the CPU's own kernels and another instruction set), that every lesson with checks was measured, and that the
report carries the ambitious targets.
"""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "quality_spread.json"

# Lessons whose full-mode spread is not measured yet (a full-mode spread of every lesson takes 3-4 hours on 2 cores;
# the benchmark resumes where it stopped). Their full-mode bars are not held to a spread until it is: CI's full-mode
# step says so for each. The test below fails when a lesson listed here has been measured, so the list only shrinks.
NOT_YET_MEASURED_IN_FULL: set[str] = {"01", "02", "03", "03b", "04", "05", "07", "08", "09"}

# Lessons whose stored spread is incomplete, with the reason (the design test skips them, naming them).
INCOMPLETE: dict[str, str] = {}


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)          # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def spread():
    return load("quality_spread")


@pytest.fixture(scope="module")
def stored():
    return json.loads(RESULTS.read_text())


def lessons_with_checks(spread) -> list[str]:
    return [lesson for lesson in spread.nbbench.all_lessons() if spread.check_lines(spread.nbbench.notebook_path(lesson))]


def test_the_design_covers_seeds_threads_and_instruction_sets(spread):
    runs = spread.RUNS
    assert len(runs) >= 6 and len({run.seed for run in runs}) >= 5
    assert {run.threads for run in runs} == {1, 2}
    assert {run.isa for run in runs} >= {"native", "sse41"} and set(spread.ISAS) >= {run.isa for run in runs}
    pairs = {(run.threads, run.isa) for run in runs}
    assert pairs == {(t, i) for t in (1, 2) for i in {run.isa for run in runs}}, "every (threads, ISA) pair once"
    assert len({run.id for run in runs}) == len(runs)


ISAS = load("notebooks").ISAS


def test_every_stored_spread_follows_the_design(stored):
    for lesson, entry in stored["lessons"].items():
        if lesson in INCOMPLETE:
            continue
        for mode, runs in entry["modes"].items():
            ok = {rid: run for rid, run in runs.items() if run["status"] == "ok"}
            where = f"lesson {lesson}, {mode} mode"
            assert len(ok) >= 6, f"{where}: {len(ok)} complete runs, the design asks for 6"
            assert len({run["seed"] for run in ok.values()}) >= 5, where
            assert {run["threads"] for run in ok.values()} >= {1, 2}, where
            isas = {run["isa"] for run in ok.values()}
            assert "native" in isas and len(isas) >= 2, f"{where}: instruction sets {isas}"
            names = [set(run["checks"]) for run in ok.values()]
            assert all(n == names[0] for n in names), f"{where}: not every run measured the same checks"
            for run in ok.values():         # each run verified what PyTorch and oneDNN computed with
                isa = ISAS[run["isa"]]
                assert f"ATen {isa.aten}" in run["computes_with"] or not isa.aten, (where, run["computes_with"])
                assert isa.onednn in run["computes_with"], (where, run["computes_with"])


def test_every_lesson_with_checks_is_measured_in_quick_mode(spread, stored):
    summary = stored["summary"]
    missing = [lesson for lesson in lessons_with_checks(spread) if lesson not in summary.get("quick", {})]
    assert not missing, f"no quick-mode spread for lessons {missing}: run benchmarks/quality_spread.py --mode quick"


def test_the_list_of_lessons_not_yet_measured_in_full_mode_is_exact(spread, stored):
    measured = set(stored["summary"].get("full", {}))
    with_checks = set(lessons_with_checks(spread))
    assert with_checks - measured == NOT_YET_MEASURED_IN_FULL, (
        "update NOT_YET_MEASURED_IN_FULL: it lists the lessons with checks but no full-mode spread")


def test_the_summary_is_what_the_runs_say(spread, stored):
    assert stored["summary"] == spread.summarise(stored)


def test_the_ambitious_targets_are_report_rows(spread, stored):
    rows = {row["target"] for row in stored["rows"]}
    for (lesson, mode, name), target in spread.TARGETS.items():
        if name in stored["summary"].get(mode, {}).get(lesson, {}):
            assert f"{lesson} {mode}: {name} >= {target:g} (worst run)" in rows


def test_batches_never_ask_for_more_threads_than_cores(spread):
    todo = [("99", "quick", run) for run in spread.RUNS]
    for batch in spread.batches(todo, 2):
        assert sum(job[2].threads for job in batch) <= 2
    assert sorted(job[2].id for batch in spread.batches(todo, 2) for job in batch) == sorted(r.id for r in spread.RUNS)


def test_the_rotating_foreign_run_covers_every_measured_lesson_and_both_sets():
    notebooks = load("notebooks")
    lessons = notebooks.lessons_with_spread("quick")
    chosen = {notebooks.rotating_foreign_run(n, "quick") for n in range(4 * len(lessons))}
    assert {lesson for lesson, _ in chosen} == set(lessons)
    assert {isa for _, isa in chosen} == {"sse41", "avx"}


def test_checks_not_yet_robust_are_measured_and_really_beyond_their_spread(stored):
    """lessons_lib.quality.NOT_YET_ROBUST exempts a check from its spread only while its measured bar is beyond it:
    once a re-measured recipe is robust enough for its bar, the entry must go (nbval then holds it like every other)."""
    from lessons_lib.quality import NOT_YET_ROBUST, bar_allowed

    for (mode, name), why in NOT_YET_ROBUST.items():
        entries = [checks[name] for checks in stored["summary"].get(mode, {}).values() if name in checks]
        assert len(entries) == 1, f"{name!r} is not measured in {mode} mode"
        entry, allowed = entries[0], bar_allowed(entries[0])
        beyond = entry["bar"] > allowed if entry["kind"] == "at_least" else entry["bar"] < allowed
        assert beyond, f"{name!r}: its bar {entry['bar']} is within the spread ({allowed:.4g}); drop it from NOT_YET_ROBUST"
        assert why.strip(), name


def stored_run(**checks):
    return {"seed": 5, "threads": 1, "isa": "avx", "status": "ok", "error": None, "wall_s": 900.0,
            "measured_at": "earlier", "checks": {name: {"value": value, "bar": 0, "kind": "at_least", "passed": True}
                                                  for name, value in checks.items()}}


def test_a_partial_remeasure_takes_the_new_check_and_drops_the_renamed_one(spread):
    old = stored_run(**{"modes": 7.0, "old gap": -1.0, "later": 0.9})
    fresh = dict(stored_run(**{"modes": 7.0, "new gap": 2.4}), wall_s=50.0, measured_at="now")
    merged = spread.merge_remeasured(old, fresh, ["new gap"], current=["modes", "new gap", "later"])
    assert {name: c["value"] for name, c in merged["checks"].items()} == {"modes": 7.0, "later": 0.9, "new gap": 2.4}
    assert merged["remeasured"] == [{"checks": ["new gap"], "measured_at": "now", "wall_s": 50.0}]
    assert merged["wall_s"] == 900.0 and old["checks"]["old gap"]["value"] == -1.0     # the stored run is not changed


def test_a_partial_remeasure_refuses_a_run_whose_earlier_checks_came_out_differently(spread):
    old = stored_run(modes=7.0)
    with pytest.raises(spread.NotReproduced, match="'modes': the re-run gave 8.0, the stored run 7.0"):
        spread.merge_remeasured(old, stored_run(modes=8.0, gap=1.0), ["gap"], current=["modes", "gap"])
    with pytest.raises(spread.NotReproduced, match="no value"):
        spread.merge_remeasured(old, stored_run(modes=7.0), ["gap"], current=["modes", "gap"])
    with pytest.raises(spread.NotReproduced, match="did not finish"):
        spread.merge_remeasured(old, dict(stored_run(modes=7.0), status="error"), ["gap"], current=["modes", "gap"])


def test_check_names_and_the_cell_a_partial_remeasure_stops_at(spread, tmp_path):
    import nbformat

    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from lessons_lib.quality import at_least, at_most"),
        nbformat.v4.new_code_cell('at_least("first check", x, 1)\n# at_least("a comment", x, 1)'),
        nbformat.v4.new_markdown_cell('at_least("in prose", x, 1)'),
        nbformat.v4.new_code_cell("at_most('second check', y, full_or_quick(2, 3))")])
    path = tmp_path / "99_toy.ipynb"
    nbformat.write(notebook, path)
    assert spread.check_names(path) == ["first check", "second check"]
    assert spread.last_check_cell(path, ["first check"]) == 1
    assert spread.last_check_cell(path, ["first check", "second check"]) == 3
    with pytest.raises(SystemExit, match="calls none"):
        spread.last_check_cell(path, ["in prose"])


def test_the_spread_summary_keeps_every_run_value_for_the_targets(stored):
    for lessons in stored["summary"].values():
        for checks in lessons.values():
            for entry in checks.values():
                assert len(entry["values"]) == entry["runs"]
                assert min(entry["values"]) == entry["worst"] or max(entry["values"]) == entry["worst"]
