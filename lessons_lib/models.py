"""Small models for the lessons: LeNet (as in Adam Harley's visualisation) and a masked
convolution that reproduces LeNet-5's sparse C3 connections.

Introduced in notebook 01 (filters have depth).
"""
from __future__ import annotations

from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .validation import positive_int


class MaskedConv2d(nn.Conv2d):
    """A ``Conv2d`` in which output map ``o`` sees input map ``c`` only where ``table[o, c] == 1``.

    ``connection_table``: (out_channels, in_channels) 0/1 array, e.g. ``lenet5_c3_table()``.
    The weight (out, in, kh, kw) is multiplied by the mask in every forward pass, so the
    gradient of a masked weight is zero as well (chain rule: d(w·m)/dw = m); masked weights
    start at zero and stay there under any optimizer. Input (N, in, H, W) → (N, out, H', W').

    Introduced in notebook 01 (filters have depth).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, connection_table, **kwargs):
        super().__init__(in_channels, out_channels, kernel_size, **kwargs)
        table = torch.as_tensor(np.asarray(connection_table), dtype=self.weight.dtype)
        if table.shape != (out_channels, in_channels):
            raise ValueError(f"connection_table must have shape (out_channels, in_channels) = "
                             f"({out_channels}, {in_channels}), got {tuple(table.shape)}")
        if not ((table == 0) | (table == 1)).all():
            raise ValueError("connection_table must hold only 0 and 1 (1 = connected)")
        if self.groups != 1:
            raise ValueError(f"MaskedConv2d needs groups=1, got groups={self.groups}")
        self.register_buffer("mask", table[:, :, None, None].expand_as(self.weight).clone())
        with torch.no_grad():
            self.weight.mul_(self.mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.weight * self.mask, self.bias)

    def free_parameter_count(self) -> int:
        """Weights that can be non-zero (mask entries equal to 1) plus the biases."""
        return int(self.mask.sum().item()) + (self.bias.numel() if self.bias is not None else 0)


def lenet(connection_table=None, in_channels: int = 1, num_classes: int = 10) -> nn.Sequential:
    """LeNet for 28×28 digits, layer by layer, with named layers.

    (N, 1, 28, 28) → conv1 (N, 6, 28, 28) → pool1 (N, 6, 14, 14) → conv2 (N, 16, 10, 10)
    → pool2 (N, 16, 5, 5) → fc1 120 → fc2 84 → fc3 ``num_classes`` logits.
    conv1 pads by 2, so a 28×28 digit gives the same shapes as LeNet-5's 32×32 input.
    With ``connection_table`` (16, 6), conv2 is a ``MaskedConv2d`` wired like LeNet-5's C3.

    Introduced in notebook 01 (filters have depth).
    """
    conv2 = (nn.Conv2d(6, 16, 5) if connection_table is None
             else MaskedConv2d(6, 16, 5, connection_table=connection_table))
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(in_channels, 6, 5, padding=2)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
        ("conv2", conv2), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(16 * 5 * 5, 120)), ("relu3", nn.ReLU()),
        ("fc2", nn.Linear(120, 84)), ("relu4", nn.ReLU()),
        ("fc3", nn.Linear(84, num_classes)),
    ]))


@contextmanager
def eval_mode(model: nn.Module):
    """Inside the ``with`` block ``model`` is in eval mode (dropout off, batch norm on its running statistics);
    after it, every submodule is back in the mode it was in before (a layer frozen in eval mode inside a model being
    trained stays so), even when the block raised.

    Used wherever the library runs a model to measure or show it (``evaluate``, ``predict``, ``feature_maps``,
    ``count_multiply_adds``, ``time_forward``, lesson 07's ``accuracy``), so that a model being trained keeps
    training. Introduced in notebook 01 (filters have depth), with ``evaluate``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"eval_mode expects a torch module, got {type(model).__name__}")
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for module, training in modes:
            module.training = training


def layer_outputs(model: nn.Sequential, x: torch.Tensor) -> "OrderedDict[str, torch.Tensor]":
    """Run ``x`` through a ``nn.Sequential`` and keep every named layer's output.

    ``x``: a batch (N, C, H, W). Returns {layer name: output tensor}, in order.
    Introduced in notebook 01 (filters have depth).
    """
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"layer_outputs needs an nn.Sequential, got {type(model).__name__}")
    if not isinstance(x, torch.Tensor) or x.ndim != 4:
        shape = tuple(x.shape) if hasattr(x, "shape") else type(x).__name__
        raise ValueError(f"expected a (N, C, H, W) batch tensor, got {shape}; add batch/channel dims with x[None, None]")
    outputs = OrderedDict()
    for name, layer in model.named_children():
        x = layer(x)
        outputs[name] = x
    return outputs


def saved_model_path(name: str) -> Path:
    """Where ``save_model(model, name, ...)`` keeps a trained model: ``<cache dir>/models/<name>.pt``.

    Introduced in notebook 07 (MNIST end to end), which saves its fast model for notebook 08 to load.
    """
    from .settings import CACHE_DIR

    if not isinstance(name, str) or not name or "/" in name or "\\" in name:
        raise ValueError(f"a saved model's name is a plain file stem like 'lesson07_fast_mnist', got {name!r}")
    return CACHE_DIR / "models" / f"{name}.pt"


def save_model(model: nn.Module, name: str, builder: str, **builder_kwargs) -> Path:
    """Save a trained model as its state dict plus the code that builds it, atomically.

    ``builder`` is ``"module:function"`` (e.g. ``"lessons_lib.models:lenet"``); ``builder_kwargs`` are
    passed to it on load. Returns the file's path (see ``saved_model_path``).
    Introduced in notebook 07 (MNIST end to end).
    """
    import importlib
    import os

    module_name, _, function_name = builder.partition(":")
    if not module_name or not function_name:
        raise ValueError(f"builder must be 'module:function', e.g. 'lessons_lib.models:lenet', got {builder!r}")
    getattr(importlib.import_module(module_name), function_name)  # fail now, not when loading
    path = saved_model_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.stem}.part{os.getpid()}")
    state = {key: value.detach().cpu() for key, value in model.state_dict().items()}
    torch.save({"builder": builder, "kwargs": builder_kwargs, "state_dict": state}, partial)
    os.replace(partial, path)
    return path


def load_saved_model(name: str) -> nn.Module:
    """Rebuild a model saved by ``save_model`` (on the CPU, in eval mode).

    Raises ``FileNotFoundError`` naming the notebook to run when the file does not exist.
    Introduced in notebook 07 (MNIST end to end); notebook 08 loads lesson 07's fast model with it.
    """
    import importlib

    path = saved_model_path(name)
    if not path.exists():
        raise FileNotFoundError(f"no saved model {name!r} at {path}; run the notebook that trains it first "
                                f"(e.g. notebook 07 saves 'lesson07_fast_mnist')")
    saved = torch.load(path, map_location="cpu", weights_only=True)
    module_name, _, function_name = saved["builder"].partition(":")
    model = getattr(importlib.import_module(module_name), function_name)(**saved["kwargs"])
    model.load_state_dict(saved["state_dict"])
    return model.eval()


def fast_mnist_net(channels: tuple[int, int, int] = (16, 32, 64), num_classes: int = 10,
                   convs_per_block: int = 1) -> nn.Sequential:
    """Lesson 07's fast MNIST net: three [Conv 3×3 → BatchNorm → ReLU (× ``convs_per_block``) → MaxPool 2] blocks,
    then one Linear.

    Input: a batch (N, 1, 28, 28) of digits scaled to [0, 1] (white digit on black, as MNIST; divide uint8
    pixels by 255). Shapes: 28 → 14 → 7 → 3, so the Linear sees ``channels[2] · 3 · 3`` features and returns
    (N, ``num_classes``) logits. The convolutions have no bias (BatchNorm's shift replaces it). With
    ``convs_per_block=2`` every block has two convolutions (layers ``conv1``, ``conv1b``, ...: the names of the
    one-conv net stay as they were), the larger net of ``benchmarks/mnist_beat_walkthrough.py``.
    Introduced in notebook 07 (MNIST end to end), which trains and saves it as "lesson07_fast_mnist";
    notebook 08 loads it with ``load_saved_model``.
    """
    if len(channels) != 3:
        raise ValueError(f"channels must be three positive ints (one per block), got {channels!r}")
    channels = tuple(positive_int("each of channels", c) for c in channels)
    convs_per_block = positive_int("convs_per_block", convs_per_block)
    layers, previous = OrderedDict(), 1
    for block, width in enumerate(channels, start=1):
        for conv in range(convs_per_block):
            suffix = "" if conv == 0 else "bcdefgh"[conv - 1]
            layers[f"conv{block}{suffix}"] = nn.Conv2d(previous, width, 3, padding=1, bias=False)
            layers[f"bn{block}{suffix}"] = nn.BatchNorm2d(width)
            layers[f"relu{block}{suffix}"] = nn.ReLU()
            previous = width
        layers[f"pool{block}"] = nn.MaxPool2d(2)
    layers["flatten"] = nn.Flatten()
    layers["fc"] = nn.Linear(previous * 3 * 3, num_classes)
    return nn.Sequential(layers)


def init_normal_(model: nn.Module, std: float, layers: tuple[type, ...] = (nn.Conv2d,)) -> nn.Module:
    """Set every weight of the given layer types to N(0, std²) and their biases to 0 (in place); returns the model.

    Introduced in notebook 04 (Inception-style factorization).
    """
    if not isinstance(std, (int, float)) or isinstance(std, bool) or std <= 0:
        raise ValueError(f"std must be a positive number, got {std!r}")
    for layer in model.modules():
        if isinstance(layer, layers):
            nn.init.normal_(layer.weight, mean=0.0, std=float(std))
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return model


def init_kaiming_(model: nn.Module) -> nn.Module:
    """He/Kaiming-normal init (fan-in, for ReLU) for every Conv2d and Linear, biases 0 (in place); returns the model.

    Introduced in notebook 04 (Inception-style factorization).
    """
    for layer in model.modules():
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(layer.weight, mode="fan_in", nonlinearity="relu")
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return model


def init_glorot_(model: nn.Module) -> nn.Module:
    """Keras's default initialisation for every Conv2d and Linear, in place: Glorot-uniform weights (limit
    √(6 / (fan_in + fan_out)), fans counted over the kernel's taps as Keras does) and zero biases; returns the model.
    PyTorch's own default differs (Kaiming-uniform with a = √5, and uniform biases). Introduced in notebook 07 (MNIST
    end to end), where it is one of the differences between a Keras run and a PyTorch run of the same network.
    """
    for layer in model.modules():
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return model
