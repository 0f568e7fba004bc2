"""Write the measured running times where learners read them: the ``<!-- timing -->`` line at the top of each
notebook (in its first markdown cell, under the title), the full-mode peak memory where a notebook's prose has a
``<!-- peak-memory -->…<!-- /peak-memory -->`` span, and the README's lesson table (between
``<!-- lessons-table -->`` and ``<!-- /lessons-table -->``), both from ``benchmarks/results/notebooks.json``.

Run after ``benchmarks/notebooks.py`` (and after merging new lessons): ``python benchmarks/write_times.py``.
Running it twice changes nothing. ``--check`` writes nothing and exits 1 when a file is out of step.

A lesson missing from the README table gets a row with its notebook's title; edit its "question" cell by hand
(the script keeps the title and question columns of existing rows and regenerates the rest).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
README = ROOT / "README.md"
RESULTS = ROOT / "benchmarks" / "results" / "notebooks.json"

TIMING_START, TIMING_END = "<!-- timing -->", "<!-- /timing -->"
MEMORY_START, MEMORY_END = "<!-- peak-memory -->", "<!-- /peak-memory -->"
MEMORY_RE = re.compile(re.escape(MEMORY_START) + ".*?" + re.escape(MEMORY_END), re.S)
TABLE_START, TABLE_END = "<!-- lessons-table -->", "<!-- /lessons-table -->"
TABLE_HEADER = ["| # | notebook | the question it answers | quick | full | open |", "|---|---|---|---|---|---|"]
OPEN_LINKS = ("[![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/layer-by-layer/course/main"
              "?urlpath=lab/tree/notebooks/{nb}) [![Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
              "(https://colab.research.google.com/github/layer-by-layer/course/blob/main/notebooks/{nb})")


def format_duration(seconds: float) -> str:
    """A measured time as learners read it: '≈ 15 s', '≈ 2.5 min', '≈ 12 min' (never more than 2x off)."""
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative, got {seconds}")
    if seconds < 10:
        return f"≈ {max(1, round(seconds))} s"
    if seconds < 55:
        return f"≈ {5 * round(seconds / 5)} s"
    if seconds < 600:
        minutes = max(1.0, round(seconds / 30) / 2)
        return f"≈ {minutes:g} min"
    return f"≈ {round(seconds / 60)} min"


def _run(results: dict, lesson: str, kind: str, mode: str) -> dict | None:
    run = results.get("runs", {}).get(lesson, {}).get(kind, {}).get(mode)
    return run if run and run.get("status") == "ok" else None


def _seconds(run: dict) -> float:
    """The run's judged time (benchmarks/notebooks.py: the smaller of wall and CPU time on CPU), else its wall time."""
    return run.get("seconds", run["wall_s"])


def _cores(device: str) -> str:
    match = re.match(r"CPU \((\d+) cores\)", device)
    return f"{match.group(1)} CPU cores" if match else device


def timing_line(results: dict, lesson: str) -> str | None:
    """The notebook's stated-time line (between the markers), or None when the lesson was never measured."""
    quick, full = _run(results, lesson, "cpu", "quick"), _run(results, lesson, "cpu", "full")
    if not (quick or full):
        return None
    parts = [f"{mode} mode {format_duration(_seconds(run))}" for mode, run in (("quick", quick), ("full", full)) if run]
    device = _cores((quick or full)["device"])
    text = f"<em>Running time, measured on {device}: {', '.join(parts)}"
    gpu = [(mode, _run(results, lesson, "gpu", mode)) for mode in ("quick", "full")]
    gpu = [(mode, run) for mode, run in gpu if run]
    if gpu:
        text += f"; on a GPU ({gpu[0][1]['device'][5:-1]}): " + ", ".join(
            f"{mode} mode {format_duration(_seconds(run))}" for mode, run in gpu)
    # HTML, not Markdown: JupyterLab's renderer does not close a *…* or `…` that an HTML comment touches, and showed
    # the asterisks and backticks literally.
    return f"{TIMING_START}{text} (<code>benchmarks/notebooks.py</code>).</em>{TIMING_END}"


def stamp_markdown(source: str, line: str) -> str:
    """``source`` (a first markdown cell) with its timing line set to ``line``: replaced between the markers when
    present, else inserted as its own paragraph after the title line."""
    pattern = re.compile(re.escape(TIMING_START) + ".*?" + re.escape(TIMING_END), re.S)
    if pattern.search(source):
        return pattern.sub(lambda _: line, source, count=1)
    title, _, rest = source.partition("\n")
    return f"{title}\n\n{line}\n\n{rest.lstrip(chr(10))}" if rest.strip() else f"{title}\n\n{line}\n"


def peak_memory_text(results: dict, lesson: str) -> str | None:
    """'1.62 GB': the full-mode peak RSS on CPU, for a ``<!-- peak-memory -->`` span in the notebook's prose."""
    run = _run(results, lesson, "cpu", "full")
    return f"{run['peak_rss_bytes'] / 1e9:.2f} GB" if run else None


def stamp_notebook(path: Path, results: dict, write: bool = True) -> bool:
    """Set the timing line of one notebook (and any ``<!-- peak-memory -->`` span in its markdown cells) from
    ``results``; True when something changed (written only if ``write``)."""
    lesson = path.name.split("_", 1)[0]
    line, memory = timing_line(results, lesson), peak_memory_text(results, lesson)
    raw = json.loads(path.read_text())
    markdown = [c for c in raw["cells"] if c["cell_type"] == "markdown"]
    if not markdown:
        raise ValueError(f"{path.name} has no markdown cell to carry its timing line")
    changed = False
    for number, cell in enumerate(markdown):
        source = "".join(cell["source"])
        new = stamp_markdown(source, line) if (number == 0 and line) else source
        if memory:
            new = MEMORY_RE.sub(lambda _: f"{MEMORY_START}{memory}{MEMORY_END}", new)
        if new != source:
            cell["source"] = new.splitlines(keepends=True)
            changed = True
    if not changed:
        return False
    if write:   # the layout nbformat writes (indent 1, keys sorted), so nothing else in the file changes
        path.write_text(json.dumps(raw, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    return True


def _title(path: Path) -> str:
    raw = json.loads(path.read_text())
    first = next((c for c in raw["cells"] if c["cell_type"] == "markdown"), {"source": [path.stem]})
    heading = "".join(first["source"]).splitlines()[0].lstrip("# ").strip()
    return re.sub(r"^\d+[a-z]?\s*[—·:-]\s*", "", heading)


def readme_table(readme: str, results: dict, notebooks: list[Path]) -> str:
    """The README's lesson table for ``notebooks`` with times from ``results``, keeping existing titles/questions."""
    if TABLE_START not in readme or TABLE_END not in readme:
        raise ValueError(f"README.md needs the markers {TABLE_START} and {TABLE_END} around the lesson table")
    old = readme.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0]
    kept = {}
    for row in old.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(cells) >= 3 and re.fullmatch(r"\d\d[a-z]?|A\d", cells[0]):
            link = re.match(r"\[(.*?)\]", cells[1])
            kept[cells[0]] = (link.group(1) if link else cells[1], cells[2], cells[3:5] if len(cells) >= 5 else [])
    rows = list(TABLE_HEADER)
    for path in notebooks:
        lesson = path.name.split("_", 1)[0]
        title, question, old_times = kept.get(lesson, (_title(path), _title(path), []))
        times = []
        for number, mode in enumerate(("quick", "full")):
            cpu, gpu = _run(results, lesson, "cpu", mode), _run(results, lesson, "gpu", mode)
            unmeasured = re.sub(r"\s*\(GPU [^)]*\)$", "", old_times[number]) if len(old_times) > number else ""
            unmeasured = unmeasured or "not measured"
            cell = format_duration(_seconds(cpu)) if cpu else unmeasured     # an older estimate stays until measured
            if gpu:
                cell += f" (GPU {format_duration(_seconds(gpu))})"
            times.append(cell)
        rows.append(f"| {lesson} | [{title}](notebooks/{path.name}) | {question} | {times[0]} | {times[1]} | "
                    f"{OPEN_LINKS.format(nb=path.name)} |")
    return "\n".join(rows)


def stamp_readme(readme: str, results: dict, notebooks: list[Path]) -> str:
    table = readme_table(readme, results, notebooks)
    before, rest = readme.split(TABLE_START, 1)
    after = rest.split(TABLE_END, 1)[1]
    return f"{before}{TABLE_START}\n{table}\n{TABLE_END}{after}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when something is out of step")
    args = parser.parse_args(argv)
    if not args.results.exists():
        raise SystemExit(f"no results at {args.results}: run benchmarks/notebooks.py first")
    results = json.loads(args.results.read_text())
    notebooks = sorted(p for p in NOTEBOOKS.glob("*_*.ipynb") if re.fullmatch(r"\d\d[a-z]?|A\d", p.name.split("_")[0]))
    changed = [p.name for p in notebooks if stamp_notebook(p, results, write=not args.check)]
    readme = README.read_text()
    new_readme = stamp_readme(readme, results, notebooks)
    if new_readme != readme:
        changed.append("README.md")
        if not args.check:
            README.write_text(new_readme)
    print(("out of step: " if args.check else "updated: ") + (", ".join(changed) or "nothing"))
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
