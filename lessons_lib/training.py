"""Training: ``fit`` / ``evaluate`` / ``predict`` with a tqdm progress bar, a ``History`` that plots as
learning curves, in-memory loaders, a one-cycle optimiser and per-channel standardisation.

Introduced in notebook 01 (filters have depth); every later lesson trains with it. ``OneCycleAdamW`` and
``standardize`` were introduced in notebook 03 (log-mel convolutions). ``channels_last`` (a faster memory order for
convolutions on CPU, used inside ``fit``, ``evaluate`` and ``predict``) was added for lesson 07's training loop.
``estimate_time`` and ``training_step`` (the time a lesson announces before it trains, measured on this machine) were
added with notebook 06 (GANs).
"""
from __future__ import annotations

import copy
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from tqdm.auto import tqdm

from . import settings
from .models import eval_mode
from .settings import get_device
from .validation import positive_int


def make_loader(x, y=None, batch_size: int = 128, shuffle: bool = False, seed: int = 0) -> DataLoader:
    """A DataLoader over in-memory arrays; ``x`` (N, …) float-like, ``y`` (N,) integer labels.

    NumPy arrays are converted (uint8 images are NOT rescaled: do that before, so it stays visible).
    Introduced in notebook 01 (filters have depth).
    """
    x = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x)
    if not torch.is_floating_point(x):
        raise TypeError(f"make_loader expects float inputs, got dtype {x.dtype}; scale images first, e.g. x / 255.0")
    tensors = [x.float()]
    if y is not None:
        y = torch.as_tensor(np.asarray(y) if not isinstance(y, torch.Tensor) else y).long()
        if y.ndim != 1 or len(y) != len(x):
            raise ValueError(f"labels must have shape ({len(x)},) to match x {tuple(x.shape)}, got {tuple(y.shape)}")
        tensors.append(y)
    batch_size = positive_int("batch_size", batch_size)
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(TensorDataset(*tensors), batch_size=batch_size, shuffle=shuffle, generator=generator)


@dataclass
class History:
    """Per-epoch metrics of a ``fit`` run: ``history.metrics["val_accuracy"]`` is a list by epoch.

    Introduced in notebook 01 (filters have depth).
    """

    metrics: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0

    def log(self, **values: float) -> None:
        for name, value in values.items():
            self.metrics.setdefault(name, []).append(float(value))

    def last(self, name: str) -> float:
        if name not in self.metrics:
            raise KeyError(f"no metric {name!r}; have {sorted(self.metrics)}")
        return self.metrics[name][-1]

    @property
    def epochs(self) -> int:
        return max((len(v) for v in self.metrics.values()), default=0)

    def plot(self, title: str = ""):
        """Learning curves: loss on the left, accuracy on the right."""
        from .plots import plot_history

        return plot_history(self, title=title)


_IN_CHANNELS_LAST: set[int] = set()     # id() of the models inside a ``channels_last`` block now


def _on_cpu(model: nn.Module) -> bool:
    return any(p.device.type == "cpu" for p in model.parameters())


@contextmanager
def channels_last(*models: nn.Module):
    """Inside the ``with`` block, the 4-D weights of ``models`` (conv kernels) lie in channels-last memory order.

    A conv kernel (out, in, kh, kw) keeps its shape; only the order of its numbers in memory changes, to
    (out, kh, kw, in), the order oneDNN's CPU convolutions are fastest in: a training step of the lessons' conv nets
    takes 0.5–0.85 of the time on one thread here (``python benchmarks/channels_last_speed.py`` prints the table).
    Results agree with the default order to rounding (a long training can drift apart from it, as with any change of
    summation order). After the block the weights are back in PyTorch's default (contiguous) order, so code outside
    sees ordinary tensors (``weight.view(...)`` keeps working). The same Parameter objects are kept, so an optimizer
    built before still updates them. Nested blocks over the same model convert it once; models on a GPU are left as
    they are (not measured there). Used by ``fit``, ``evaluate``, ``predict``, lesson 06's GAN loop and lesson 07's
    ``mnist.train_recipe``. Introduced in notebook 07 (MNIST end to end), which explains it.
    """
    for model in models:
        if not isinstance(model, nn.Module):
            raise TypeError(f"channels_last expects torch modules, got {type(model).__name__}")
    converted = []          # the models this block converts (not those an outer block did, each one once)
    for model in models:
        if id(model) not in _IN_CHANNELS_LAST and _on_cpu(model):
            model.to(memory_format=torch.channels_last)
            _IN_CHANNELS_LAST.add(id(model))
            converted.append(model)
    try:
        yield
    finally:
        for model in converted:
            _IN_CHANNELS_LAST.discard(id(model))
            model.to(memory_format=torch.contiguous_format)


def _batches(loader: DataLoader, device: torch.device):
    for batch in loader:
        if len(batch) != 2:
            raise ValueError("fit/evaluate need a loader of (inputs, labels) batches")
        yield batch[0].to(device, non_blocking=True), batch[1].to(device, non_blocking=True)


@torch.no_grad()
def evaluate(model: nn.Module, loader: DataLoader, loss_fn: Callable | None = None, device=None) -> dict[str, float]:
    """Mean loss and accuracy of a classifier over a loader.

    Introduced in notebook 01 (filters have depth).
    """
    device = device or next(model.parameters()).device
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    total_loss, correct, count = 0.0, 0, 0
    with eval_mode(model), channels_last(model):
        for x, y in _batches(loader, device):
            logits = model(x)
            total_loss += float(loss_fn(logits, y)) * len(y)
            correct += int((logits.argmax(dim=1) == y).sum())
            count += len(y)
    if count == 0:
        raise ValueError("evaluate got an empty loader")
    return {"loss": total_loss / count, "accuracy": correct / count}


@torch.no_grad()
def predict(model: nn.Module, loader: DataLoader, device=None) -> np.ndarray:
    """Predicted class of every example in a loader, as a NumPy array.

    Introduced in notebook 01 (filters have depth).
    """
    device = device or next(model.parameters()).device
    with eval_mode(model), channels_last(model):
        predictions = [model(batch[0].to(device)).argmax(dim=1).cpu() for batch in loader]
    return torch.cat(predictions).numpy()


def fit(model: nn.Module, train_loader: DataLoader, val_loader: DataLoader | None = None, epochs: int = 1,
        optimizer: torch.optim.Optimizer | None = None, lr: float = 1e-3, loss_fn: Callable | None = None,
        device=None, progress: bool = True, history: History | None = None) -> History:
    """Train a classifier; returns a ``History`` of train/val loss and accuracy per epoch.

    The model is moved to ``device`` (default: ``get_device()``, CUDA when present). A tqdm bar
    shows progress over batches, with the running loss. Under ``LESSONS_UNTRAINED=1`` (a test of the lessons'
    checks: every optimizer step is skipped) the batches still go forward, but no gradient is computed for a step
    that would not use it. Conv kernels are kept in ``channels_last`` order while it trains (faster on CPU; the usual
    order again when it returns). Introduced in notebook 01 (filters have depth).
    """
    epochs = positive_int("epochs", epochs)
    device = torch.device(device) if device is not None else get_device()
    model.to(device)
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    history = history or History()
    learning = not settings.UNTRAINED          # frozen optimizers skip the step anyway (lesson.freeze_every_optimizer)
    start = time.perf_counter()
    bar = tqdm(total=epochs * len(train_loader), desc="training", unit="batch", disable=not progress)
    with channels_last(model):      # a faster memory order for conv kernels on CPU; the default again after
        for epoch in range(1, epochs + 1):
            model.train()
            total_loss, correct, count = 0.0, 0, 0
            for x, y in _batches(train_loader, device):
                optimizer.zero_grad(set_to_none=True)
                with torch.set_grad_enabled(learning):
                    logits = model(x)
                    loss = loss_fn(logits, y)
                if learning:
                    loss.backward()
                    optimizer.step()
                total_loss += loss.item() * len(y)
                correct += int((logits.argmax(dim=1) == y).sum())
                count += len(y)
                bar.update(1)
                bar.set_postfix(epoch=epoch, loss=f"{total_loss / count:.3f}")
            history.log(loss=total_loss / count, accuracy=correct / count)
            if val_loader is not None:
                val = evaluate(model, val_loader, loss_fn, device)
                history.log(val_loss=val["loss"], val_accuracy=val["accuracy"])
                bar.set_postfix(epoch=epoch, loss=f"{total_loss / count:.3f}", val_acc=f"{val['accuracy']:.3f}")
    bar.close()
    history.seconds += time.perf_counter() - start
    return history


def standardize(x: np.ndarray, mean: np.ndarray | None = None, std: np.ndarray | None = None):
    """Global standardisation per channel of (N, C, H, W) inputs (e.g. (N, C, T, F) features) with training statistics.

    Returns (x_standardized, mean, std); pass the training mean/std when standardising test data.
    Introduced in notebook 03 (log-mel convolutions).
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 4:
        raise ValueError(f"expected (N, C, H, W) inputs, got shape {x.shape}")
    if mean is None or std is None:   # one channel at a time: a temporary a third of x, not a full copy
        mean = x.mean(axis=(0, 2, 3), keepdims=True)
        std = np.array([x[:, c].std() for c in range(x.shape[1])], np.float32).reshape(mean.shape) + 1e-5
    out = np.subtract(x, mean, dtype=np.float32)      # the result is the only full-size array made
    out /= std
    return out, mean, std


class OneCycleAdamW(torch.optim.AdamW):
    """AdamW whose learning rate follows a one-cycle schedule, advanced after every batch.

    The rate warms up from ``max_lr / 25`` to ``max_lr`` over the first 30 % of ``total_steps``
    (``epochs × batches per epoch``), then decays along a cosine to almost 0; ``weight_decay`` is
    AdamW's decoupled weight decay. Pass it as ``fit(..., optimizer=OneCycleAdamW(...))``: ``fit``
    calls ``step()`` once per batch. Steps past ``total_steps`` keep the last (smallest) rate.
    Introduced in notebook 03 (log-mel convolutions).
    """

    def __init__(self, params, max_lr: float = 3e-3, total_steps: int = 100, weight_decay: float = 0.01):
        total_steps = positive_int("total_steps (epochs x batches per epoch)", total_steps)
        if not max_lr > 0:
            raise ValueError(f"max_lr must be > 0, got {max_lr!r}")
        if not weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
        super().__init__(params, lr=max_lr, weight_decay=weight_decay)
        self.total_steps = int(total_steps)
        self.schedule = torch.optim.lr_scheduler.OneCycleLR(self, max_lr=max_lr, total_steps=self.total_steps)

    def step(self, closure=None):
        loss = super().step(closure)
        if self.schedule.last_epoch + 1 < self.total_steps:
            self.schedule.step()
        return loss


# ------------------------------------------------------------------------------------ how long will it take?
@dataclass
class TimeEstimate:
    """``steps`` steps at ``seconds_per_step`` (measured on this machine by ``estimate_time``). ``str()`` reads
    "about 42 s on this machine (measured: 21.0 ms per step)". Introduced in notebook 06 (GANs)."""

    seconds_per_step: float
    steps: int

    @property
    def seconds(self) -> float:
        return self.seconds_per_step * self.steps

    def __add__(self, other: "TimeEstimate") -> "TimeEstimate":
        """Two runs one after the other (e.g. two models of different speeds): their steps, the mean time per step."""
        steps = self.steps + other.steps
        return TimeEstimate(seconds_per_step=(self.seconds + other.seconds) / steps, steps=steps)

    def __str__(self) -> str:
        seconds = self.seconds
        total = (f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s" if seconds < 120
                 else f"{seconds / 60:.0f} min")
        return f"about {total} on this machine (measured: {1000 * self.seconds_per_step:.1f} ms per step)"


@contextmanager
def _random_state_kept():
    """Inside the block the random generators (PyTorch's on the CPU and every GPU, NumPy's, Python's) may be used;
    after it they are back where they were, so a measurement does not change what a seeded lesson computes."""
    import random

    numpy_state, python_state = np.random.get_state(), random.getstate()
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        try:
            yield
        finally:
            np.random.set_state(numpy_state)
            random.setstate(python_state)


def estimate_time(step: Callable[[], object], steps: int, repeats: int = 2, warmup: int = 1) -> TimeEstimate:
    """How long ``steps`` calls of ``step()`` take here: ``warmup`` calls (first-call costs: memory, kernel choice),
    then ``repeats`` timed calls; their mean time per call × ``steps``. The random generators are left as they were
    (``step`` may draw from them), so the lesson computes the same numbers whether or not it measured first. Let
    ``step`` work on a throwaway copy of the model (``training_step`` makes one), not on the model to be trained.

    ``print("training:", estimate_time(training_step(model, x[:64], y[:64]), steps=epochs * len(loader)))`` prints
    "training: about 42 s on this machine (measured: 21.0 ms per step)". Introduced in notebook 06 (GANs), used by
    notebooks 03b and 08 as well: the time a lesson announces is measured, not a constant.
    """
    steps = positive_int("steps", steps)
    repeats = positive_int("repeats", repeats)
    if warmup < 0:
        raise ValueError(f"warmup must be 0 or more, got {warmup}")
    synchronize = torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
    with _random_state_kept():
        for _ in range(warmup):
            step()
        synchronize()
        start = time.perf_counter()
        for _ in range(repeats):
            step()
        synchronize()
        elapsed = time.perf_counter() - start
    return TimeEstimate(seconds_per_step=elapsed / repeats, steps=steps)


def training_step(model: nn.Module, x, y, lr: float = 1e-3, loss_fn: Callable | None = None,
                  device=None) -> Callable[[], None]:
    """One step of ``fit``'s kind (Adam, forward, loss, backward, update, conv kernels channels-last on the CPU) on
    the batch ``(x, y)``, for ``estimate_time``: each call trains a private copy of ``model`` (made at the first
    call), so ``model`` itself is never changed. Introduced in notebook 06 (GANs), with ``estimate_time``.
    """
    device = torch.device(device) if device is not None else get_device()
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    state = {}

    def step() -> None:
        if not state:
            probe = copy.deepcopy(model).to(device).train()
            if _on_cpu(probe):
                probe.to(memory_format=torch.channels_last)
            state.update(model=probe, optimizer=torch.optim.Adam(probe.parameters(), lr=lr),
                         x=torch.as_tensor(x).float().to(device), y=torch.as_tensor(y).long().to(device))
        probe, optimizer = state["model"], state["optimizer"]
        optimizer.zero_grad(set_to_none=True)
        loss_fn(probe(state["x"]), state["y"]).backward()
        optimizer.step()

    return step
