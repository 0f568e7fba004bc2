"""Benchmark: how recognisable are the digits a small GAN makes in at most 3 minutes of training on 2 CPU cores?

Each row of the table adds one idea to the row above it (cumulative), same data and seed; the number of
training steps is part of each recipe, and each row's training time is printed beside its numbers. Every
generator is measured by notebook 06's judge (a digit classifier, >= 99 % on the MNIST test set) on 1,000 digits:
the share it classifies with p >= 0.9 ("recognisable"), the smallest share of a digit class, the Fréchet distance
of its features to 1,000 real test digits (real-vs-real floor printed first), and for a class-conditional generator
the share whose predicted class is the class asked for (10 classes x 100 digits). A moving average of G and truncated
noise change only how G is sampled, not how it trains: rows that differ only in them share one training (and its time).

Targets (full mode): unconditional >= 80 % recognisable with every class >= 5 %; class-conditional >= 95 %
recognisable AND of the class asked for.

Run (full mode):
    LESSONS_DATA_DIR=/work/shared/data python benchmarks/gan_quality.py
Options: --rows 0,3 (a subset of rows), --steps-scale 0.5, --seed 1, --threads N. Quick mode (LESSONS_QUICK=1)
trains a twentieth of the steps, as a smoke test.

Introduced in notebook 06 (a small GAN, trained live).
"""
from __future__ import annotations

import argparse

import numpy as np
import torch
import torch.nn.functional as F

from lessons_lib import full_or_quick, load_dataset, seed_everything
from lessons_lib.gan import (EMA, DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator,
                             Stopwatch, judge_outputs, load_or_train_judge, measure_digits, frechet_distance,
                             to_signed)

PLAIN = dict(arch="dcgan", width=32, z_dim=64, conditional=False, loss="bce", spectral=False, ema=None,
             lr_g=2e-4, lr_d=2e-4, betas=(0.5, 0.999), smooth=1.0, steps=1500, batch=64, truncation=None)
ROWS = [("plain DCGAN", PLAIN)]
for name, change in [("+ moving average of G", dict(ema=0.995)),
                     ("+ hinge loss, spectral norm in D", dict(loss="hinge", spectral=True)),
                     ("+ class-conditional G, projection D", dict(conditional=True)),
                     ("+ truncated noise (z within ±1.5)", dict(truncation=1.5)),
                     ("+ learning rate 1e-3 for G and D", dict(lr_g=1e-3, lr_d=1e-3))]:
    ROWS.append((name, dict(ROWS[-1][1], **change)))


def make_nets(recipe: dict):
    n_classes = 10 if recipe["conditional"] else 0
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


def train(recipe: dict, x_real: torch.Tensor, y_real: torch.Tensor, steps_scale: float = 1.0, seed: int = 0,
          ema_decays=()):
    """Train one recipe; return ({None: G, decay: moving average of G for each of ``ema_decays``}, wall s, CPU s).

    A moving average only watches G's weights, so one training serves the rows with and without it."""
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
        real, labels = x_real[idx], (y_real[idx] if recipe["conditional"] else None)
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
def sample(G, recipe, n=1000, seed=123):
    generator = torch.Generator().manual_seed(seed)
    z = noise(n, recipe, generator)
    labels = torch.arange(n) % 10 if recipe["conditional"] else None
    G.eval()
    return G(z, labels), labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", default=",".join(str(i) for i in range(len(ROWS))))
    parser.add_argument("--steps-scale", type=float, default=full_or_quick(1.0, 0.05))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0)
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
    print(f"judge ({'cached' if cached else 'trained now'}); real-vs-real Fréchet floor: {frechet_distance(real_a, real_b):.1f}")
    print(f"seed {args.seed}; steps x {args.steps_scale}; torch threads {torch.get_num_threads()}\n")
    print("| recipe | recognisable % | smallest class % (digit) | of the asked class % | Fréchet | train s (wall) | train s (CPU) |")
    print("|---|---|---|---|---|---|---|")
    trained = {}
    for i in row_ids:
        name, recipe = ROWS[i]
        key = training_key(recipe)
        if key not in trained:
            decays = sorted({ROWS[j][1]["ema"] for j in row_ids if training_key(ROWS[j][1]) == key and ROWS[j][1]["ema"]})
            trained[key] = train(recipe, x_real, y_real, args.steps_scale, args.seed, decays)
        generators, wall, cpu = trained[key]
        images, labels = sample(generators[recipe["ema"]], recipe)
        q = measure_digits(judge, images, real_a, asked=labels)
        asked = "" if q.asked_class is None else f"{100 * q.asked_class:.1f}"
        smallest = int(np.argmin(q.class_shares))
        print(f"| {name} | {100 * q.recognisable:.1f} | {100 * q.class_shares[smallest]:.1f} ({smallest}) | {asked} | "
              f"{q.frechet:.1f} | {wall:.0f} | {cpu:.0f} |", flush=True)


if __name__ == "__main__":
    main()
