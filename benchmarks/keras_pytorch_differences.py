"""Why is Keras's walkthrough run ahead of PyTorch's after the same number of steps? One difference at a time.

Lesson 07 trains the walkthrough's network with the same recipe in Keras 3 (on PyTorch) and in PyTorch, and the Keras
run is ahead after its first epoch. Three things differ besides the random numbers (issue 29):
- the initialisation: Keras starts every Conv2D and Dense from Glorot-uniform weights and zero biases, PyTorch from
  Kaiming-uniform (a = √5) weights and uniform biases (``models.init_glorot_`` gives PyTorch Keras's);
- RMSprop's ε: Keras divides by √(v + ε), PyTorch by √v + ε (``RMSpropEpsilonInside`` below is Keras's rule);
- the augmentation: Keras 3's preprocessing layers (``mnist.keras_augmentation_layers``) vs lesson 07's batched
  affine warp (``mnist.augment``), with the same ranges.
Each row changes ONE of them in the PyTorch run (then all three together, then Keras itself) and trains the same
number of steps on the same images: STEPS batches of BATCH from the walkthrough's training split, learning rate
1e-3, no schedule (the plateau annealer cannot act within one epoch), then the accuracy on the 10,000 test digits.
Every row runs with the same seeds (default 0, 1, 2): the table gives the mean, the lowest and the highest.

    python benchmarks/keras_pytorch_differences.py [--seeds 0,1,2] [--threads 2] [--steps 100] [--no-save]

Writes benchmarks/results/keras_pytorch_differences.json; lesson 07 quotes its table (tests/test_mnist.py keeps the
quote and the file in step). About 20 minutes on 2 CPU cores. Introduced in notebook 07 (MNIST end to end).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from lessons_lib import mnist, seed_everything
from lessons_lib.models import init_glorot_
from lessons_lib.training import channels_last
from mnist_time_to_accuracy import walkthrough_split

RESULTS = Path(__file__).resolve().parent / "results" / "keras_pytorch_differences.json"
STEPS, BATCH = 100, 256
ROWS = [
    ("PyTorch as in the lesson", {}),
    ("only the initialisation: Glorot-uniform, zero biases", {"glorot": True}),
    ("only RMSprop's ε inside the square root", {"epsilon_inside": True}),
    ("only the augmentation: Keras's preprocessing layers", {"keras_augmentation": True}),
    ("all three", {"glorot": True, "epsilon_inside": True, "keras_augmentation": True}),
    ("Keras 3 on PyTorch (model.fit)", {"keras": True}),
]
HEADER = "| run (each changes one thing) | test accuracy %, mean | lowest | highest | seeds |"


class RMSpropEpsilonInside(torch.optim.Optimizer):
    """RMSprop as Keras 3 computes it (no momentum, not centred): v ← ρ·v + (1 − ρ)·g²; w ← w − lr·g / √(v + ε)."""

    def __init__(self, params, lr: float = 1e-3, rho: float = 0.9, eps: float = 1e-8):
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps})

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                v = self.state[p].setdefault("v", torch.zeros_like(p))
                v.mul_(group["rho"]).addcmul_(p.grad, p.grad, value=1 - group["rho"])
                p.addcdiv_(p.grad, (v + group["eps"]).sqrt(), value=-group["lr"])


def keras_augmenter(keras, seed: int):
    layers = keras.Sequential(mnist.keras_augmentation_layers(keras, **mnist.WALKTHROUGH_AUGMENTATION, seed=seed))

    def augment(xb: torch.Tensor) -> torch.Tensor:            # (N, 1, 28, 28) → Keras's (N, 28, 28, 1) and back
        return torch.as_tensor(layers(xb.permute(0, 2, 3, 1), training=True)).permute(0, 3, 1, 2).contiguous()

    return augment


def train_pytorch(change: dict, x, y, seed: int) -> torch.nn.Module:
    seed_everything(seed)
    model = mnist.walkthrough_net()
    if change.get("glorot"):
        init_glorot_(model)
    optimizer = (RMSpropEpsilonInside(model.parameters()) if change.get("epsilon_inside")
                 else torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-8))
    if change.get("keras_augmentation"):
        from lessons_lib.keras_interop import import_keras

        keras = import_keras()
        keras.utils.set_random_seed(seed)
        augment = keras_augmenter(keras, seed)
    else:
        generator = torch.Generator().manual_seed(seed)
        augment = lambda xb: mnist.augment(xb, generator=generator, **mnist.WALKTHROUGH_AUGMENTATION)  # noqa: E731
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    model.train()
    with channels_last(model):
        for step in range(STEPS):
            index = order[step * BATCH:(step + 1) * BATCH]
            loss = F.cross_entropy(model(augment(x[index])), y[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    return model


def keras_accuracy(x, y, x_test, y_test, seed: int) -> float:
    from lessons_lib.keras_interop import import_keras

    keras = import_keras()
    keras.utils.set_random_seed(seed)
    model = mnist.walkthrough_keras_model(keras, augmentation=dict(mnist.WALKTHROUGH_AUGMENTATION, seed=seed))
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3, rho=0.9, epsilon=1e-8),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    channels_last_images = lambda images: np.asarray(images).transpose(0, 2, 3, 1)   # noqa: E731
    model.fit(channels_last_images(x), np.asarray(y), batch_size=BATCH, epochs=1, shuffle=True, verbose=0)
    predicted = model.predict(channels_last_images(x_test), batch_size=1000, verbose=0).argmax(1)
    return float(np.mean(predicted == np.asarray(y_test)))


def run(name: str, change: dict, data, seed: int) -> float:
    x_train, y_train, _, _, x_test, y_test = data
    x, y = torch.as_tensor(x_train[:STEPS * BATCH]), torch.as_tensor(y_train[:STEPS * BATCH])
    if change.get("keras"):
        return keras_accuracy(x, y, x_test, y_test, seed)
    return mnist.accuracy(train_pytorch(change, x, y, seed), x_test, y_test)


def table_lines(results: dict) -> list[str]:
    lines = [HEADER, "|---|---|---|---|---|"]
    for name, _ in ROWS:
        values = 100 * np.array(results[name])
        lines.append(f"| {name} | {values.mean():.1f} | {values.min():.1f} | {values.max():.1f} | {len(values)} |")
    return lines


def main() -> None:
    global STEPS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds, the same for every row")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=STEPS, help="training steps per run (a smaller number: a trial)")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    STEPS = args.steps
    torch.set_num_threads(args.threads)
    seeds = [int(s) for s in args.seeds.split(",")]
    data = walkthrough_split()
    results, started = {}, time.perf_counter()
    for name, change in ROWS:
        results[name] = [run(name, change, data, seed) for seed in seeds]
        print(f"{name}: {[round(100 * a, 2) for a in results[name]]} ({time.perf_counter() - started:.0f} s)",
              flush=True)
    print("\n".join(table_lines(results)))
    if not args.no_save:
        RESULTS.write_text(json.dumps({"steps": STEPS, "batch_size": BATCH, "seeds": seeds, "threads": args.threads,
                                       "accuracy": results, "seconds": round(time.perf_counter() - started)},
                                      indent=1) + "\n")
        print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
