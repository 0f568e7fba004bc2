"""Beat the Kaggle walkthrough for real: MNIST test accuracy within 3 and 10 minutes of training on 2 CPU cores.

The blog's walkthrough (../shared/questions: 1,010,666 parameters, 250 epochs on a GPU) reports 99.64 % on its
validation split (99.699 % on Kaggle's private test). Issue 29's targets, on the 10,000 MNIST test digits:

- >= 99.5 % within 3 minutes of training on 2 CPU cores;
- >= 99.64 % within 10 minutes of training on 2 CPU cores;

each as the MEAN over 3 seeds, with the spread (lowest, highest) beside it. Every run trains on all 60,000 training
digits (a one-cycle schedule needs no validation split; the walkthrough held 10 % out for its plateau annealer), with
lesson 07's fast recipe (SGD + Nesterov, one-cycle to peak lr 0.2, batch 128, label smoothing 0.1, weight decay 5e-4,
BatchNorm, random affine augmentation, conv kernels channels-last). Each row of ``ROWS`` changes ONE thing of the row
above it: a longer schedule, a wider net (``models.fast_mnist_net``), test-time augmentation
(``mnist.averaged_probabilities``: the image and 8 warped copies; rows that differ only by it share their trained
nets). Training time is the wall time of the training steps (evaluation excluded, as in ``mnist_time_to_accuracy.py``);
each run stores the load average beside it, since a busy machine slows that clock (its seconds are then an upper bound).
A target counts as met only by a row with 3 seeds whose mean time fits and whose mean accuracy reaches it.

    python benchmarks/mnist_beat_walkthrough.py [--trainings small-9,wide-9] [--seeds 0,1,2] [--threads 2] [--no-save]

Resumable: each finished run is kept in benchmarks/results/mnist_beat_walkthrough_runs.json (keyed by training, seed and
device), and benchmarks/results/mnist_beat_walkthrough.json (for benchmarks/report.py) is rewritten from every stored
CPU run. Every row with 3 seeds takes about 40 minutes on 2 idle CPU cores.
Introduced in notebook 07 (MNIST end to end).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lessons_lib import load_dataset, seed_everything  # noqa: E402
from lessons_lib import mnist  # noqa: E402
from lessons_lib.models import fast_mnist_net  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
RUNS = RESULTS / "mnist_beat_walkthrough_runs.json"
FAST = mnist.FAST_RECIPE.with_changes(lr=0.2)
TTA_VIEWS = 8
TARGETS = ((0.995, 180.0), (0.9964, 600.0))        # (test accuracy, training seconds on 2 CPU cores), issue 29
NETS = {"small": {}, "wide": {"channels": (32, 64, 128)}, "deep": {"convs_per_block": 2}}

# A training: (net, epochs, recipe changes). A row: (name, training, test-time augmentation?). Each row changes ONE
# thing of the row it follows; rows that differ only by test-time augmentation share their trained nets.
TRAININGS = {
    "small-5": ("small", 5, {}),
    "small-9": ("small", 9, {}),
    "wide-9": ("wide", 9, {}),
}
ROWS = [
    ("lesson 07's fast recipe: 29 k parameters, 5 epochs, peak lr 0.2", "small-5", False),
    ("+ 9 epochs instead of 5", "small-9", False),
    ("+ test-time augmentation (the image and 8 warped copies)", "small-9", True),
    ("wider net (32, 64, 128 maps), 9 epochs", "wide-9", False),
    ("+ test-time augmentation", "wide-9", True),
]
HEADER = ("| recipe (each row changes one thing of the row above) | seeds | training s, mean | test accuracy %, mean "
          "| lowest | highest |")


def training_data():
    """All 60,000 training digits and the 10,000 test digits, (N, 1, 28, 28) in [0, 1]."""
    data = load_dataset("mnist")
    if data.source == "sample":
        raise SystemExit("only the shipped 10,000-digit sample is available: this benchmark needs full MNIST "
                         "(set LESSONS_DATA_DIR to a folder with mnist.npz, or go online once)")
    as_images = lambda a: (a.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)  # noqa: E731
    return (as_images(data["x_train"]), data["y_train"].astype(np.int64),
            as_images(data["x_test"]), data["y_test"].astype(np.int64))


def train_one(training: str, data, seed: int, device) -> dict:
    """One training of ``TRAININGS``: per-epoch test accuracy and training seconds, the final test accuracy plain
    and with test-time augmentation, the parameter count, the load average at its end and ``cpu_share``: the
    process's CPU time over wall time × threads while it trained (evaluation included). Near 1, the threads had their
    cores; well below 1, other jobs slowed the clock and its seconds are an upper bound."""
    net, epochs, changes = TRAININGS[training]
    x_train, y_train, x_test, y_test = data
    recipe = FAST.with_changes(epochs=epochs, **changes)
    seed_everything(seed)
    model = fast_mnist_net(**NETS[net]).to(device)
    cpu_before, wall_before = time.process_time(), time.perf_counter()
    history = mnist.train_recipe(model, recipe, x_train, y_train, None, None, x_test, y_test, device=device,
                                 seed=seed, progress=True)
    cpu_share = (time.process_time() - cpu_before) / ((time.perf_counter() - wall_before) * torch.get_num_threads())
    tta = mnist.averaged_probabilities(model, x_test, views=TTA_VIEWS, augmentation=recipe.augmentation, seed=seed)
    return {"test_accuracy": history.metrics["test_accuracy"][-1], "tta_accuracy": float(np.mean(tta.argmax(1) == y_test)),
            "seconds": round(history.seconds, 1), "epoch_seconds": [round(t, 1) for t in history.metrics["seconds"]],
            "parameters": sum(p.numel() for p in model.parameters()), "load_average": round(os.getloadavg()[0], 2),
            "cpu_share": round(cpu_share, 2),
            "device": str(device), "torch": torch.__version__}


def load_runs() -> dict:
    return json.loads(RUNS.read_text()) if RUNS.exists() else {}


def table(runs: dict) -> list[str]:
    lines = [HEADER, "|---|---|---|---|---|---|"]
    for name, training, tta in ROWS:
        done = [run for key, run in runs.items() if key.split("/")[0] == training]
        if not done:
            lines.append(f"| {name} | 0 | not measured | | | |")
            continue
        accuracy = 100 * np.array([run["tta_accuracy" if tta else "test_accuracy"] for run in done])
        seconds = np.mean([run["seconds"] for run in done])
        lines.append(f"| {name} | {len(done)} | {seconds:.0f} | {accuracy.mean():.2f} | {accuracy.min():.2f} | "
                     f"{accuracy.max():.2f} |")
    return lines


def contract_rows(runs: dict) -> list[dict]:
    """benchmarks/results/mnist_beat_walkthrough.json: per target, the best row whose mean training time fits."""
    rows = []
    for accuracy, limit in TARGETS:
        best = None
        for name, training, tta in ROWS:
            done = [run for key, run in runs.items() if key.split("/")[0] == training]
            if len(done) < 3:
                continue                                     # a target is met by a mean over 3 seeds, not fewer
            seconds = float(np.mean([run["seconds"] for run in done]))
            mean = float(np.mean([run["tta_accuracy" if tta else "test_accuracy"] for run in done]))
            if seconds <= limit and (best is None or mean > best[0]):
                best = (mean, seconds, name, len(done))
        rows.append({"target": f"MNIST >= {100 * accuracy:.2f} % test accuracy (mean of 3 seeds) in <= "
                               f"{limit:.0f} s of training on 2 CPU cores (lesson 07, issue 29)",
                     "measured": None if best is None else round(100 * best[0], 2), "unit": "%",
                     "met": best is not None and best[0] >= accuracy, "device": "CPU (2 threads)",
                     "limit": round(100 * accuracy, 2), "better": "higher", "lesson": "07",
                     "note": "no row with 3 seeds fits the time" if best is None else
                             f"best row within {limit:.0f} s: {best[2]} ({best[3]} seeds, {best[1]:.0f} s)"})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trainings", default=",".join(TRAININGS), help="comma-separated TRAININGS to run")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    data, runs = training_data(), load_runs()
    for training in args.trainings.split(","):
        if training not in TRAININGS:
            raise SystemExit(f"unknown training {training!r}; choose from {', '.join(TRAININGS)}")
        for seed in (int(s) for s in args.seeds.split(",")):
            key = f"{training}/seed{seed}/{device.type}"
            if key in runs:
                continue                                     # resumable: a stored run is kept
            runs[key] = run = train_one(training, data, seed, device)
            print(f"{key}: {100 * run['test_accuracy']:.2f} % (with TTA {100 * run['tta_accuracy']:.2f} %) in "
                  f"{run['seconds']:.0f} s, load {run['load_average']}", flush=True)
            if not args.no_save:
                RUNS.write_text(json.dumps(runs, indent=1, sort_keys=True) + "\n")
    print("\n".join(table({k: v for k, v in runs.items() if k.endswith("/cpu")})))
    if not args.no_save:
        import report                                               # benchmarks/report.py, beside this script
        cpu_runs = {k: v for k, v in runs.items() if k.endswith("/cpu")}
        print("wrote", report.write_results("mnist_beat_walkthrough", contract_rows(cpu_runs)))


if __name__ == "__main__":
    main()
