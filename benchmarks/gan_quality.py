"""Benchmark: how recognisable are the digits a small GAN makes in at most 3 minutes of training on 2 CPU cores?

Each row of the table adds one idea to the row above it (cumulative), same data and seed; the number of
training steps is part of each recipe, and each row's training time is printed beside its numbers. Every
generator is measured by notebook 06's judge (a digit classifier, >= 99 % on the MNIST test set) on 1,000 digits:
the share it classifies with p >= 0.9 ("recognisable"), the smallest share of a digit class, the Fréchet distance
of its features to 1,000 real test digits (real-vs-real floor printed first), and for a class-conditional generator
the share whose predicted class is the class asked for (10 classes x 100 digits). A moving average of G and truncated
noise change only how G is sampled, not how it trains: rows that differ only in them share one training (and its time).

"Self-conditioning" (Liu et al., 2020, "Diverse image generation via self-conditioned GANs") uses no labels: the
training digits are split into 50 k-means clusters (on their first 50 principal components) and G and D are
conditioned on the cluster id, which is then drawn in proportion to the clusters' sizes when sampling. The clustering
time is counted in that row's training time.

Targets (full mode): unconditional (no labels) >= 80 % recognisable with every class >= 5 %; class-conditional
>= 95 % recognisable AND of the class asked for; each in <= 3 minutes of training (wall time on 2 idle CPU cores).

Run (full mode, about 10 minutes on 2 idle cores; writes benchmarks/results/gan.json for benchmarks/report.py):
    LESSONS_DATA_DIR=../shared/data python benchmarks/gan_quality.py
Options: --rows 0,3 (a subset of rows), --steps-scale 0.5, --seed 1, --threads N, --no-save. Quick mode
(LESSONS_QUICK=1) trains a twentieth of the steps, as a smoke test.

Introduced in notebook 06 (a small GAN, trained live).
"""
from __future__ import annotations

import argparse

import numpy as np
import torch
import torch.nn.functional as F

from lessons_lib import full_or_quick, is_quick, load_dataset, seed_everything
from lessons_lib.gan import (EMA, DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator,
                             Stopwatch, cluster_digits, frechet_distance, judge_outputs, load_or_train_judge,
                             measure_digits, sample_clusters, to_signed)

PLAIN = dict(arch="dcgan", width=32, z_dim=64, condition=None, clusters=50, loss="bce", spectral=False, ema=None,
             lr_g=2e-4, lr_d=2e-4, betas=(0.5, 0.999), smooth=1.0, steps=1500, batch=64, truncation=None)
ROWS = [("plain DCGAN", PLAIN)]
for name, change in [("+ moving average of G", dict(ema=0.995)),
                     ("+ hinge loss, spectral norm in D", dict(loss="hinge", spectral=True)),
                     ("+ learning rate 1e-3 for G and D", dict(lr_g=1e-3, lr_d=1e-3)),
                     ("+ self-conditioning on 50 k-means clusters (no labels)", dict(condition="clusters")),
                     ("+ class labels instead of clusters, projection D", dict(condition="labels")),
                     ("+ truncated noise (z within ±1.5)", dict(truncation=1.5))]:
    ROWS.append((name, dict(ROWS[-1][1], **change)))

UNCONDITIONAL_TARGET = "GAN without labels (lesson 06): >= 80 % recognisable, every digit class >= 5 %, <= 3 min training"
CONDITIONAL_TARGET = "class-conditional GAN (lesson 06): >= 95 % recognisable and of the asked class, <= 3 min training"
BUDGET_S = 180.0


def n_conditions(recipe: dict) -> int:
    """How many ids G and D are conditioned on: 0 (none), 10 (the class labels) or the number of clusters."""
    return {None: 0, "labels": 10, "clusters": recipe["clusters"]}[recipe["condition"]]


def make_nets(recipe: dict):
    n_classes = n_conditions(recipe)
    if recipe["arch"] == "dcgan":
        return (DCGANGenerator(recipe["z_dim"], recipe["width"], n_classes),
                DCGANDiscriminator(recipe["width"], n_classes, spectral=recipe["spectral"]))
    return (MLPGenerator(recipe["z_dim"], recipe["width"], n_classes),
            MLPDiscriminator(recipe["width"], n_classes, spectral=recipe["spectral"]))


def d_loss(real_scores, fake_scores, recipe):
    if recipe["loss"] == "hinge":
        return F.relu(1 - real_scores).mean() + F.relu(1 + fake_scores).mean()
    target = torch.full_like(real_scores, recipe["smooth"])
    return (F.binary_cross_entropy_with_logits(real_scores, target)
            + F.binary_cross_entropy_with_logits(fake_scores, torch.zeros_like(fake_scores)))


def g_loss(fake_scores, recipe):
    if recipe["loss"] == "hinge":
        return -fake_scores.mean()
    return F.binary_cross_entropy_with_logits(fake_scores, torch.ones_like(fake_scores))


def noise(n, recipe, generator):
    z = torch.randn(n, recipe["z_dim"], generator=generator)
    if recipe["truncation"]:
        while (far := z.abs() > recipe["truncation"]).any():      # resample until every entry is inside
            z[far] = torch.randn(int(far.sum()), generator=generator)
    return z


SAMPLING_ONLY = ("ema", "truncation")    # options that do not change G's training: rows differing only in them share one


def training_key(recipe: dict) -> tuple:
    return tuple(sorted((k, v) for k, v in recipe.items() if k not in SAMPLING_ONLY))


def train(recipe: dict, x_real: torch.Tensor, y_real: torch.Tensor | None, steps_scale: float = 1.0, seed: int = 0,
          ema_decays=()):
    """Train one recipe; return ({None: G, decay: moving average of G for each of ``ema_decays``}, wall s, CPU s).

    ``y_real``: the ids G and D are conditioned on (class labels or cluster ids; None for neither). A moving average
    only watches G's weights, so one training serves the rows with and without it."""
    seed_everything(seed)
    G, D = make_nets(recipe)
    opt_g = torch.optim.Adam(G.parameters(), recipe["lr_g"], betas=recipe["betas"])
    opt_d = torch.optim.Adam(D.parameters(), recipe["lr_d"], betas=recipe["betas"])
    emas = {decay: EMA(G, decay) for decay in ema_decays}
    generator = torch.Generator().manual_seed(seed)
    steps, batch = max(1, round(recipe["steps"] * steps_scale)), recipe["batch"]
    watch = Stopwatch()
    for step in range(steps):
        idx = torch.randint(len(x_real), (batch,), generator=generator)
        real, labels = x_real[idx], (y_real[idx] if recipe["condition"] else None)
        z = torch.randn(batch, recipe["z_dim"], generator=generator)
        fake = G(z, labels)
        loss_d = d_loss(D(real, labels), D(fake.detach(), labels), recipe)
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = g_loss(D(fake, labels), recipe)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        for ema in emas.values():
            ema.update(G)
    return {None: G.eval(), **{decay: ema.model for decay, ema in emas.items()}}, watch.wall, watch.cpu


@torch.no_grad()
def sample(G, recipe, n=1000, seed=123, clusters=None):
    """``n`` digits from G: 100 of each class for a class-conditional G, cluster ids drawn by the clusters' sizes
    for a self-conditioned one. Returns (images, the class labels asked for or None)."""
    generator = torch.Generator().manual_seed(seed)
    z = noise(n, recipe, generator)
    ids = None
    if recipe["condition"] == "labels":
        ids = torch.arange(n) % 10
    elif recipe["condition"] == "clusters":
        if clusters is None:
            raise ValueError("a self-conditioned recipe needs the training digits' cluster ids (clusters=...)")
        ids = sample_clusters(clusters, n, generator)
    G.eval()
    return G(z, ids), (ids if recipe["condition"] == "labels" else None)


def contract_rows(results: list[tuple[str, dict, object, float]], device: str) -> list[dict]:
    """benchmarks/results/gan.json rows: the best row towards each target (recognisable share, time in the note)."""
    rows = []
    for target, conditional in ((UNCONDITIONAL_TARGET, False), (CONDITIONAL_TARGET, True)):
        candidates = [r for r in results if (r[1]["condition"] == "labels") == conditional]
        if not candidates:
            continue
        name, recipe, q, wall = max(candidates, key=lambda r: r[2].recognisable)
        met = (q.recognisable >= 0.95 and q.asked_class >= 0.95 if conditional
               else q.recognisable >= 0.80 and q.class_shares.min() >= 0.05) and wall <= BUDGET_S
        note = (f"row '{name}': smallest class {100 * q.class_shares.min():.1f} %"
                + (f", {100 * q.asked_class:.1f} % of the asked class" if conditional else "")
                + f", {wall:.0f} s of training (wall)")
        rows.append({"target": target, "measured": round(100 * q.recognisable, 1), "unit": "% recognisable",
                     "met": bool(met), "device": device, "limit": 95.0 if conditional else 80.0, "better": "higher",
                     "lesson": "06", "note": note})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", default=",".join(str(i) for i in range(len(ROWS))))
    parser.add_argument("--steps-scale", type=float, default=full_or_quick(1.0, 0.05))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="PyTorch CPU threads (default: PyTorch's choice)")
    parser.add_argument("--no-save", action="store_true", help="do not write benchmarks/results/gan.json")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    row_ids = [int(i) for i in args.rows.split(",")]
    if any(not 0 <= i < len(ROWS) for i in row_ids):
        raise SystemExit(f"rows must be in 0..{len(ROWS) - 1}, got {args.rows}")
    data = load_dataset("mnist")
    judge, cached = load_or_train_judge(data, epochs=2, progress=False)
    x_real, y_real = to_signed(data["x_train"]), torch.as_tensor(data["y_train"]).long()
    real_a = judge_outputs(judge, data["x_test"][:1000])[1]
    real_b = judge_outputs(judge, data["x_test"][1000:2000])[1]
    import report                                                       # benchmarks/report.py, beside this script

    device = report.device_label("cpu")                                 # the benchmark trains on the CPU
    print(f"judge ({'cached' if cached else 'trained now'}); real-vs-real Fréchet floor: {frechet_distance(real_a, real_b):.1f}")
    print(f"seed {args.seed}; steps x {args.steps_scale}; torch threads {torch.get_num_threads()}\n")
    print("| recipe | recognisable % | smallest class % (digit) | of the asked class % | Fréchet | train s (wall) | train s (CPU) |")
    print("|---|---|---|---|---|---|---|")
    watch = Stopwatch()
    clusters = cluster_digits(x_real, k=PLAIN["clusters"], seed=args.seed)        # no labels used
    cluster_wall, cluster_cpu = watch.wall, watch.cpu
    trained, results = {}, []
    for i in row_ids:
        name, recipe = ROWS[i]
        key = training_key(recipe)
        ids = {None: None, "labels": y_real, "clusters": clusters}[recipe["condition"]]
        if key not in trained:
            decays = sorted({ROWS[j][1]["ema"] for j in row_ids if training_key(ROWS[j][1]) == key and ROWS[j][1]["ema"]})
            generators, wall, cpu = train(recipe, x_real, ids, args.steps_scale, args.seed, decays)
            if recipe["condition"] == "clusters":                  # the clustering is part of that recipe's cost
                wall, cpu = wall + cluster_wall, cpu + cluster_cpu
            trained[key] = generators, wall, cpu
        generators, wall, cpu = trained[key]
        images, labels = sample(generators[recipe["ema"]], recipe, clusters=clusters)
        q = measure_digits(judge, images, real_a, asked=labels)
        results.append((name, recipe, q, wall))
        asked = "" if q.asked_class is None else f"{100 * q.asked_class:.1f}"
        smallest = int(np.argmin(q.class_shares))
        print(f"| {name} | {100 * q.recognisable:.1f} | {100 * q.class_shares[smallest]:.1f} ({smallest}) | {asked} | "
              f"{q.frechet:.1f} | {wall:.0f} | {cpu:.0f} |", flush=True)
    if not args.no_save and not is_quick() and args.steps_scale == 1.0:
        print("\nwrote", report.write_results("gan", contract_rows(results, device)))


if __name__ == "__main__":
    main()
