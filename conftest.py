"""Test-suite defaults, set before anything imports lessons_lib (and inherited by nbval's kernels).

The suite runs in quick mode, offline, with the course's offline datasets from ../shared/data
where that folder exists. Set any of these variables yourself to override (e.g. LESSONS_QUICK=0).
"""
import os
from pathlib import Path

os.environ.setdefault("LESSONS_QUICK", "1")
os.environ.setdefault("LESSONS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
# Every quality bar (lessons_lib.quality.at_least/at_most) is held to its measured spread (benchmarks/quality_spread.py,
# results/quality_spread.json): under nbval a bar beyond the stored worst run less its margin, or a check never measured
# in quick mode, fails the notebook. So a bar cannot be raised by hand past what was measured.
os.environ.setdefault("LESSONS_ENFORCE_SPREAD", "1")
# pytest -n 2 runs two notebooks at once on 2 cores: one PyTorch thread each, not two fighting for a core.
os.environ.setdefault("OMP_NUM_THREADS", "1")
_shared_data = Path(__file__).resolve().parent.parent / "shared" / "data"
if _shared_data.is_dir():
    os.environ.setdefault("LESSONS_DATA_DIR", str(_shared_data))


# --- the order the scopes run in --------------------------------------------------------------------------------------
# `pytest -n 2 --dist loadscope` hands whole scopes (a notebook, a test class, a test module) to the two workers as
# they become free, in the order collected (`--no-loadscope-reorder`, in pyproject.toml: xdist's default order, by
# number of tests, put the one-test scopes, the longest of all, last). The longest go first, so that the last scopes
# handed out are short and the two workers finish together: scheduling longest-first, the classic heuristic.
BROWSER_OVERHEAD = (1.3, 20.0)   # a lesson in JupyterLab takes ~1.3x its nbval time + 20 s (page, kernel, screenshots)
_quick_seconds: dict[str, float] | None = None


def quick_seconds(notebook: str) -> float:
    """A lesson's quick-mode seconds in the committed benchmark (benchmarks/results/notebooks.json); 30 if missing."""
    global _quick_seconds
    if _quick_seconds is None:
        import json

        results = Path(__file__).resolve().parent / "benchmarks" / "results" / "notebooks.json"
        try:
            runs = json.loads(results.read_text())["runs"]
            _quick_seconds = {lesson: run["cpu"]["quick"]["seconds"] for lesson, run in runs.items()}
        except (OSError, KeyError, ValueError):
            _quick_seconds = {}
    return _quick_seconds.get(Path(notebook).name.split("_")[0], 30.0)


def expected_seconds(scope_items) -> float:
    """What a scope will take: ``@pytest.mark.expected_seconds(s)``; else the quick time of the notebook it runs
    (nbval's cells; ``@pytest.mark.runs_notebook(name)``, scaled with ``browser=True``); else 0.05 s per test."""
    first = scope_items[0]
    declared = first.get_closest_marker("expected_seconds")
    if declared:
        return float(declared.args[0])
    if first.path.suffix == ".ipynb":                  # nbval's cells of one notebook
        return quick_seconds(first.path.name)
    runs = first.get_closest_marker("runs_notebook")
    if runs is None:
        return 0.05 * len(scope_items)
    seconds = quick_seconds(runs.args[0])
    if runs.kwargs.get("browser"):
        seconds = BROWSER_OVERHEAD[0] * seconds + BROWSER_OVERHEAD[1]
    return seconds


def scope_of(nodeid: str) -> str:
    """The unit `--dist loadscope` schedules: the nodeid up to its last '::' (a notebook, a module or a class)."""
    return nodeid.rsplit("::", 1)[0]


def pytest_collection_modifyitems(config, items):
    scopes: dict[str, list] = {}
    for item in items:
        scopes.setdefault(scope_of(item.nodeid), []).append(item)
    ordered = sorted(scopes.values(), key=expected_seconds, reverse=True)   # stable: ties keep the collected order
    items[:] = [item for scope in ordered for item in scope]
