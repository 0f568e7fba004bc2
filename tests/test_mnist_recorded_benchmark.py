"""Notebook 07 records the printed table of benchmarks/mnist_time_to_accuracy.py (the runs take many minutes, too
slow for a cell). These tests keep the recording honest: its rows are the script's rows, in the script's order, with
a GPU row for each PyTorch row, and every "s to X %" cell agrees with the accuracy and training time beside it."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "07_mnist_end_to_end.ipynb"


def load_benchmark():
    spec = importlib.util.spec_from_file_location("mnist_time_to_accuracy", ROOT / "benchmarks" / "mnist_time_to_accuracy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def benchmark():
    return load_benchmark()


@pytest.fixture(scope="module")
def table(benchmark):
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    lines = text.splitlines()
    assert benchmark.HEADER in lines, "notebook 07 must record the benchmark's table with the script's header"
    start = lines.index(benchmark.HEADER)
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def test_rows_are_the_scripts_rows_in_order_with_gpu_rows(table, benchmark):
    names = [name for name, _ in benchmark.ROWS]
    cpu_rows = [row for row in table if row[1] != "GPU"]
    gpu_rows = [row for row in table if row[1] == "GPU"]
    assert [row[0] for row in cpu_rows] == names
    assert [row[0] for row in gpu_rows] == [name for name, s in benchmark.ROWS if s["framework"] == "torch"]
    assert all(set(row[2:]) == {"not measured"} for row in gpu_rows), "no GPU on the build machine"


def test_time_to_accuracy_cells_follow_from_the_row(table):
    for row in table:
        if row[2] == "not measured":
            assert set(row[2:]) == {"not measured"}
            continue
        epochs, seconds, accuracy = int(row[2]), float(row[3]), float(row[4])
        assert epochs >= 1 and seconds > 0 and 10 < accuracy <= 100
        for cell, target in zip(row[5:9], (99.0, 99.4, 99.6, 99.7)):
            if cell == "not reached":
                assert accuracy < target, f"{row[0]}: the final accuracy {accuracy} reached {target} %"
            else:
                assert 0 < float(cell) <= seconds + 0.05, f"{row[0]}: reached {target} % after the run ended?"
        reached = [float(c) for c in row[5:9] if c != "not reached"]
        assert reached == sorted(reached), f"{row[0]}: a higher target cannot be reached earlier"


def test_the_targets_are_stated_unweakened():
    text = "\n".join("".join(c["source"]) for c in json.loads(NOTEBOOK.read_text())["cells"] if c["cell_type"] == "markdown")
    for phrase in ("≥ 99.0 % test accuracy in ≤ 30 s", "≥ 99.4 % in ≤ 2 minutes", "≥ 99.6 % in ≤ 5 s", "≥ 99.7 %"):
        assert phrase in text


def test_not_measured_rows_are_well_formed(benchmark):
    row = benchmark.not_measured_row("fast recipe, 1 epoch")
    assert row.count("not measured") == 7 and row.count("|") == benchmark.HEADER.count("|")


def test_numbers_in_the_text_under_the_table_follow_from_it(table):
    """The prose quotes the recorded table: each number there is recomputed from its rows here."""
    text = "\n".join("".join(c["source"]) for c in json.loads(NOTEBOOK.read_text())["cells"] if c["cell_type"] == "markdown")
    rows = {row[0]: row for row in table if row[1] != "GPU"}
    walkthrough, keras = rows["walkthrough recipe, PyTorch"], rows["walkthrough recipe, Keras 3 on PyTorch"]
    one_epoch, five_epochs = rows["fast recipe, 1 epoch"], rows["fast recipe, 5 epochs, peak lr 0.2"]
    words = {"nine": 9, "eight": 8, "ten": 10, "seven": 7}
    assert f"passes 99.0 % in {float(one_epoch[5]):.0f} s" in text
    assert f"pass 99.4 % after {float(five_epochs[6]):.0f} s ({five_epochs[4]} % at the end" in text
    per_epoch = float(walkthrough[3]) / int(walkthrough[2]) / (float(one_epoch[3]) / int(one_epoch[2]))
    said = next(word for word in words if f"about {word} times" in text)
    assert words[said] == round(per_epoch), f"the walkthrough's net is {per_epoch:.1f}x slower per epoch"
    assert f"took {float(keras[3]):.0f} s for its epoch against\nPyTorch's {float(walkthrough[3]):.0f} s" in text
    assert f"({float(keras[3]) / float(walkthrough[3]):.1f} times as long" in text
