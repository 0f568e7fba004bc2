"""Every lesson opens in JupyterLab and runs all cells with no error output anywhere, so a learner in
the browser never meets a failure that nbval cannot see (a widget that raises only when rendered, a
display that breaks in JupyterLab). The server has an empty cache and a data folder without MNIST and
text8, as an offline learner might: the lessons that load them run on the samples and must say so (nbval runs
them on ../shared/data, so the two runs cover both sources without a third). The one thing in that cache is the
decoded copy of CIFAR-10's JPEGs (lesson 04), which nbval's run decodes and tests (tests/conftest.py,
``share_decoded_datasets``).

One test, run for each notebook in notebooks/ (found when the tests are collected, so new lessons are
picked up). Each notebook gets its own class: ``pytest -n 2 --dist loadscope`` keeps a module's plain
tests on one worker but hands classes out separately, so the notebooks spread over both workers, and
each worker still runs one notebook at a time. Select one with ``-k 03_log_mel``.
"""
from __future__ import annotations

import re

import pytest
from lab_driver import notebook_paths

# Notebooks whose own browser test already opens them, runs all cells and checks every output, then uses
# their widgets: running them here as well would only cost CI another minute each.
CHECKED_ELSEWHERE = {"01_": "test_lesson01_conv_explorer.py", "08_": "test_lesson08_drawing_pad.py",
                     "09_": "test_lesson09_board.py"}


class NotebookInJupyterLab:
    notebook = ""

    def test_runs_all_cells_without_an_error_output(self, open_notebook, steps):
        for prefix, test_file in CHECKED_ELSEWHERE.items():
            if self.notebook.startswith(prefix):
                pytest.skip(f"{self.notebook} is opened, run and checked for error outputs by {test_file}")
        with steps(f"open {self.notebook} in JupyterLab"):
            opened = open_notebook(self.notebook)
        with steps("run all cells"):
            seconds = opened.run_all()
        with steps("no error output anywhere, every widget rendered; the shipped samples were used"):
            opened.assert_no_errors()
            opened.assert_used_the_shipped_sample()
        print(f"{self.notebook}: all cells ran in JupyterLab in {seconds:.0f} s")


for _path in notebook_paths():
    _name = "TestNotebook_" + re.sub(r"\W", "_", _path.stem)
    _elsewhere = any(_path.name.startswith(prefix) for prefix in CHECKED_ELSEWHERE)
    _marks = [] if _elsewhere else [pytest.mark.runs_notebook(_path.name, browser=True)]  # ../../conftest.py: order
    globals()[_name] = type(_name, (NotebookInJupyterLab,), {"notebook": _path.name, "pytestmark": _marks})
