"""Every MNIST lesson runs top to bottom on the shipped sample, as a new user offline would get it.

No network, no ``LESSONS_DATA_DIR``, an empty cache: ``load_dataset("mnist")`` can only return the
sample the course ships (10,000 real digits, some classes under 1,000 examples). Each notebook is
executed in quick mode in a fresh kernel and must finish without an error and say, in its output,
that its results come from the sample. (Issue 11: lesson 01 used to fail here.)
"""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def _uses_mnist(path: Path) -> bool:
    cells = nbformat.read(path, as_version=4).cells
    return any('load_dataset("mnist")' in cell.source for cell in cells if cell.cell_type == "code")


MNIST_NOTEBOOKS = sorted(path.name for path in NOTEBOOKS.glob("*.ipynb") if _uses_mnist(path))

# Lessons that do not yet run on the sample: strict xfail, so the test says when one is fixed (then delete its line).
KNOWN_FAILURES: dict[str, str] = {}   # notebook → why it cannot run on the sample yet (none today)
CASES = [pytest.param(name, marks=pytest.mark.xfail(reason=KNOWN_FAILURES[name], strict=True))
         if name in KNOWN_FAILURES else name for name in MNIST_NOTEBOOKS]


def test_the_mnist_lessons_are_found():
    assert {"00_start_here.ipynb", "01_filter_depth.ipynb"} <= set(MNIST_NOTEBOOKS)


@pytest.mark.parametrize("name", CASES)
def test_notebook_runs_on_the_shipped_sample(name, execute_lesson):
    notebook = execute_lesson(name, LESSONS_DATA_DIR="")   # raises CellExecutionError, naming the cell, on the first error
    text = "\n".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                     for output in cell.get("outputs", []) if output.get("output_type") == "stream")
    assert "mnist: from sample" in text, f"{name} did not load the shipped sample"
    assert "shipped sample" in text.lower(), f"{name} does not tell the learner its results are from the sample"
