"""Benchmark: leave-one-speaker-out on the Free Spoken Digit Dataset. Does the network of notebook 03
recognise digits spoken by a voice it has never heard?

For each of the 6 speakers: train on the other 5 (all their clips), test on every clip of the held-out
speaker. Each row of the main table adds one idea from notebook 03b to the row above it (cumulative):

  plain                       80 mel bands, global standardisation, max pooling over time,
                              Adam at a constant 3e-3, 8 epochs
  + per-utterance norm        remove each frame's DC offset, then give every clip zero mean and unit
                              variance per mel band over its own frames (before padding to 64 frames)
  + one-cycle, 20 epochs      a one-cycle learning rate (warm up to 3e-3, cosine decay to ~0) and AdamW
                              weight decay 0.01 (``OneCycleAdamW``), 20 epochs
  + mean only (no variance)   per-utterance normalisation subtracts each band's mean but no longer divides
                              by its standard deviation
  + time/frequency warp       every training example, every time it is drawn, is stretched in time by up
                              to ±25 % and warped in frequency by up to ±10 % (``TimeFrequencyWarp``)
  + 40 mel bands              40 wider bands instead of 80
  + 40 epochs                 the same, trained twice as long
  + 40 dB floor               every clip's log-mel energies are raised to at least its loudest value minus
                              40 dB (``limit_dynamic_range``), before the per-utterance normalisation

Then two ideas that did not help in our runs, each added to the last row on its own:

  best + SpecAugment          random time stripes and frequency bands are zeroed while training
  best + mean+std pooling     statistics pooling over time instead of max

Run (full mode: 60 trainings, about 40 minutes with --jobs 2 on two idle CPU cores; 2,474 s measured):
    LESSONS_DATA_DIR=/work/shared/data python benchmarks/fsdd_speaker_holdout.py --jobs 2
Options: --folds george,theo (a subset of held-out speakers), --rows 0,1 (a subset of rows), --epochs-scale
0.5 (scale every row's epochs), --threads N (torch threads per job), --jobs N (trainings in parallel
processes), --seed 1 (another seed for every training: the run-to-run spread), --verbose. Quick mode
(LESSONS_QUICK=1) trains a tenth of the epochs on two folds, as a smoke test. A full run (every fold and row,
--epochs-scale 1) writes benchmarks/results/fsdd_speaker_holdout.json for benchmarks/report.py (--no-save: print only).

Introduced in notebook 03 (log-mel convolutions); its table is recorded in notebook 03b (unseen speakers).
"""
from __future__ import annotations

import argparse
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

import numpy as np
import torch

from lessons_lib import full_or_quick, load_dataset, seed_everything
from lessons_lib.audio import FSDD_SPEAKERS, SpecAugment, TimeFrequencyWarp, build_speech_model, fsdd_features
from lessons_lib.training import OneCycleAdamW, standardize
from lessons_lib.training import evaluate, fit, make_loader

PLAIN = dict(normalize=None, n_mels=80, top_db=None, epochs=8, one_cycle=False, warp=False, spec_augment=False,
             pooling="max")
ROWS = [("plain", PLAIN)]
for name, change in [("+ per-utterance norm", dict(normalize="mean+variance")),
                     ("+ one-cycle, 20 epochs", dict(one_cycle=True, epochs=20)),
                     ("+ mean only (no variance)", dict(normalize="mean")),
                     ("+ time/frequency warp", dict(warp=True)),
                     ("+ 40 mel bands", dict(n_mels=40)),
                     ("+ 40 epochs", dict(epochs=40)),
                     ("+ 40 dB floor", dict(top_db=40))]:
    ROWS.append((name, dict(ROWS[-1][1], **change)))
MAIN_ROWS, BEST = len(ROWS), ROWS[-1][1]       # the cumulative rows; the best recipe is the last of them
ROWS += [("best + SpecAugment", dict(BEST, spec_augment=True)),
         ("best + mean+std pooling", dict(BEST, pooling="meanstd"))]
FEATURES: dict = {}       # (normalize, n_mels, top_db) -> (3000, 3, 64, n_mels) features; filled once, shared by forked jobs
LABELS = SPEAKERS = None


def feature_kind(recipe: dict) -> tuple:
    return recipe["normalize"], recipe["n_mels"], recipe["top_db"]


def compute_features(data, normalize: str | None, n_mels: int, top_db: float | None) -> np.ndarray:
    return fsdd_features(data, range(len(data["labels"])), n_mels=n_mels, remove_dc=normalize is not None,
                         normalize=normalize,
                         top_db=top_db)


def run_fold(held_out: str, recipe: dict, epochs_scale: float = 1.0, threads: int = 0, seed: int = 0) -> float:
    """Train on every speaker but ``held_out``; return the accuracy on ``held_out``'s clips."""
    if threads:
        torch.set_num_threads(threads)
    seed_everything(seed)
    train, test = SPEAKERS != held_out, SPEAKERS == held_out
    features = FEATURES[feature_kind(recipe)]
    x_train, mean, std = standardize(features[train])
    x_test, _, _ = standardize(features[test], mean, std)
    train_loader = make_loader(x_train, LABELS[train], batch_size=64, shuffle=True, seed=seed)
    model = build_speech_model(n_mels=recipe["n_mels"], pooling=recipe["pooling"],
                               warp=TimeFrequencyWarp(0.25, 0.1) if recipe["warp"] else None,
                               spec_augment=SpecAugment() if recipe["spec_augment"] else None)
    epochs = max(1, round(recipe["epochs"] * epochs_scale))
    if recipe["one_cycle"]:
        optimizer = OneCycleAdamW(model.parameters(), max_lr=3e-3, total_steps=epochs * len(train_loader),
                                  weight_decay=0.01)
        fit(model, train_loader, epochs=epochs, optimizer=optimizer, progress=False)
    else:
        fit(model, train_loader, epochs=epochs, lr=3e-3, progress=False)
    return evaluate(model, make_loader(x_test, LABELS[test], batch_size=256))["accuracy"]


def print_table(title: str, row_ids: list[int], folds: list[str], results: dict, cumulative: bool) -> None:
    print(f"\n{title}\n")
    print("| recipe | " + " | ".join(folds) + " | mean | worst | gain in mean |")
    print("|" + "---|" * (len(folds) + 4))
    previous = np.mean([results[MAIN_ROWS - 1, s] for s in folds]) if not cumulative and (MAIN_ROWS - 1, folds[0]) in results else None
    for i in row_ids:
        accuracies = [results[i, s] for s in folds]
        mean, worst = float(np.mean(accuracies)), float(np.min(accuracies))
        gain = "" if previous is None else f"{100 * (mean - previous):+.1f}"
        if cumulative:
            previous = mean
        cells = " | ".join(f"{100 * a:.1f}" for a in accuracies)
        print(f"| {ROWS[i][0]} | {cells} | {100 * mean:.1f} | {100 * worst:.1f} ({folds[int(np.argmin(accuracies))]}) | {gain} |",
              flush=True)


def contract_rows(results: dict, folds: list[str], total: float, threads: int, jobs: int) -> list[dict]:
    """The report's rows (benchmarks/report.py): the best cumulative recipe on unseen speakers, and the run's time."""
    best = MAIN_ROWS - 1
    accuracies = {s: results[best, s] for s in folds}
    worst = min(accuracies, key=accuracies.get)
    per_job = threads or torch.get_num_threads()
    device = f"CPU ({jobs} jobs x {per_job} thread{'s' if per_job > 1 else ''})"
    return [{"target": f"spoken digits of an unseen speaker, mean over the {len(folds)} held-out speakers "
                       f"(lessons 03, 03b; recipe '{ROWS[best][0]}')", "measured": round(100 * np.mean(list(accuracies.values())), 1),
             "unit": "% accuracy", "met": None, "device": device, "lesson": "03b",
             "note": "no target set: the lesson's question is how far from the seen-speaker 99 % it lands"},
            {"target": "spoken digits of the hardest unseen speaker (same recipe)", "measured": round(100 * accuracies[worst], 1),
             "unit": f"% accuracy ({worst})", "met": None, "device": device, "lesson": "03b"},
            {"target": f"time of the leave-one-speaker-out study ({len(results)} trainings)", "measured": round(total),
             "unit": "s", "met": None, "device": device, "lesson": "03b"}]


def main() -> None:
    global LABELS, SPEAKERS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", default=full_or_quick(",".join(FSDD_SPEAKERS), "lucas,nicolas"))
    parser.add_argument("--rows", default=",".join(str(i) for i in range(len(ROWS))))
    parser.add_argument("--epochs-scale", type=float, default=full_or_quick(1.0, 0.1))
    parser.add_argument("--verbose", action="store_true", help="print each fold as it finishes")
    parser.add_argument("--threads", type=int, default=0, help="torch threads per job (0: PyTorch's default)")
    parser.add_argument("--jobs", type=int, default=1, help="trainings run in parallel processes")
    parser.add_argument("--seed", type=int, default=0, help="seed of every training (weights, batches, augmentation)")
    parser.add_argument("--no-save", action="store_true", help="do not write benchmarks/results/fsdd_speaker_holdout.json")
    args = parser.parse_args()
    folds = [s for s in args.folds.split(",") if s]
    unknown = sorted(set(folds) - set(FSDD_SPEAKERS))
    if unknown or not folds:
        raise SystemExit(f"unknown speakers {unknown or folds}; choose from {FSDD_SPEAKERS}")
    row_ids = [int(i) for i in args.rows.split(",")]
    if any(not 0 <= i < len(ROWS) for i in row_ids):
        raise SystemExit(f"rows must be in 0..{len(ROWS) - 1}, got {args.rows}")
    if args.jobs < 1 or args.epochs_scale <= 0:
        raise SystemExit(f"--jobs must be >= 1 and --epochs-scale > 0, got {args.jobs}, {args.epochs_scale}")
    threads = args.threads or (1 if args.jobs > 1 else 0)

    data = load_dataset("fsdd")
    LABELS, SPEAKERS = np.asarray(data["labels"]), np.asarray(data["speakers"])
    start = time.perf_counter()
    for kind in sorted({feature_kind(ROWS[i][1]) for i in row_ids}, key=str):
        FEATURES[kind] = compute_features(data, *kind)
    print(f"features for {len(LABELS)} clips x {len(FEATURES)} versions: {time.perf_counter() - start:.0f} s")
    print(f"held-out speakers: {', '.join(folds)}; epochs x {args.epochs_scale}; seed {args.seed}; jobs: {args.jobs}, "
          f"torch threads per job: {threads or torch.get_num_threads()}")

    tasks = {(i, s): (s, ROWS[i][1], args.epochs_scale, threads, args.seed) for i in row_ids for s in folds}
    results = {}

    def record(key, accuracy):
        results[key] = accuracy
        if args.verbose:
            print(f"    row {key[0]}, held out {key[1]}: {100 * accuracy:.1f} %  ({time.perf_counter() - start:.0f} s)",
                  flush=True)

    if args.jobs == 1:
        for key, task in tasks.items():
            record(key, run_fold(*task))
    else:
        with ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = {pool.submit(run_fold, *task): key for key, task in tasks.items()}
            for future in as_completed(futures):                # printed as each finishes (--verbose)
                record(futures[future], future.result())

    main_ids, side_ids = [i for i in row_ids if i < MAIN_ROWS], [i for i in row_ids if i >= MAIN_ROWS]
    if main_ids:
        print_table("Each row adds one idea to the row above (accuracy in % on the held-out speaker's clips):",
                    main_ids, folds, results, cumulative=True)
    if side_ids:
        print_table("Each row adds one idea to the best recipe (the last row above); gain against that row:",
                    side_ids, folds, results, cumulative=False)
    total = time.perf_counter() - start
    print(f"\ntotal {total:.0f} s")
    complete = set(folds) == set(FSDD_SPEAKERS) and set(row_ids) == set(range(len(ROWS))) and args.epochs_scale == 1.0
    if not args.no_save and complete:
        import report                                                   # benchmarks/report.py, beside this script
        print("wrote", report.write_results("fsdd_speaker_holdout", contract_rows(results, folds, total, threads, args.jobs)))


if __name__ == "__main__":
    main()
