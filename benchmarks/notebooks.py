"""Benchmark: does every lesson fit a Binder session? Runs each notebook top to bottom in a fresh kernel, in quick
and/or full mode, and records its wall time, the peak resident memory of the kernel process (with its children,
e.g. DataLoader workers; sampled every 50 ms with psutil, not estimated) and its three slowest cells.

Budgets (mybinder.org gives 1 CPU and 2 GB, and kills the kernel above it; GB here = 10^9 bytes):

  quick mode   <= 60 s    and <= 1.5 GB peak RSS per notebook, on 2 CPU cores
  full mode    <= 10 min  and <= 1.8 GB peak RSS per notebook, on 2 CPU cores

The command exits non-zero when a notebook fails or breaks an enforced budget, naming the lesson, the budget and
its slowest cells. It also flags a notebook whose stated time (the ``<!-- timing -->`` line at its top, written by
``benchmarks/write_times.py``) is more than 2x off what it measured.

Run (from the repository root; full mode of lessons 00-05 takes about half an hour on 2 idle cores):
    LESSONS_OFFLINE=1 LESSONS_DATA_DIR=../shared/data python benchmarks/notebooks.py --mode both
    python benchmarks/notebooks.py --lessons 03 05 --mode full
Options: --mode quick|full|both, --lessons NN ... (a subset), --enforce time,memory (which budgets fail the run;
CI enforces memory only: its machines are noisy), --hard-timeout-factor 3 (a notebook taking longer than that many
times its time budget, judged as below, is stopped and fails), --output PATH (default benchmarks/results/notebooks.json; results of
lessons and modes that were not run are kept; the Markdown table goes next to it, .md), --no-save, --save-executed DIR
(the executed notebooks, outputs and widget state included, as DIR/NAME.MODE.ipynb, written atomically: what
``scripts/build_site.py`` builds the website from; .ci/run keeps its full-mode copies in build/executed), --jobs 2 (two notebooks at once, one PyTorch thread each: CI's
throughput; wall times then include the other notebook, so measure with the default 1), --enforce-spread (each
lesson's quality bars held to their measured spread, benchmarks/quality_spread.py, where one is stored),
--foreign-isa LESSON:ISA|auto (one more run under another CPU's instruction set, e.g. 06:sse41; CI: auto, rotating by the
commit count) and --foreign-mode quick|full (its mode; CI: quick). Wall times on a busy machine are pessimistic: each run also
records the kernel's CPU time and the machine's load average.

Results follow the common contract of ``benchmarks/results/`` (see ``benchmarks/report.py``): besides the per-run
details, the JSON holds ``rows`` of {target, measured, unit, met, device, limit, better, lesson}.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import functools
import datetime as _dt
import json
import os
import re
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
RESULTS = ROOT / "benchmarks" / "results" / "notebooks.json"
GB = 1e9
STARTUP_S = 5.0   # seconds an idle machine spends off the CPU per notebook (kernel start, disk), roughly


@dataclass(frozen=True)
class Budget:
    """The time and memory one notebook may take in one mode."""
    mode: str
    seconds: float
    rss_bytes: float

    def describe(self, kind: str) -> str:
        if kind == "time":
            return f"{self.mode} mode <= {format_seconds_limit(self.seconds)}"
        return f"{self.mode} mode <= {self.rss_bytes / GB:.1f} GB peak RSS"


BUDGETS = {"quick": Budget("quick", 60.0, 1.5 * GB), "full": Budget("full", 600.0, 1.8 * GB)}


def format_seconds_limit(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


# ----------------------------------------------------------------------------------------------- budget logic
def seconds_of(run: dict) -> float:
    """The time a run is judged by: its ``seconds`` (see ``measured_seconds``), else its wall time."""
    return run.get("seconds", run["wall_s"])


def measured_seconds(wall: float, cpu: float, device: str) -> float:
    """What a notebook takes on an idle machine, at most: on CPU the smaller of its wall time and its CPU time plus
    ``STARTUP_S`` (starting the kernel, reading files: time the CPU time does not see).

    On a busy shared machine the wall time mostly measures the other jobs; the kernel's CPU time (its children
    included) does not, and bounds the wall time it would take alone (it keeps at least one core busy). On a GPU
    the CPU waits for the GPU, so the wall time counts.
    """
    if device.startswith("GPU") or cpu <= 0:
        return wall
    return min(wall, cpu + STARTUP_S)


def budget_violations(run: dict, enforce: tuple[str, ...] = ("time", "memory")) -> list[str]:
    """What a finished run broke, as sentences naming the lesson, the budget and the slowest cells.

    ``run`` is one entry of the results (``lesson``, ``mode``, ``status``, ``wall_s``, ``peak_rss_bytes``,
    ``slowest_cells``); only the budgets named in ``enforce`` count, but a failed run always does.
    """
    unknown = set(enforce) - {"time", "memory"}
    if unknown:
        raise ValueError(f"enforce takes 'time' and/or 'memory', got {sorted(unknown)}")
    budget = BUDGETS[run["mode"]]
    where = f"lesson {run['lesson']} ({run['mode']} mode)"
    slowest = "; slowest cells: " + ", ".join(
        f"cell {c['index']} {c['seconds']:.1f} s ({c['first_line']!r})" for c in run.get("slowest_cells", [])
    ) if run.get("slowest_cells") else ""
    problems = []
    if run["status"] != "ok":
        problems.append(f"{where} did not finish: {run.get('error', run['status'])}{slowest}")
    if "time" in enforce and seconds_of(run) > budget.seconds:
        problems.append(f"{where} took {seconds_of(run):.0f} s, over the budget {budget.describe('time')}{slowest}")
    if "memory" in enforce and run["peak_rss_bytes"] > budget.rss_bytes:
        cell = run.get("peak_rss_cell")
        at = f" (reached in cell {cell})" if cell is not None else ""
        problems.append(f"{where} peaked at {run['peak_rss_bytes'] / GB:.2f} GB RSS{at}, over the budget "
                        f"{budget.describe('memory')}{slowest}")
    return problems


# ------------------------------------------------------------------------------------------------ stated times
TIMING_RE = re.compile(r"<!-- timing -->(.*?)<!-- /timing -->", re.S)
_STATED_RE = re.compile(r"(quick|full) mode[^≈~]*[≈~]\s*(?:<\s*)?([\d.]+)\s*(s|min)\b")


def stated_times(first_markdown: str) -> dict[str, float]:
    """The times a notebook's ``<!-- timing -->`` line states, {"quick": seconds, "full": seconds} (CPU)."""
    match = TIMING_RE.search(first_markdown)
    if not match:
        return {}
    cpu_part = match.group(1).split("GPU")[0]
    return {mode: float(value) * (60 if unit == "min" else 1) for mode, value, unit in _STATED_RE.findall(cpu_part)}


def stated_time_off(stated: float | None, measured: float, factor: float = 2.0) -> bool:
    """True when a stated time is more than ``factor`` times off the measured one, either way."""
    if stated is None or stated <= 0 or measured <= 0:
        return False
    return max(stated / measured, measured / stated) > factor


# ----------------------------------------------------------------------------------------------- RSS sampling
def cell_that_reached_the_peak(peak_by_cell: dict[int, int], tolerance: float = 0.02) -> int | None:
    """The first cell (in the order they ran) whose peak is within ``tolerance`` of the notebook's peak.

    Memory a cell builds up is still resident while the next cell starts (until that cell frees it), and on a busy
    machine the sampler can catch it there; the cell that *reached* the peak is the one to name.
    """
    if not peak_by_cell:
        return None
    top = max(peak_by_cell.values())
    return next(cell for cell, peak in peak_by_cell.items() if peak >= (1 - tolerance) * top)


class PeakRSS:
    """Samples the resident memory of a process and all its children every ``interval`` seconds in a thread.

    ``peak`` is the largest sum seen; ``peak_by_cell`` the largest per cell index (set ``cell`` as cells start).
    ``time_limit`` (seconds, judged as ``measured_seconds``: on a busy machine the CPU time, not the wall time)
    kills the process tree when passed, and sets ``timed_out``; a wall time of 10x the limit always does.
    """

    def __init__(self, pid: int, interval: float = 0.05, time_limit: float | None = None, device: str = "CPU"):
        import psutil

        self._process = psutil.Process(pid)
        self.interval = interval
        self.time_limit, self.device = time_limit, device
        self.started = time.monotonic()
        self.peak = 0
        self.cpu_seconds = 0.0      # CPU time of the kernel and its children (less noisy than wall time)
        self.cell: int | None = None
        self.peak_by_cell: dict[int, int] = {}
        self.timed_out = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> int:
        import psutil

        self._ticks = getattr(self, "_ticks", -1) + 1
        if self._ticks % 20 == 0:   # finding the children scans every process: once a second is enough
            try:
                self._children = self._process.children(recursive=True)
            except psutil.Error:
                return 0
        processes = [self._process] + getattr(self, "_children", [])
        total, cpu = 0, 0.0
        for process in processes:
            try:
                total += process.memory_info().rss
                times = process.cpu_times()
                cpu += times.user + times.system + times.children_user + times.children_system
            except psutil.Error:
                pass
        self.cpu_seconds = max(self.cpu_seconds, cpu)
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = self.sample()
            self.peak = max(self.peak, rss)
            if self.cell is not None:
                self.peak_by_cell[self.cell] = max(self.peak_by_cell.get(self.cell, 0), rss)
            wall = time.monotonic() - self.started
            if (self.time_limit is not None and not self.timed_out and
                    (measured_seconds(wall, self.cpu_seconds, self.device) > self.time_limit or wall > 10 * self.time_limit)):
                self.timed_out = True
                self._kill()
            self._stop.wait(self.interval)

    def _kill(self) -> None:
        import psutil

        try:
            for process in self._process.children(recursive=True) + [self._process]:
                process.kill()
        except psutil.Error:
            pass

    def __enter__(self) -> "PeakRSS":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


# ------------------------------------------------------------------------------------------------ one notebook
def lesson_id(path: Path) -> str:
    """'03' for notebooks/03_log_mel_convolutions.ipynb, '03b' for 03b_unseen_speakers.ipynb."""
    return path.name.split("_", 1)[0]


def lesson_notebooks() -> list[Path]:
    """Every lesson notebook, NN_*.ipynb or NNx_*.ipynb, in order."""
    return sorted(p for p in NOTEBOOKS.glob("*_*.ipynb") if re.fullmatch(r"\d\d[a-z]?|A\d", lesson_id(p)))


def normalise_lesson(text: str) -> str:
    """'3' -> '03', '03b' stays."""
    return f"{int(text):02d}" if text.isdigit() else text


def notebook_path(lesson: str) -> Path:
    """The notebook of a lesson id ('03', '03b')."""
    matches = [p for p in lesson_notebooks() if lesson_id(p) == lesson]
    if len(matches) != 1:
        found = ", ".join(lesson_id(p) for p in lesson_notebooks())
        raise SystemExit(f"no single notebook for lesson {lesson!r} in {NOTEBOOKS}; the lessons are: {found}")
    return matches[0]


def all_lessons() -> list[str]:
    return [lesson_id(p) for p in lesson_notebooks()]


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line.strip()[:60]
    return source.strip().splitlines()[0][:60] if source.strip() else ""


def _cell_seconds(cell) -> float | None:
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return None
    parse = lambda s: _dt.datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def run_notebook(path: Path, mode: str, *, hard_timeout: float | None = None, env: dict | None = None,
                 interval: float = 0.05, save_executed: Path | None = None, stop_after: int | None = None) -> dict:
    """Execute ``path`` in a fresh kernel in ``mode`` ("quick" or "full"); return its measurements.

    ``stop_after``: the index of the last cell to run (default: every cell).

    The kernel gets this process's environment with ``LESSONS_QUICK`` set for the mode (plus ``env``); its working
    directory is the notebook's folder, as in JupyterLab.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    if mode not in BUDGETS:
        raise ValueError(f"mode must be 'quick' or 'full', got {mode!r}")
    nb = nbformat.read(path, as_version=4)
    # figures are drawn off screen; the notebooks saved to look at get them inline, as JupyterLab shows them
    backend = "module://matplotlib_inline.backend_inline" if save_executed else "Agg"
    kernel_env = dict(os.environ, LESSONS_QUICK="1" if mode == "quick" else "0", MPLBACKEND=backend,
                      PYDEVD_DISABLE_FILE_VALIDATION="1", **(env or {}))
    if kernel_env.get("LESSONS_DATA_DIR"):   # relative to where the benchmark runs, not the notebook's folder
        kernel_env["LESSONS_DATA_DIR"] = str(Path(kernel_env["LESSONS_DATA_DIR"]).expanduser().resolve())
    hard_timeout = hard_timeout or 3 * BUDGETS[mode].seconds
    device = describe_device()
    client = NotebookClient(nb, timeout=int(10 * hard_timeout) + 60, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(path.parent)}}, record_timing=True)
    status, error, sampler = "ok", None, None
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    try:
        with client.setup_kernel(env=kernel_env, cwd=str(path.parent)):
            pid = client.km.provisioner.pid
            with PeakRSS(pid, interval=interval, time_limit=hard_timeout, device=device) as sampler:
                client.on_cell_start = lambda cell, cell_index: setattr(sampler, "cell", cell_index)
                try:
                    for index, cell in enumerate(nb.cells[:None if stop_after is None else stop_after + 1]):
                        client.execute_cell(cell, index)
                except CellExecutionError as exc:
                    status = "error"
                    error = f"cell {sampler.cell}: " + (str(exc).strip().splitlines() or ["error"])[-1][:300]
                except (DeadKernelError, CellTimeoutError) as exc:
                    status = "timeout" if sampler.timed_out else "kernel died"
                    error = (f"stopped after the hard timeout of {hard_timeout:.0f} s in cell {sampler.cell}"
                             if sampler.timed_out else f"the kernel died in cell {sampler.cell} ({type(exc).__name__}; "
                                                       "out of memory?)")
    except Exception as exc:  # kernel start-up, etc.
        if status == "ok":
            status, error = "error", f"{type(exc).__name__}: {exc}"
    wall = time.perf_counter() - started
    if save_executed:   # the executed notebook, outputs and widget state included (the website is built from it)
        client.set_widgets_metadata()
        write_atomically(nb, save_executed / executed_name(path, mode))
    cells = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            seconds = _cell_seconds(cell)
            if seconds is not None:
                cells.append({"index": index, "seconds": round(seconds, 2), "first_line": _first_line(cell.source)})
    slowest = sorted(cells, key=lambda c: -c["seconds"])[:3]
    peak_by_cell = sampler.peak_by_cell if sampler else {}
    peak_cell = cell_that_reached_the_peak(peak_by_cell)
    cpu = sampler.cpu_seconds if sampler else 0.0
    stated = stated_times(nb.cells[0].source if nb.cells and nb.cells[0].cell_type == "markdown" else "").get(mode)
    return {
        "lesson": lesson_id(path), "notebook": path.name, "mode": mode, "status": status, "error": error,
        "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "seconds": round(measured_seconds(wall, cpu, device), 1),
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)], "peak_rss_bytes": int(sampler.peak if sampler else 0),
        "peak_rss_cell": peak_cell, "slowest_cells": slowest,
        "rss_by_cell_mb": {str(k): round(v / 1e6) for k, v in sorted(peak_by_cell.items())},
        "stated_s": stated, "stated_off": stated_time_off(stated, measured_seconds(wall, cpu, device)),
        "device": device, "measured_at": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


# --------------------------------------------------------------------------------------- other CPUs' instruction sets
@dataclass(frozen=True)
class Isa:
    """An instruction set to compute with, as another CPU would: the environment that makes PyTorch (ATen) and
    oneDNN use it, and what each must then report (empty: the machine's own)."""
    name: str
    env: dict
    aten: str
    onednn: str


ISAS = {
    "native": Isa("native", {}, "", ""),
    "sse41": Isa("sse41", {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "SSE41"}, "DEFAULT", "SSE4.1"),
    "avx": Isa("avx", {"ONEDNN_MAX_CPU_ISA": "AVX"}, "", "AVX"),
}


def verify_isa(isa: Isa, threads: int = 1) -> str:
    """Run PyTorch and a oneDNN convolution under ``isa``'s environment; return what they report, or raise."""
    import subprocess

    code = ("import torch; c = torch.nn.Conv2d(8, 16, 3); c(torch.randn(4, 8, 28, 28)); "
            "print('ATEN', torch.backends.cpu.get_cpu_capability(), torch.get_num_threads())")
    env = dict(os.environ, **isa.env, ONEDNN_VERBOSE="1", OMP_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    aten = next(line.split()[1] for line in out.splitlines() if line.startswith("ATEN "))
    onednn = next((line.split("isa:", 1)[1].strip() for line in out.splitlines() if "isa:" in line), "?")
    if isa.aten and aten != isa.aten:
        raise RuntimeError(f"{isa.name}: PyTorch reports {aten}, expected {isa.aten}")
    if isa.onednn and isa.onednn not in onednn:
        raise RuntimeError(f"{isa.name}: oneDNN reports {onednn!r}, expected {isa.onednn}")
    return f"ATen {aten}, oneDNN {onednn}"


def lessons_with_spread(mode: str) -> list[str]:
    """The lessons whose quality checks have a measured spread in ``mode`` (benchmarks/results/quality_spread.json)."""
    try:
        summary = json.loads((ROOT / "benchmarks" / "results" / "quality_spread.json").read_text())["summary"]
    except (OSError, ValueError, KeyError):
        return []
    return sorted(summary.get(mode, {}))


def rotating_foreign_run(commits: int, mode: str = "full") -> tuple[str, str]:
    """(lesson, instruction set) for CI's extra run under another CPU's instruction set, chosen by the commit count,
    among the lessons with a measured spread in ``mode``: each new commit exercises another lesson, and both sets."""
    lessons = lessons_with_spread(mode)
    if not lessons:
        raise SystemExit(f"no lesson has a measured spread in {mode} mode (benchmarks/quality_spread.py)")
    foreign = [name for name in ISAS if name != "native"]
    return lessons[commits % len(lessons)], foreign[(commits // len(lessons)) % len(foreign)]


def executed_name(path: Path, mode: str) -> str:
    """'01_filter_depth.full.ipynb': the name of a notebook's executed copy in a ``--save-executed`` folder."""
    return f"{path.stem}.{mode}.ipynb"


def write_atomically(nb, target: Path) -> None:
    """Write notebook ``nb`` to ``target`` through a temporary file and a rename: a reader (the website's build)
    never sees half a notebook, and an interrupted run leaves the previous copy."""
    import nbformat

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    nbformat.write(nb, partial)
    os.replace(partial, target)


# -------------------------------------------------------------------------------------------------- the device
def describe_device() -> str:
    """'CPU (N cores)', or the GPU's name when PyTorch sees one (and LESSONS_DEVICE does not force the CPU)."""
    forced = os.environ.get("LESSONS_DEVICE", "")
    try:
        import torch

        if torch.cuda.is_available() and not forced.startswith("cpu"):
            return f"GPU ({torch.cuda.get_device_name(0)})"
    except Exception:
        pass
    return f"CPU ({os.cpu_count()} cores)"


def device_kind(device: str) -> str:
    return "gpu" if device.startswith("GPU") else "cpu"


# ----------------------------------------------------------------------------------------------------- results
def load_results(path: Path) -> dict:
    if not path.exists():
        return {"benchmark": "notebooks", "runs": {}, "rows": []}
    results = json.loads(path.read_text())
    for kinds in results.get("runs", {}).values():      # runs recorded before "seconds" existed
        for modes in kinds.values():
            for run in modes.values():
                if "seconds" not in run and run.get("cpu_s"):
                    run["seconds"] = round(measured_seconds(run["wall_s"], run["cpu_s"], run["device"]), 1)
    return results


def merge_run(results: dict, run: dict) -> dict:
    """Put ``run`` into ``results['runs'][lesson][cpu|gpu][mode]`` (replacing an older one), and redo the rows."""
    results.setdefault("runs", {}).setdefault(run["lesson"], {}).setdefault(device_kind(run["device"]), {})[run["mode"]] = run
    results["benchmark"] = "notebooks"
    results["generated"] = run["measured_at"]
    results["rows"] = contract_rows(results)
    return results


def recorded_runs(results: dict):
    """(lesson, mode, run) for every recorded run, by lesson, device kind, then quick before full."""
    for lesson in sorted(results.get("runs", {})):
        for kind in sorted(results["runs"][lesson]):
            for mode in ("quick", "full"):
                if results["runs"][lesson][kind].get(mode):
                    yield lesson, mode, results["runs"][lesson][kind][mode]


def contract_rows(results: dict) -> list[dict]:
    """The common-contract rows: one time row and one memory row per lesson, mode and device kind."""
    rows = []
    for lesson, mode, run in recorded_runs(results):
        budget = BUDGETS[mode]
        ok = run["status"] == "ok"
        rows.append({"lesson": lesson, "target": f"notebook {lesson}, {budget.describe('time')}",
                     "measured": seconds_of(run), "unit": "s", "limit": budget.seconds, "better": "lower",
                     "met": ok and seconds_of(run) <= budget.seconds, "device": run["device"]})
        rows.append({"lesson": lesson, "target": f"notebook {lesson}, {budget.describe('memory')}",
                     "measured": round(run["peak_rss_bytes"] / GB, 2), "unit": "GB",
                     "limit": budget.rss_bytes / GB, "better": "lower",
                     "met": ok and run["peak_rss_bytes"] <= budget.rss_bytes, "device": run["device"]})
    return rows


def markdown_table(results: dict) -> str:
    """Every recorded run as one Markdown table (what the .md file next to the JSON holds)."""
    lines = ["| lesson | mode | device | status | time | budget | wall / CPU time (load) | peak RSS | budget | slowest cells "
             "| measured |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for lesson, mode, run in recorded_runs(results):
        budget = BUDGETS[mode]
        time_ok = "ok" if seconds_of(run) <= budget.seconds else "**over**"
        load = run.get("load_average", ["?", "?"])
        wall_cpu = f"{run['wall_s']:.0f} / {run.get('cpu_s', 0):.0f} s ({load[0]}–{load[1]})"
        rss_ok = "ok" if run["peak_rss_bytes"] <= budget.rss_bytes else "**over**"
        slow = "; ".join(f"#{c['index']} {c['seconds']:.0f} s" for c in run["slowest_cells"])
        lines.append(f"| {lesson} | {mode} | {run['device']} | {run['status']} | {seconds_of(run):.0f} s | "
                     f"{time_ok} (≤ {format_seconds_limit(budget.seconds)}) | {wall_cpu} | "
                     f"{run['peak_rss_bytes'] / GB:.2f} GB | {rss_ok} (≤ {budget.rss_bytes / GB:.1f} GB) | "
                     f"{slow} | {run['measured_at']} |")
    return "\n".join(lines) + "\n"


def save(results: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    path.with_suffix(".md").write_text(
        "# Notebook budgets\n\nWritten by `benchmarks/notebooks.py` (GB = 10^9 bytes; peak RSS of the kernel and its "
        "children, sampled every 50 ms; slowest cells by index). *time* is the smaller of the wall time and the kernel's "
        "CPU time + 5 s (on a GPU: the wall time): on a busy machine (load average in brackets, 2 cores) the wall time "
        "mostly measures the other jobs.\n\n" + markdown_table(results))


# -------------------------------------------------------------------------------------------------------- main
def _run_lesson(job: tuple[str, str, str], hard_timeout_factor: float, save_executed: Path | None,
                env: dict | None, enforce_spread: bool = False) -> dict:
    lesson, mode, isa = job
    env = dict(env or {}, **ISAS[isa].env)
    computes_with = verify_isa(ISAS[isa], int(env.get("OMP_NUM_THREADS", 1))) if isa != "native" else ""
    if enforce_spread and lesson in lessons_with_spread(mode):
        env["LESSONS_ENFORCE_SPREAD"] = "1"
    run = run_notebook(notebook_path(lesson), mode, hard_timeout=hard_timeout_factor * BUDGETS[mode].seconds,
                       save_executed=save_executed if isa == "native" else None, env=env)
    run.update(isa=isa, computes_with=computes_with, spread_enforced=env.get("LESSONS_ENFORCE_SPREAD") == "1")
    return run


def _report(run: dict, enforce: tuple[str, ...], args) -> list[str]:
    """Print one run's line (and its notes), save it unless --no-save; return the enforced budgets it broke."""
    lesson, mode = run["lesson"], run["mode"]
    slow = ", ".join(f"#{c['index']} {c['seconds']:.0f} s" for c in run["slowest_cells"])
    isa = run.get("isa", "native")
    if isa != "native":
        print(f"{lesson} {mode} under another CPU's instruction set ({isa}: {run['computes_with']}):", flush=True)
    if run.get("spread_enforced") is False:
        print(f"   {lesson} {mode}: no measured spread yet, so its bars were not held to one", flush=True)
    print(f"{lesson} {mode:5s} {run['status']:6s} {run['wall_s']:7.1f} s (CPU {run['cpu_s']:.0f} s, load "
          f"{run['load_average'][0]:.0f}->{run['load_average'][1]:.0f})  peak RSS "
          f"{run['peak_rss_bytes'] / GB:.2f} GB (cell {run['peak_rss_cell']})  slowest: {slow}", flush=True)
    if run["error"]:
        print(f"   {run['error']}", flush=True)
    if run["stated_off"]:
        advice = ("re-run benchmarks/write_times.py" if args.jobs == 1 else
                  f"measured {args.jobs} notebooks at a time, one thread each: time it with --jobs 1 first")
        print(f"   note: the notebook states {run['stated_s']:.0f} s for {mode} mode, more than 2x off the "
              f"measured {seconds_of(run):.0f} s ({advice})", flush=True)
    for kind in ("time", "memory"):
        if kind not in enforce:
            for p in budget_violations(run, (kind,)):
                if run["status"] == "ok":
                    print(f"   reported, not enforced: {p}", flush=True)
    if not args.no_save and isa == "native":   # re-read first: another run may have saved other lessons meanwhile
        save(merge_run(load_results(args.output), run), args.output)
    return budget_violations(run, enforce)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", nargs="*", default=None, help="lesson ids: 03 03b 05 (default: all)")
    parser.add_argument("--mode", choices=["quick", "full", "both"], default="both")
    parser.add_argument("--enforce", default="time,memory", help="budgets that fail the run: time,memory | memory | none")
    parser.add_argument("--hard-timeout-factor", type=float, default=3.0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument("--save-executed", type=Path, default=None, help="a folder for the executed notebooks")
    parser.add_argument("--jobs", type=int, default=1,
                        help="notebooks run at once (CI: 2, one PyTorch thread each); measure times with 1")
    parser.add_argument("--enforce-spread", action="store_true",
                        help="hold every quality bar to its measured spread (LESSONS_ENFORCE_SPREAD) where one is stored")
    parser.add_argument("--foreign-isa", metavar="LESSON:ISA|auto", default=None,
                        help="one more run of LESSON under another CPU's instruction set (ISA: " +
                             ", ".join(n for n in ISAS if n != "native") + "); auto: rotate by the commit count")
    parser.add_argument("--foreign-mode", choices=["quick", "full"], default=None,
                        help="the mode of the --foreign-isa run (default: the last of --mode); CI: quick, whose spread "
                             "every lesson has and which fits CI's time")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    enforce = tuple(e for e in args.enforce.split(",") if e and e != "none")
    lessons = [normalise_lesson(x) for x in args.lessons] if args.lessons else all_lessons()
    modes = ["quick", "full"] if args.mode == "both" else [args.mode]
    device = describe_device()
    print(f"device: {device}; lessons {' '.join(lessons)}; mode {args.mode}; enforcing {','.join(enforce) or 'nothing'}",
          flush=True)
    problems, total = [], time.perf_counter()
    jobs = [(lesson, mode, "native") for mode in modes for lesson in lessons]
    if args.foreign_isa:
        jobs = foreign_job(args.foreign_isa, args.foreign_mode or modes[-1]) + jobs   # first: emulated, it runs longest
    env = {"OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // args.jobs))} if args.jobs > 1 else None
    run_one = functools.partial(_run_lesson, hard_timeout_factor=args.hard_timeout_factor,
                                save_executed=args.save_executed, env=env, enforce_spread=args.enforce_spread)
    if args.jobs > 1:    # several kernels at once, one thread each: CI's throughput; times then say little
        print(f"running {args.jobs} notebooks at a time, PyTorch threads per kernel: {env['OMP_NUM_THREADS']}", flush=True)
        with concurrent.futures.ProcessPoolExecutor(max_workers=args.jobs) as pool:
            runs = pool.map(run_one, jobs)
            for run in runs:
                problems += _report(run, enforce, args)
    else:
        for job in jobs:
            problems += _report(run_one(job), enforce, args)
    print(f"total: {time.perf_counter() - total:.0f} s for {len(jobs)} notebook runs", flush=True)
    if problems:
        print("\nBUDGET BROKEN:\n" + "\n".join(f"- {p}" for p in problems), file=sys.stderr, flush=True)
        return 1
    return 0


def foreign_job(spec: str, mode: str) -> list[tuple[str, str, str]]:
    """``--foreign-isa``: 'LESSON:ISA', or 'auto' (the rotating choice, from git's commit count)."""
    import subprocess

    if spec == "auto":
        commits = int(subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=ROOT, capture_output=True,
                                     text=True, check=True).stdout)
        lesson, isa = rotating_foreign_run(commits, mode)
    else:
        lesson, _, isa = spec.partition(":")
        lesson = normalise_lesson(lesson)
        if isa not in ISAS or isa == "native":
            raise SystemExit(f"--foreign-isa takes LESSON:ISA with ISA one of {[n for n in ISAS if n != 'native']}, "
                             f"got {spec!r}")
    return [(lesson, mode, isa)]


if __name__ == "__main__":
    sys.exit(main())
