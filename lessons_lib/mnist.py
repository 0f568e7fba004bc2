"""MNIST end to end: the Kaggle walkthrough's network and recipe in PyTorch (and Keras 3), augmentation as batched
affine warps on the device, a timed training loop for time-to-accuracy, the walkthrough's ``display_errors`` and
Kaggle's submission file.

Every helper here was introduced in notebook 07 (MNIST end to end); benchmarks/mnist_time_to_accuracy.py uses the
same functions, so the notebook and the benchmark cannot drift apart.
"""
from __future__ import annotations

import csv
import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from . import settings
from .models import eval_mode
from .validation import positive_int
from .training import History, channels_last

# The walkthrough's ImageDataGenerator: rotation_range=12, zoom_range=0.10, width/height_shift_range=0.15, no flips.
WALKTHROUGH_AUGMENTATION = {"rotation_degrees": 12.0, "zoom": 0.10, "shift": 0.15}


def walkthrough_net() -> nn.Sequential:
    """The walkthrough's CNN in PyTorch: [[Conv 3×3 'same' → ReLU] × 2 → MaxPool → Dropout 0.2] × 3 (32, 64, 128
    maps) → Flatten (128·3·3) → Dense 512 → Dropout 0.25 → Dense 256 → Dropout 0.25 → 10 logits.

    Input (N, 1, 28, 28) in [0, 1]. The softmax of the Keras model is left to the loss (``cross_entropy``).
    """
    def block(c_in: int, c_out: int) -> list[nn.Module]:
        return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(), nn.Conv2d(c_out, c_out, 3, padding=1), nn.ReLU(),
                nn.MaxPool2d(2), nn.Dropout(0.2)]

    return nn.Sequential(*block(1, 32), *block(32, 64), *block(64, 128), nn.Flatten(),
                         nn.Linear(128 * 3 * 3, 512), nn.ReLU(), nn.Dropout(0.25),
                         nn.Linear(512, 256), nn.ReLU(), nn.Dropout(0.25), nn.Linear(256, 10))


def walkthrough_keras_model(keras, augmentation: dict | None = None):
    """The walkthrough's CNN as a Keras 3 ``Sequential`` (channels last, input (28, 28, 1), softmax output).

    ``keras`` is the module from ``keras_interop.import_keras()``. With ``augmentation`` (e.g.
    ``WALKTHROUGH_AUGMENTATION``) the model starts with Keras 3's preprocessing layers, which replace the removed
    ``ImageDataGenerator``: they transform each training batch and pass inputs through unchanged at inference.
    """
    layers = keras.layers
    stack = [keras.Input((28, 28, 1))]
    if augmentation:
        stack += keras_augmentation_layers(keras, **augmentation)
    for filters in (32, 64, 128):
        stack += [layers.Conv2D(filters, (3, 3), padding="same", activation="relu"),
                  layers.Conv2D(filters, (3, 3), padding="same", activation="relu"),
                  layers.MaxPool2D((2, 2)), layers.Dropout(0.2)]
    stack += [layers.Flatten(), layers.Dense(512, activation="relu"), layers.Dropout(0.25),
              layers.Dense(256, activation="relu"), layers.Dropout(0.25), layers.Dense(10, activation="softmax")]
    return keras.Sequential(stack)


def keras_augmentation_layers(keras, rotation_degrees: float, zoom: float, shift: float, seed: int = 0) -> list:
    """Keras 3's replacement for ``ImageDataGenerator(rotation_range, zoom_range, width/height_shift_range)``.

    ``RandomRotation`` takes a fraction of a full turn (12° = 12/360), ``RandomZoom`` a fraction of the size
    (its ±10 % keeps the aspect ratio, where ImageDataGenerator zoomed each axis on its own), ``RandomTranslation``
    a fraction of height and width. Empty pixels are filled with 0 (the digits' black background).
    """
    layers = keras.layers
    return [layers.RandomRotation(rotation_degrees / 360.0, fill_mode="constant", seed=seed),
            layers.RandomZoom((-zoom, zoom), fill_mode="constant", seed=seed + 1),
            layers.RandomTranslation((-shift, shift), (-shift, shift), fill_mode="constant", seed=seed + 2)]


# --- augmentation: one batched affine warp on the device -------------------------------------------------------

def random_affine_matrices(n: int, rotation_degrees: float = 12.0, zoom: float = 0.10, shift: float = 0.15,
                           generator: torch.Generator | None = None, device=None) -> torch.Tensor:
    """``n`` random affine maps as ``affine_grid``'s (n, 2, 3) matrices: rotation in ±``rotation_degrees``, each
    axis zoomed by a factor in [1 − zoom, 1 + zoom], shifts up to ±``shift`` of the width and of the height.

    ``affine_grid`` asks, for every OUTPUT pixel, where to read in the input (coordinates in [−1, 1]), so the
    matrix is the inverse of the move: to scale by s, rotate by a and shift by t, read at
    ``diag(1/s) · R(−a) · (p − 2t)`` (2t because the image spans 2 units).
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int (the batch size), got {n!r}")
    for name, value, limit in (("rotation_degrees", rotation_degrees, 180), ("zoom", zoom, 0.99), ("shift", shift, 1)):
        if not 0 <= value <= limit:
            raise ValueError(f"{name} must be in [0, {limit}], got {value!r}")
    uniform = torch.rand(n, 5, generator=generator, device=generator.device if generator is not None else None)
    uniform = (2 * uniform - 1).to(device) if device is not None else 2 * uniform - 1      # in [-1, 1)
    angle = uniform[:, 0] * math.radians(rotation_degrees)
    scale_x, scale_y = 1 + zoom * uniform[:, 1], 1 + zoom * uniform[:, 2]
    shift_x, shift_y = shift * uniform[:, 3], shift * uniform[:, 4]
    cos, sin = torch.cos(angle), torch.sin(angle)
    # inverse rotation R(-a) = [[cos, sin], [-sin, cos]], then divide each row by its axis's scale
    linear = torch.stack([torch.stack([cos, sin], -1) / scale_x[:, None],
                          torch.stack([-sin, cos], -1) / scale_y[:, None]], dim=1)        # (n, 2, 2)
    offset = -(linear @ torch.stack([2 * shift_x, 2 * shift_y], -1)[:, :, None])          # (n, 2, 1)
    return torch.cat([linear, offset], dim=2)


def warp(images: torch.Tensor, matrices: torch.Tensor) -> torch.Tensor:
    """Warp a batch (N, C, H, W) by (N, 2, 3) affine matrices in one call (``affine_grid`` + ``grid_sample``,
    bilinear, zeros outside the image). Runs on whatever device the images are on.
    """
    if not isinstance(images, torch.Tensor) or images.ndim != 4:
        shape = tuple(images.shape) if hasattr(images, "shape") else type(images).__name__
        raise ValueError(f"expected a (N, C, H, W) image batch, got {shape}; add a channel axis with x[:, None]")
    if tuple(matrices.shape) != (len(images), 2, 3):
        raise ValueError(f"expected ({len(images)}, 2, 3) affine matrices for {len(images)} images, "
                         f"got {tuple(matrices.shape)}")
    grid = F.affine_grid(matrices.to(images.dtype), list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def augment(images: torch.Tensor, rotation_degrees: float = 12.0, zoom: float = 0.10, shift: float = 0.15,
            generator: torch.Generator | None = None) -> torch.Tensor:
    """The walkthrough's augmentation for a whole batch at once: ``warp(images, random_affine_matrices(...))``."""
    matrices = random_affine_matrices(len(images), rotation_degrees, zoom, shift, generator=generator,
                                      device=images.device)
    return warp(images, matrices)


# --- recipes and a timed training loop ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Recipe:
    """How to train: optimiser, learning-rate schedule, batch size, epochs, augmentation.

    ``schedule`` is ``"plateau"`` (ReduceLROnPlateau on validation accuracy, the walkthrough's annealer) or
    ``"one_cycle"`` (``torch.optim.lr_scheduler.OneCycleLR``: warm up to ``lr``, then anneal to ~0).
    """

    name: str
    optimizer: str = "rmsprop"            # "rmsprop" | "adam" | "sgd"
    lr: float = 1e-3
    batch_size: int = 512
    epochs: int = 10
    schedule: str = "plateau"             # "plateau" | "one_cycle"
    augmentation: dict | None = field(default_factory=lambda: dict(WALKTHROUGH_AUGMENTATION))
    label_smoothing: float = 0.0
    weight_decay: float = 0.0

    def with_changes(self, **changes) -> "Recipe":
        """A copy with some fields changed: ``recipe.with_changes(epochs=2)``."""
        return replace(self, **changes)


WALKTHROUGH_RECIPE = Recipe("walkthrough (RMSprop, plateau, augmented)")
FAST_RECIPE = Recipe("fast (BatchNorm, one-cycle)", optimizer="sgd", lr=0.1, batch_size=128, epochs=3,
                     schedule="one_cycle", augmentation={"rotation_degrees": 8.0, "zoom": 0.05, "shift": 0.08},
                     label_smoothing=0.1, weight_decay=5e-4)


def make_optimizer(model: nn.Module, recipe: Recipe) -> torch.optim.Optimizer:
    """The recipe's optimiser; RMSprop uses the walkthrough's rho 0.9 (PyTorch calls it ``alpha``) and eps 1e-8."""
    if recipe.optimizer == "rmsprop":
        return torch.optim.RMSprop(model.parameters(), lr=recipe.lr, alpha=0.9, eps=1e-8,
                                   weight_decay=recipe.weight_decay)
    if recipe.optimizer == "adam":
        return torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=recipe.lr, momentum=0.9, nesterov=True,
                               weight_decay=recipe.weight_decay)
    raise ValueError(f"optimizer must be 'rmsprop', 'adam' or 'sgd', got {recipe.optimizer!r}")


def _as_batch(images, labels=None, device=None) -> tuple[torch.Tensor, torch.Tensor | None]:
    x = torch.as_tensor(images)
    if not torch.is_floating_point(x):
        raise TypeError(f"expected float images in [0, 1], got dtype {x.dtype}; scale them first, e.g. x / 255.0")
    if x.ndim != 4 or x.shape[1] != 1:
        raise ValueError(f"expected a (N, 1, 28, 28) batch (channels first), got {tuple(x.shape)}; "
                         f"reshape with x.reshape(-1, 1, 28, 28)")
    y = None if labels is None else torch.as_tensor(np.asarray(labels)).long().to(device)
    if y is not None and y.shape != (len(x),):
        raise ValueError(f"expected {len(x)} labels, got shape {tuple(y.shape)}")
    return x.float().to(device), y


@torch.no_grad()
def accuracy(model: nn.Module, images, labels, batch_size: int = 1000) -> float:
    """Top-1 accuracy of ``model`` on (N, 1, 28, 28) float images, in eval mode, batch by batch."""
    device = next(model.parameters()).device
    x, y = _as_batch(images, labels, device)
    with eval_mode(model), channels_last(model):
        correct = sum(int((model(x[i:i + batch_size]).argmax(1) == y[i:i + batch_size]).sum())
                      for i in range(0, len(x), batch_size))
    return correct / len(x)


@torch.no_grad()
def predict_probabilities(model: nn.Module, images, batch_size: int = 1000) -> np.ndarray:
    """Softmax probabilities (N, 10) of a model that returns logits, in eval mode."""
    device = next(model.parameters()).device
    x, _ = _as_batch(images, None, device)
    with eval_mode(model), channels_last(model):
        out = torch.cat([model(x[i:i + batch_size]).softmax(1).cpu() for i in range(0, len(x), batch_size)])
    return out.numpy()


@torch.no_grad()
def averaged_probabilities(models, images, views: int = 0, augmentation: dict | None = None, seed: int = 0,
                           batch_size: int = 1000) -> np.ndarray:
    """Softmax probabilities (N, 10) averaged over several models (an ensemble) and, with ``views`` > 0, over that
    many randomly warped copies of every image besides the image itself (test-time augmentation, with the ranges of
    ``augmentation``, e.g. the recipe's; the warps come from ``seed``, so the answer is repeatable).

    ``models``: one model or a list of them, each returning logits. Introduced in notebook 07 (MNIST end to end)
    for ``benchmarks/mnist_beat_walkthrough.py``'s rows with test-time augmentation and ensembles.
    """
    models = list(models) if isinstance(models, (list, tuple)) else [models]
    if not models:
        raise ValueError("models must be a model or a non-empty list of models")
    views = positive_int("views", views, allow_zero=True)
    if views and not augmentation:
        raise ValueError("test-time augmentation (views > 0) needs the warp's ranges: pass augmentation=recipe.augmentation")
    device = next(models[0].parameters()).device
    x, _ = _as_batch(images, None, device)
    generator = torch.Generator(device=device).manual_seed(seed)
    total = torch.zeros(len(x), 10, device=device)
    batches = [x[i:i + batch_size] for i in range(0, len(x), batch_size)]
    for view in range(views + 1):
        warped = batches if view == 0 else [augment(b, generator=generator, **augmentation) for b in batches]
        for model in models:
            with eval_mode(model), channels_last(model):
                total += torch.cat([model(b).softmax(1) for b in warped])
    return (total / (len(models) * (views + 1))).cpu().numpy()


def recipe_step(make_model, recipe: Recipe, x_train, y_train, device=None, seed: int = 0):
    """One training step of ``train_recipe``'s kind on a throwaway model ``make_model()`` (augmentation when the
    recipe has it, forward, loss with the recipe's label smoothing, backward, the recipe's optimizer step, conv
    kernels channels-last), on the first ``recipe.batch_size`` images: the ``step`` that ``training.estimate_time``
    times, so the time a lesson announces before training is measured past the first call's costs (issue 29: the
    single first call, timed alone, announced 2-3x the real time)."""
    device = torch.device(device) if device is not None else torch.device("cpu")
    x, y = _as_batch(x_train[:recipe.batch_size], y_train[:recipe.batch_size], device)
    model = make_model().to(device)
    optimizer = make_optimizer(model, recipe)
    generator = torch.Generator(device=device).manual_seed(seed)

    def step():
        with channels_last(model):
            xb = augment(x, generator=generator, **recipe.augmentation) if recipe.augmentation else x
            loss = F.cross_entropy(model(xb), y, label_smoothing=recipe.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    return step


def train_recipe(model: nn.Module, recipe: Recipe, x_train, y_train, x_val, y_val, x_test=None, y_test=None,
                 device=None, seed: int = 0, time_budget: float | None = None, progress: bool = True) -> History:
    """Train ``model`` with ``recipe``; returns a ``History`` with, per epoch, train loss/accuracy, val_accuracy
    (unless ``x_val`` is None: a one-cycle schedule needs no validation split), test_accuracy (when test labels are given), lr and ``seconds`` — cumulative TRAINING time, evaluation excluded
    (the clock time-to-accuracy is measured on).

    The data (N, 1, 28, 28) in [0, 1] is moved to ``device`` once; each step takes a shuffled batch, warps it on
    the device when the recipe augments, and steps the schedule (per step for one-cycle, per epoch on validation
    accuracy for the plateau annealer). As in the walkthrough, an epoch is N // batch_size full batches.
    ``time_budget`` (seconds) stops after the first epoch that ends past it. While it trains, the conv kernels lie
    in ``training.channels_last`` memory order (faster on CPU, the usual order again when it returns). Under
    ``LESSONS_UNTRAINED=1`` the batches only go forward (no gradient, no step, no schedule), as in ``training.fit``.
    """
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model.to(device)
    x, y = _as_batch(x_train, y_train, device)
    steps = len(x) // recipe.batch_size
    if steps < 1:
        raise ValueError(f"batch size {recipe.batch_size} is larger than the {len(x)} training images")
    optimizer = make_optimizer(model, recipe)
    if recipe.schedule == "one_cycle":
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=recipe.lr, total_steps=recipe.epochs * steps)
    elif recipe.schedule == "plateau":
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", patience=3, factor=0.8,
                                                               min_lr=1e-6)
    else:
        raise ValueError(f"schedule must be 'plateau' or 'one_cycle', got {recipe.schedule!r}")
    if x_val is None and recipe.schedule == "plateau":
        raise ValueError("the plateau schedule steps on validation accuracy: pass x_val and y_val, or use one_cycle")
    generator = torch.Generator(device=device).manual_seed(seed)
    history, clock = History(), 0.0
    learning = not settings.UNTRAINED      # LESSONS_UNTRAINED=1 (a test): forward only, as in training.fit
    bar = tqdm(total=recipe.epochs * steps, desc=recipe.name, unit="batch", disable=not progress)
    with channels_last(model):      # conv kernels in the memory order fastest on CPU (training.channels_last)
        for epoch in range(1, recipe.epochs + 1):
            model.train()
            started = time.perf_counter()
            order = torch.randperm(len(x), generator=generator, device=device)
            total_loss = torch.zeros((), device=device)
            correct = torch.zeros((), device=device, dtype=torch.long)
            for step in range(steps):
                index = order[step * recipe.batch_size:(step + 1) * recipe.batch_size]
                xb, yb = x[index], y[index]
                if recipe.augmentation:
                    xb = augment(xb, generator=generator, **recipe.augmentation)
                with torch.set_grad_enabled(learning):
                    logits = model(xb)
                    loss = F.cross_entropy(logits, yb, label_smoothing=recipe.label_smoothing)
                if learning:
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    optimizer.step()
                    if recipe.schedule == "one_cycle":
                        scheduler.step()
                total_loss += loss.detach()
                correct += (logits.argmax(1) == yb).sum()
                bar.update(1)
            if device.type == "cuda":
                torch.cuda.synchronize()
            clock += time.perf_counter() - started
            lr = optimizer.param_groups[0]["lr"]
            row = {"loss": float(total_loss) / steps, "accuracy": int(correct) / (steps * recipe.batch_size),
                   "lr": lr, "seconds": clock}
            if x_val is not None:
                row["val_accuracy"] = val = accuracy(model, x_val, y_val)
                if recipe.schedule == "plateau":
                    scheduler.step(val)
            if x_test is not None and y_test is not None:
                row["test_accuracy"] = accuracy(model, x_test, y_test)
            history.log(**row)
            bar.set_postfix(epoch=epoch, seconds=f"{clock:.0f}",
                            **({"val_acc": f"{row['val_accuracy']:.4f}"} if x_val is not None else {}))
            if time_budget is not None and clock >= time_budget:
                break
    bar.close()
    history.seconds = clock
    return history


def seconds_to_reach(history: History, target: float, metric: str = "test_accuracy") -> float | None:
    """Training seconds at the end of the first epoch whose ``metric`` reached ``target``; None if it never did."""
    for seconds, value in zip(history.metrics.get("seconds", []), history.metrics.get(metric, [])):
        if value >= target:
            return seconds
    return None


def keras_timed_fit(model, x_train, y_train, x_val, y_val, x_test=None, y_test=None, epochs: int = 1,
                    batch_size: int = 512, progress: bool = True) -> History:
    """Train a compiled Keras model with the walkthrough's annealer and time it like ``train_recipe``.

    Inputs channels last (N, 28, 28, 1) in [0, 1], integer labels (use ``sparse_categorical_crossentropy``).
    ``ReduceLROnPlateau(monitor="val_accuracy", patience=3, factor=0.8, min_lr=1e-6)`` — the walkthrough's
    ``'val_acc'`` is called ``'val_accuracy'`` in Keras 3. Returns a ``History`` like ``train_recipe``'s.
    """
    from .keras_interop import import_keras

    keras = import_keras()
    history = History()

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            history.seconds += time.perf_counter() - self.started     # includes Keras's own validation pass
            row = {"loss": logs["loss"], "accuracy": logs["accuracy"], "val_accuracy": logs["val_accuracy"],
                   "seconds": history.seconds}
            if x_test is not None and y_test is not None:
                row["test_accuracy"] = float(np.mean(model.predict(x_test, batch_size=1000, verbose=0).argmax(1)
                                                     == np.asarray(y_test)))
            history.log(**row)

    annealer = keras.callbacks.ReduceLROnPlateau(monitor="val_accuracy", patience=3, factor=0.8, min_lr=1e-6)
    steps = len(x_train) // batch_size
    callbacks = [annealer, Clock()]
    if progress:      # one tqdm bar per epoch and batch, not Keras's verbose=1 (tens of lines in a saved notebook)
        from tqdm.keras import TqdmCallback       # imports keras: only after import_keras has chosen the backend

        callbacks.append(TqdmCallback(verbose=1))
    model.fit(x_train[:steps * batch_size], y_train[:steps * batch_size], batch_size=batch_size, epochs=epochs,
              validation_data=(x_val, y_val), callbacks=callbacks, verbose=0)
    return history


def plot_time_to_accuracy(histories: dict, targets=(0.99, 0.994), title: str = ""):
    """Test accuracy (y) against training seconds (x), one line per run, with dashed target lines."""
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for name, history in histories.items():
        metric = "test_accuracy" if "test_accuracy" in history.metrics else "val_accuracy"
        ax.plot(history.metrics["seconds"], np.array(history.metrics[metric]) * 100, "-o", label=name)
    for target in targets:
        ax.axhline(target * 100, ls="--", color="gray", lw=0.8)
    ax.set_xlabel("training seconds (evaluation not counted)")
    ax.set_ylabel("test accuracy (%)")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title or "time to accuracy")
    fig.tight_layout()
    return fig


# --- looking at the errors; the submission file -----------------------------------------------------------------

def most_confident_mistakes(probabilities, y_true, k: int = 6) -> np.ndarray:
    """Indices of the ``k`` mistakes where p(predicted) − p(true label) is largest, worst first (the walkthrough's
    ``most_important_errors``). ``probabilities`` (N, classes), ``y_true`` (N,)."""
    probabilities, y_true = np.asarray(probabilities), np.asarray(y_true).astype(int)
    if probabilities.ndim != 2 or len(probabilities) != len(y_true):
        raise ValueError(f"expected probabilities (N, classes) and N labels, got {probabilities.shape} and "
                         f"{y_true.shape}")
    predicted = probabilities.argmax(1)
    wrong = np.flatnonzero(predicted != y_true)
    delta = probabilities[wrong, predicted[wrong]] - probabilities[wrong, y_true[wrong]]
    return wrong[np.argsort(-delta, kind="stable")[:k]]


def display_errors(images, indices, predicted, true, probabilities=None):
    """The walkthrough's ``display_errors``: each image of ``indices`` with its predicted and true label (2 × 3)."""
    images = np.asarray(images).reshape(-1, 28, 28)
    n = len(indices)
    cols = min(n, 3) or 1
    rows = max(1, math.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(2.6 * cols, 2.9 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, index in zip(axes.flat, indices):
        ax.imshow(images[index], cmap="gray")
        confidence = f" ({probabilities[index, predicted[index]]:.0%})" if probabilities is not None else ""
        ax.set_title(f"predicted {predicted[index]}{confidence}\ntrue {true[index]}", fontsize=9)
    fig.tight_layout()
    return fig


def write_submission(path, predictions) -> Path:
    """Write Kaggle's digit-recognizer submission: header ``ImageId,Label``, one row per test image, ids from 1."""
    predictions = np.asarray(predictions)
    if predictions.ndim != 1 or not np.issubdtype(predictions.dtype, np.integer):
        raise ValueError(f"expected one integer label per test image, shape (N,), got {predictions.dtype} "
                         f"{predictions.shape}; take probabilities.argmax(1)")
    if len(predictions) and (predictions.min() < 0 or predictions.max() > 9):
        raise ValueError(f"labels must be digits 0-9, got values from {predictions.min()} to {predictions.max()}")
    path = Path(path)
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["ImageId", "Label"])
        writer.writerows((i, int(label)) for i, label in enumerate(predictions, start=1))
    return path


def read_submission(path, n_images: int) -> np.ndarray:
    """Read a submission back and check it: header ``ImageId,Label``, ids 1…``n_images`` in order, digits 0–9.

    Returns the labels. Raises ``ValueError`` naming the first problem (Kaggle rejects such files).
    """
    with Path(path).open(newline="") as file:
        rows = list(csv.reader(file))
    if not rows or rows[0] != ["ImageId", "Label"]:
        raise ValueError(f"the header must be ImageId,Label, got {','.join(rows[0]) if rows else 'an empty file'}")
    body = rows[1:]
    if len(body) != n_images:
        raise ValueError(f"expected {n_images} rows (one per test image), got {len(body)}")
    ids = [int(row[0]) for row in body]
    if ids != list(range(1, n_images + 1)):
        first = next(i for i, (a, b) in enumerate(zip(ids, range(1, n_images + 1))) if a != b)
        raise ValueError(f"ImageId must count 1, 2, … {n_images} (1-based); row {first + 1} has {ids[first]}")
    labels = np.array([int(row[1]) for row in body])
    if len(labels) and not ((labels >= 0) & (labels <= 9)).all():
        raise ValueError("every Label must be a digit 0-9")
    return labels
