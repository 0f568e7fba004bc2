"""The course's lesson targets side by side in one report, from what the benchmarks last measured.

The contract (tiny on purpose): a benchmark script that measures a target writes ``benchmarks/results/<name>.json``,

    {"benchmark": "<name>", "generated": "2026-12-01 09:00 UTC", "rows": [ROW, ...]}

with one ROW per target and device:

    {"target": "MNIST 99 % test accuracy, fast recipe",   # what is promised, in words
     "measured": 41.5, "unit": "s",                       # the number measured (null: could not be measured)
     "met": true,                                         # did it meet the target (null: no verdict)
     "device": "CPU (2 cores)",                           # 'CPU (N cores)' or 'GPU (<name>)'
     # optional: "limit": 60, "better": "lower"|"higher" (then the report says by how much a miss is off),
     #           "lesson": "07", "note": "..."}

``write_results(name, rows)`` below writes such a file (load this module with importlib, as the tests do).
Targets the course expects but nobody measured yet are listed as "not measured". Run:
    python benchmarks/report.py            # prints the report and writes benchmarks/results/report.md
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
REQUIRED = ("target", "measured", "unit", "met", "device")

# The lesson targets the course states (issue 16), by the result file expected to measure each.
EXPECTED = {
    "notebooks": "every notebook within its quick- and full-mode budgets (benchmarks/notebooks.py)",
    "mnist_time_to_accuracy": "MNIST time to accuracy, walkthrough recipe vs fast recipe (lesson 07), CPU and GPU",
    "mnist_beat_walkthrough": "MNIST on 2 CPU cores, mean of 3 seeds: >= 99.5 % within 3 min and >= 99.64 % (the "
                              "walkthrough's score) within 10 min of training (lesson 07)",
    "word2vec_speed": "skip-gram words/s against gensim (lesson 05), CPU and GPU",
    "fsdd_speaker_holdout": "spoken-digit accuracy on unseen speakers and its time (lesson 03)",
    "gan": "GAN: share of recognisable samples and its time (lesson 06)",
    "factorization_speed": "factorization speed (lesson 04)",
    "selfplay_speed": "self-play positions/s, batched across games vs one game at a time (lesson 09)",
    "quality_spread": "every quality check measured over seeds, threads and instruction sets; the ambitious targets "
                      "(lesson 06's conditional GAN >= 95 % of the asked class) on its worst run",
}


# Targets on a GPU (issues 13 and 16): listed as "not measured" while no row of that benchmark ran on a GPU.
EXPECTED_ON_GPU = {
    "mnist_time_to_accuracy": "MNIST on one GPU: >= 99.6 % in <= 5 s and >= 99.7 % in <= 60 s of training (lesson 07)",
    "word2vec_speed": "from-scratch skip-gram words/s on a GPU against gensim (lesson 05)",
}


def device_label(device, threads: int | None = None) -> str:
    """A row's ``device``: 'GPU (<name>)' for a CUDA device, else 'CPU (N threads)' (default: PyTorch's thread count).
    The report tells GPU rows by that prefix."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return f"GPU ({torch.cuda.get_device_name(device)})"
    return f"CPU ({threads or torch.get_num_threads()} threads)"


def check_rows(rows, source: str = "rows") -> list[dict]:
    """The rows, checked against the contract: a clear error naming the file, the row and what is missing."""
    if not isinstance(rows, list):
        raise ValueError(f"{source}: 'rows' must be a list of objects, got {type(rows).__name__}")
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ValueError(f"{source}: row {i} must be an object with {', '.join(REQUIRED)}, got {row!r}")
        missing = [key for key in REQUIRED if key not in row]
        if missing:
            raise ValueError(f"{source}: row {i} ({row.get('target', '?')!r}) lacks {', '.join(missing)}; "
                             f"every row needs {', '.join(REQUIRED)}")
        if row.get("better") not in (None, "lower", "higher"):
            raise ValueError(f"{source}: row {i}: 'better' must be 'lower' or 'higher', got {row['better']!r}")
    return rows


def write_results(name: str, rows: list[dict], directory: Path = RESULTS) -> Path:
    """Write ``<directory>/<name>.json`` in the contract's form (rows checked first); returns its path."""
    check_rows(rows, name)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    path.write_text(json.dumps({"benchmark": name, "generated": stamp, "rows": rows}, indent=1,
                               ensure_ascii=False, sort_keys=True) + "\n")
    return path


def load_all(directory: Path = RESULTS) -> dict[str, dict]:
    """Every ``*.json`` result in ``directory``, by name. A file without ``rows`` is another tool's record, not a
    result of this contract (homework_grading.json, written by benchmarks/homework_grading.py), and is left out."""
    found = {}
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text())
        if "rows" not in data:
            continue
        check_rows(data["rows"], path.name)
        found[path.stem] = data
    return found


def missed_by(row: dict) -> str:
    """'' when met or without a limit; else how far off: '1.4x over', '3.2 points short'."""
    if row["met"] or row.get("limit") in (None, 0) or row["measured"] is None:
        return ""
    measured, limit = float(row["measured"]), float(row["limit"])
    if row.get("better", "lower") == "lower":
        return f"{measured / limit:.2f}x the limit" if measured > limit else ""
    short = limit - measured
    return f"{short:.3g} {row['unit']} short" if short > 0 else ""


def _verdict(row: dict) -> str:
    return {True: "met", False: "**missed**", None: "—"}[row["met"]]


def render(found: dict[str, dict]) -> str:
    lines = ["# Lesson targets, side by side", "",
             "Written by `benchmarks/report.py` from `benchmarks/results/*.json` (each written by its benchmark).", "",
             "| benchmark | target | measured | verdict | off by | device | measured at |", "|---|---|---|---|---|---|---|"]
    names = list(EXPECTED) + [n for n in found if n not in EXPECTED]
    for name in names:
        data = found.get(name)
        if not data or not data["rows"]:
            lines.append(f"| {name} | {EXPECTED.get(name, name)} | not measured | — | | | |")
            continue
        for row in data["rows"]:
            measured = "—" if row["measured"] is None else f"{row['measured']:g} {row['unit']}"
            lines.append(f"| {name} | {row['target']} | {measured} | {_verdict(row)} | {missed_by(row)} | "
                         f"{row['device']} | {data.get('generated', '')} |")
        if name in EXPECTED_ON_GPU and not any(str(row["device"]).startswith("GPU") for row in data["rows"]):
            lines.append(f"| {name} | {EXPECTED_ON_GPU[name]} | not measured (no GPU in the run) | — | | GPU | |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--output", type=Path, default=None, help="default: <results>/report.md")
    args = parser.parse_args(argv)
    text = render(load_all(args.results))
    print(text)
    (args.output or args.results / "report.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
