"""Measuring a network: multiply-adds, forward time, and the scale of activations and gradients per layer.

Kernel module: any lesson may use it. ``count_multiply_adds`` was introduced in notebook 02 (one-by-one
convolution); ``time_forward`` and ``layer_scales`` in notebook 04 (Inception-style factorization).
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from .models import eval_mode
from .validation import positive_int


def _module(value) -> nn.Module:
    if not isinstance(value, nn.Module):
        raise TypeError(f"expected an nn.Module, got {type(value).__name__}")
    return value


def _one_input_shape(input_shape) -> tuple[int, ...]:
    try:
        shape = tuple(input_shape)
    except TypeError:
        raise TypeError(f"input_shape must be a tuple like (1, 28, 28) or (784,), got {input_shape!r}") from None
    if len(shape) not in (1, 3):
        raise ValueError(f"input_shape is the shape of ONE input: (C, H, W) for an image or (features,) for a vector, "
                         f"got {shape}; drop the batch dimension")
    return tuple(positive_int("every size in input_shape", size) for size in shape)


def count_multiply_adds(model: nn.Module, input_shape: Sequence[int]) -> int:
    """Multiply-adds of the ``nn.Conv2d`` and ``nn.Linear`` layers of ``model`` for ONE input of ``input_shape``.

    ``input_shape`` is (C, H, W) for an image, or (features,) for an all-Linear model. Runs one zero input
    through the model (in eval mode, restored after) and counts, for every conv, (in_channels / groups) · kh · kw
    per output value, and for every Linear, in_features per output value. Biases, batch norm, pooling and
    activations are not counted (as in ``lessons_lib.conv.conv_multiply_adds``).
    Introduced in notebook 02 (one-by-one convolution); notebook 04 uses it too.
    """
    model = _module(model)
    shape = _one_input_shape(input_shape)
    total = 0

    def count(layer: nn.Module, inputs, output: torch.Tensor) -> None:
        nonlocal total
        per_value = (layer.in_channels // layer.groups * layer.kernel_size[0] * layer.kernel_size[1]
                     if isinstance(layer, nn.Conv2d) else layer.in_features)
        total += per_value * output[0].numel()

    hooks = [layer.register_forward_hook(count) for layer in model.modules() if isinstance(layer, (nn.Conv2d, nn.Linear))]
    parameter = next(model.parameters(), None)
    try:
        with eval_mode(model), torch.no_grad():
            model(torch.zeros(1, *shape, device=parameter.device if parameter is not None else "cpu"))
    finally:
        for hook in hooks:
            hook.remove()
    return total


def time_forward(module: nn.Module, x: torch.Tensor, repeats: int = 10, warmup: int = 2) -> float:
    """Median wall-clock seconds of ``module(x)`` (no gradients), after ``warmup`` untimed calls.

    ``x`` is a batch (N, C, H, W) on the module's device; CUDA is synchronized around each call.
    Timings depend on the machine and its load: compare them, don't assert them.
    Introduced in notebook 04 (Inception-style factorization).
    """
    module = _module(module)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor batch (N, C, H, W), got {type(x).__name__}")
    repeats, warmup = positive_int("repeats", repeats), positive_int("warmup", warmup, allow_zero=True)
    cuda = x.device.type == "cuda"
    times = []
    with eval_mode(module), torch.no_grad():
        for i in range(warmup + repeats):
            if cuda:
                torch.cuda.synchronize(x.device)
            start = time.perf_counter()
            module(x)
            if cuda:
                torch.cuda.synchronize(x.device)
            if i >= warmup:
                times.append(time.perf_counter() - start)
    return statistics.median(times)


@dataclass(frozen=True)
class LayerScale:
    """One weighted layer's scale: std of its output (forward) and norm of its weight gradient (backward).

    Introduced in notebook 04 (Inception-style factorization).
    """

    name: str
    activation_std: float
    gradient_norm: float


def layer_scales(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn=None) -> list[LayerScale]:
    """Forward one batch, backward its loss; per ``Conv2d``/``Linear`` layer (in order): output std and weight-grad norm.

    ``x`` (N, C, H, W) and ``y`` (N,) on the model's device. The model's gradients are zeroed
    before and after, so training is unaffected. Introduced in notebook 04 (Inception-style factorization).
    """
    model = _module(model)
    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError("x and y must be torch tensors: a batch (N, C, H, W) and its labels (N,)")
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError(f"y must have shape ({len(x)},) to match x {tuple(x.shape)}, got {tuple(y.shape)}")
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    layers = [(name, layer) for name, layer in model.named_modules() if isinstance(layer, (nn.Conv2d, nn.Linear))]
    if not layers:
        raise ValueError("the model has no Conv2d or Linear layer to probe")
    stds: dict[str, float] = {}
    handles = [layer.register_forward_hook(lambda m, i, o, name=name: stds.__setitem__(name, float(o.detach().float().std())))
               for name, layer in layers]
    model.zero_grad(set_to_none=True)
    try:
        loss_fn(model(x), y).backward()
        grads = {name: float(layer.weight.grad.norm()) if layer.weight.grad is not None else 0.0 for name, layer in layers}
    finally:
        for handle in handles:
            handle.remove()
        model.zero_grad(set_to_none=True)
    return [LayerScale(name, stds[name], grads[name]) for name, _ in layers]
