"""Leave-one-speaker-out on the Free Spoken Digit Dataset: does the lesson-03 keyword spotter
recognise digits spoken by a voice it has never heard?

For each of the 6 speakers: train on the other 5 (all their clips), test on every clip of the held-out
speaker. Each row of the table adds one idea from notebook 03 to the row above it:

  plain                 global standardisation, max pooling over time
  + per-utterance norm  remove each frame's DC offset, then give every clip zero mean and unit
                        variance per mel band over its own frames (before padding to 64 frames)
  + SpecAugment         random time stripes and frequency bands are zeroed while training
  + speed perturbation  each epoch sees every clip at a random speed among 0.9, 1.0, 1.1
  + mean+std pooling    statistics pooling over time instead of max

Run (full mode: 30 trainings, about half an hour on one CPU core, a few minutes on a GPU):
    LESSONS_DATA_DIR=/work/shared/data python benchmarks/fsdd_speaker_holdout.py
Options: --epochs N, --folds george,theo (a subset of held-out speakers), --rows 0,1 (a subset of rows),
--threads N. Quick mode (LESSONS_QUICK=1) trains fewer epochs on two folds, as a smoke test.

Introduced in notebook 03 (log-mel convolutions).
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from lessons_lib import full_or_quick, load_dataset, seed_everything
from lessons_lib.audio import (FSDD_SPEAKERS, SpecAugment, build_speech_model, fsdd_features,
                               make_copies_loader, standardize)
from lessons_lib.training import evaluate, fit, make_loader

ROWS = [
    ("plain", dict()),
    ("+ per-utterance norm", dict(normalize=True)),
    ("+ SpecAugment", dict(normalize=True, spec_augment=True)),
    ("+ speed perturbation", dict(normalize=True, spec_augment=True, speed=True)),
    ("+ mean+std pooling", dict(normalize=True, spec_augment=True, speed=True, pooling="meanstd")),
]
SPEEDS = (1.0, 0.9, 1.1)


def run_fold(features: dict, labels, speakers, held_out: str, recipe: dict, epochs: int, seed: int = 0) -> float:
    """Train on every speaker but ``held_out``, return accuracy on ``held_out``'s clips."""
    seed_everything(seed)
    train, test = speakers != held_out, speakers == held_out
    norm = bool(recipe.get("normalize"))
    x_train, mean, std = standardize(features[1.0, norm][train])
    x_test, _, _ = standardize(features[1.0, norm][test], mean, std)
    if recipe.get("speed"):
        copies = np.stack([x_train] + [standardize(features[s, norm][train], mean, std)[0] for s in SPEEDS[1:]])
        train_loader = make_copies_loader(copies, labels[train], batch_size=64, seed=seed)
    else:
        train_loader = make_loader(x_train, labels[train], batch_size=64, shuffle=True, seed=seed)
    model = build_speech_model(pooling=recipe.get("pooling", "max"),
                               spec_augment=SpecAugment() if recipe.get("spec_augment") else None)
    fit(model, train_loader, epochs=epochs, lr=3e-3, progress=False)
    return evaluate(model, make_loader(x_test, labels[test], batch_size=256))["accuracy"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=full_or_quick(8, 2))
    parser.add_argument("--folds", default=full_or_quick(",".join(FSDD_SPEAKERS), "lucas,nicolas"))
    parser.add_argument("--rows", default=",".join(str(i) for i in range(len(ROWS))))
    parser.add_argument("--verbose", action="store_true", help="print each fold as it finishes")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: PyTorch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    folds = [s for s in args.folds.split(",") if s]
    unknown = sorted(set(folds) - set(FSDD_SPEAKERS))
    if unknown:
        raise SystemExit(f"unknown speakers {unknown}; choose from {FSDD_SPEAKERS}")
    rows = [ROWS[int(i)] for i in args.rows.split(",")]

    data = load_dataset("fsdd")
    labels, speakers = np.asarray(data["labels"]), np.asarray(data["speakers"])
    start = time.perf_counter()
    kinds = {(speed, bool(recipe.get("normalize"))) for _, recipe in rows
             for speed in (SPEEDS if recipe.get("speed") else SPEEDS[:1])}
    features = {(speed, norm): fsdd_features(data, range(len(labels)), speed=speed, remove_dc=norm, normalize=norm)
                for speed, norm in sorted(kinds)}
    print(f"features for {len(labels)} clips x {len(features)} versions: {time.perf_counter() - start:.0f} s")
    print(f"{args.epochs} epochs per fold, held-out speakers: {', '.join(folds)}, torch threads: {torch.get_num_threads()}\n")

    header = f"| recipe | " + " | ".join(folds) + " | mean | worst | gain |"
    print(header)
    print("|" + "---|" * (len(folds) + 4))
    previous = None
    for name, recipe in rows:
        t = time.perf_counter()
        accuracies = []
        for speaker in folds:
            accuracies.append(run_fold(features, labels, speakers, speaker, recipe, args.epochs))
            if args.verbose:
                print(f"    {name}, held out {speaker}: {100 * accuracies[-1]:.1f} %  ({time.perf_counter() - t:.0f} s)", flush=True)
        mean, worst = float(np.mean(accuracies)), float(np.min(accuracies))
        gain = "" if previous is None else f"{100 * (mean - previous):+.1f} pts"
        previous = mean
        cells = " | ".join(f"{100 * a:.1f}" for a in accuracies)
        print(f"| {name} | {cells} | {100 * mean:.1f} | {100 * worst:.1f} ({folds[int(np.argmin(accuracies))]}) | {gain} |"
              f"  <- {time.perf_counter() - t:.0f} s", flush=True)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
