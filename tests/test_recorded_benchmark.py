"""Notebook 03b shows the leave-one-speaker-out benchmark's printed tables as recorded output (60 trainings are too
slow for a cell), held in a code cell that parses them and asserts the claims of the prose. These tests keep that recording honest: the rows are the script's rows, in its order, and every
mean, worst speaker and gain in the table follows from the per-speaker numbers beside it."""
from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pytest

from lessons_lib.audio import FSDD_SPEAKERS      # the benchmark's folds, in the tables' column order

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "03b_unseen_speakers.ipynb"


def load_benchmark():
    spec = importlib.util.spec_from_file_location("fsdd_speaker_holdout", ROOT / "benchmarks" / "fsdd_speaker_holdout.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def recorded_tables() -> list[list[list[str]]]:
    """Every table in notebook 03b (markdown or a code cell's string) whose header starts with '| recipe |', as rows of cells."""
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    text = "\n".join("".join(c["source"]) for c in cells)
    tables, current = [], None
    for line in text.splitlines():
        if line.startswith("| recipe |"):
            current = []
            tables.append(current)
        elif current is not None and line.startswith("|"):
            if not line.startswith("|---"):
                current.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        else:
            current = None
    return tables


@pytest.fixture(scope="module")
def tables():
    found = recorded_tables()
    assert len(found) == 2, "notebook 03b should record the main table and the side table"
    return found


def test_recorded_rows_are_the_benchmark_rows_in_order(tables):
    benchmark = load_benchmark()
    names = [name for name, _ in benchmark.ROWS]
    main, side = tables
    assert [row[0] for row in main] == names[:benchmark.MAIN_ROWS]
    assert [row[0] for row in side] == names[benchmark.MAIN_ROWS:]


def test_means_worst_and_gains_follow_from_the_speakers(tables):
    main, side = tables
    best_mean = None
    for table, cumulative in ((main, True), (side, False)):
        previous = None if cumulative else best_mean
        for row in table:
            accuracies = np.array([float(cell) for cell in row[1:7]])
            mean, worst, gain = float(row[7]), row[8], row[9]
            assert abs(accuracies.mean() - mean) <= 0.051, f"{row[0]}: mean of {accuracies} is not {mean}"
            worst_value, worst_name = re.fullmatch(r"([\d.]+) \((\w+)\)", worst).groups()
            assert float(worst_value) == accuracies.min(), f"{row[0]}: worst is {accuracies.min()}"
            assert worst_name == FSDD_SPEAKERS[int(np.argmin(accuracies))], f"{row[0]}: the worst speaker is not {worst_name}"
            if previous is None:
                assert gain == ""
            else:
                assert abs(float(gain) - (mean - previous)) <= 0.11, f"{row[0]}: gain {gain} vs {mean} - {previous}"
            if cumulative:
                previous = mean
        if cumulative:
            best_mean = previous


def test_the_report_and_the_notebook_show_the_same_run(tables):
    """benchmarks/report.py's rows for unseen speakers (benchmarks/results/fsdd_speaker_holdout.json, written by a
    complete run of the script) are the best row of the table notebook 03b records: one run, not two."""
    results = json.loads((ROOT / "benchmarks" / "results" / "fsdd_speaker_holdout.json").read_text())["rows"]
    mean_row, worst_row = results[0], results[1]
    best = tables[0][-1]
    benchmark = load_benchmark()
    assert benchmark.ROWS[benchmark.MAIN_ROWS - 1][0] == best[0] and f"'{best[0]}'" in mean_row["target"]
    assert mean_row["measured"] == float(best[7]), "notebook 03b records another run than the report: update one"
    worst_value, worst_name = re.fullmatch(r"([\d.]+) \((\w+)\)", best[8]).groups()
    assert (worst_row["measured"], worst_row["unit"]) == (float(worst_value), f"% accuracy ({worst_name})")
