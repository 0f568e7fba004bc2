"""Self-play positions per second, batched across games against one game at a time (lesson 09), side by side.

    python benchmarks/selfplay_speed.py [--games 128] [--alone 32] [--simulations 48] [--no-save]

Both columns run notebook 09's own code (its cells tagged ``games-core``: the rules, the network, the PUCT
``search`` and ``self_play``), with the same freshly initialised net (seed 0) and the same number of simulations
per move:

* **batched**: ``self_play(net, games, ...)`` plays ``--games`` games at once; in every simulation the leaves of
  all the games still going are evaluated in one forward pass (as the lesson trains);
* **one at a time**: ``self_play(net, 1, ...)`` called ``--alone`` times: one forward pass per tree node.

A position is one move played (the 8 symmetric copies stored for training are not counted). Writes
benchmarks/results/selfplay_speed.json for benchmarks/report.py: each column's positions per second and the
batched speed-up. About 15 seconds on 2 CPU cores (the one-at-a-time games take half of it). Timings depend on
hardware, library and load: compare the two columns of one run, never across machines.

Introduced in notebook 09 (AlphaZero in miniature).
"""
from __future__ import annotations

import argparse
import functools
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from lessons_lib import get_device, seed_everything
from lessons_lib.games import agreement_rate, policy_value

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE.parent / "notebooks" / "09_alphazero.ipynb"
TEMPERATURE_MOVES = 9            # the lesson's: τ = 1 for the whole game


def lesson09_core(device) -> dict:
    """Notebook 09's cells tagged 'games-core', executed on their own; returns their namespace (``self_play``...)."""
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    sources = ["".join(cell["source"]) for cell in cells
               if cell["cell_type"] == "code" and "games-core" in cell.get("metadata", {}).get("tags", [])]
    if not sources:
        raise SystemExit(f"{NOTEBOOK} has no cell tagged 'games-core': nothing to benchmark")
    namespace = {"functools": functools, "math": math, "np": np, "torch": torch, "nn": nn, "device": device,
                 "policy_value": policy_value, "agreement_rate": agreement_rate}
    for source in sources:
        exec(source, namespace)
    return namespace


def positions_per_second(core: dict, net, games_per_call: int, calls: int, simulations: int,
                         progress: tqdm) -> tuple[float, int, float]:
    """Play ``calls`` × ``games_per_call`` self-play games; returns (positions per second, positions, seconds)."""
    rng = np.random.default_rng(0)
    positions, seconds = 0, 0.0
    for _ in range(calls):
        start = time.perf_counter()
        examples, outcomes = core["self_play"](net, games_per_call, simulations, rng, TEMPERATURE_MOVES)
        seconds += time.perf_counter() - start
        positions += len(examples) // len(core["SYMMETRIES"])
        progress.update(len(outcomes))
    return positions / seconds, positions, seconds


def result_rows(batched: tuple, alone: tuple, args, device_name: str) -> list[dict]:
    """The report's rows: each column's positions per second, then the speed-up (the target: above 1)."""
    setup = f"{args.simulations} simulations per move, untrained net of lesson 09 (seed 0)"
    common = {"device": device_name, "lesson": "09"}
    return [
        {"target": f"self-play, {args.games} games batched: positions/s (lesson 09)", "measured": round(batched[0], 1),
         "unit": "positions/s", "met": None, **common,
         "note": f"{batched[1]} positions in {batched[2]:.1f} s; {setup}"},
        {"target": "self-play, one game at a time: positions/s (lesson 09)", "measured": round(alone[0], 1),
         "unit": "positions/s", "met": None, **common,
         "note": f"{alone[1]} positions in {alone[2]:.1f} s ({args.alone} games); {setup}"},
        {"target": "self-play batched across games faster than one game at a time (lesson 09)",
         "measured": round(batched[0] / alone[0], 2), "unit": "x the one-at-a-time positions/s",
         "met": batched[0] > alone[0], "limit": 1.0, "better": "higher", **common,
         "note": f"same net, {setup}"},
    ]


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=128, help="games played at once in the batched column")
    parser.add_argument("--alone", type=int, default=32, help="games played one after the other in the other column")
    parser.add_argument("--simulations", type=int, default=48, help="PUCT simulations per move (both columns)")
    parser.add_argument("--no-save", action="store_true", help="do not write benchmarks/results/selfplay_speed.json")
    parser.add_argument("--results", type=Path, default=None, help="folder for the JSON (default: benchmarks/results)")
    args = parser.parse_args(argv)
    if min(args.games, args.alone, args.simulations) < 1:
        parser.error(f"--games, --alone and --simulations must be at least 1, got {args.games}, {args.alone}, "
                     f"{args.simulations}")
    sys.path.insert(0, str(HERE))
    import report                                                       # benchmarks/report.py, beside this script

    device = get_device()
    core = lesson09_core(device)
    seed_everything(0)
    net = core["PolicyValueNet"]().to(device)
    print(f"device {device}, torch threads {torch.get_num_threads()}, {args.simulations} simulations per move")
    with tqdm(total=args.games + args.alone, desc="self-play games", unit="game") as progress:
        batched = positions_per_second(core, net, args.games, 1, args.simulations, progress)
        alone = positions_per_second(core, net, 1, args.alone, args.simulations, progress)
    print(f"{'self-play':<34} {'positions/s':>12} {'positions':>10} {'seconds':>8}")
    print(f"{f'batched ({args.games} games at once)':<34} {batched[0]:>12.1f} {batched[1]:>10} {batched[2]:>8.1f}")
    print(f"{'one game at a time':<34} {alone[0]:>12.1f} {alone[1]:>10} {alone[2]:>8.1f}")
    print(f"batched: {batched[0] / alone[0]:.1f}x the positions per second of one game at a time")
    rows = result_rows(batched, alone, args, report.device_label(device))
    if not args.no_save:
        print("wrote", report.write_results("selfplay_speed", rows, args.results or report.RESULTS))
    return rows


if __name__ == "__main__":
    main()
