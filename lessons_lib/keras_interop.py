"""Keras 3 on PyTorch: import Keras with the torch backend, and move trained weights from Keras to PyTorch.

Keras 3 runs on PyTorch when ``KERAS_BACKEND=torch`` is set *before* the first ``import keras`` (the backend
cannot change afterwards). ``import_keras()`` does that and refuses, with a clear error, a Keras that was
already imported with another backend. The copying helpers handle the three layout differences a learner
meets when moving a trained Keras model to PyTorch:

| layer            | Keras stores                   | PyTorch stores                 | conversion                    |
|------------------|--------------------------------|--------------------------------|-------------------------------|
| ``Conv2D``       | kernel ``(kh, kw, in, out)``   | weight ``(out, in, kh, kw)``   | ``permute(3, 2, 0, 1)``       |
| ``Dense``        | kernel ``(in, out)``           | weight ``(out, in)``           | transpose                     |
| ``Flatten``      | flattens ``(H, W, C)`` (channels last) | flattens ``(C, H, W)`` | reorder the next Dense's rows |

Introduced in notebook 07 (MNIST end to end); the appendix A1 (Keras ↔ PyTorch cheat sheet) uses it too.
"""
from __future__ import annotations

import os
import sys

import numpy as np
import torch
from torch import nn

from . import settings

BACKEND = "torch"


def import_keras():
    """Import Keras 3 with the PyTorch backend and return the ``keras`` module.

    Sets ``KERAS_BACKEND=torch`` before the first import (Keras reads it once, at import). If Keras was already
    imported with another backend, raises ``RuntimeError`` saying to restart the kernel and call this first.
    Introduced in notebook 07 (MNIST end to end).
    """
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = BACKEND   # written, not read: Keras reads it at import
    try:
        import keras
    except ImportError as error:  # pragma: no cover - keras is a course dependency
        raise ImportError("Keras 3 is not installed: pip install keras (it brings no TensorFlow; "
                          "the course runs it on PyTorch)") from error
    backend = keras.backend.backend()
    if backend != BACKEND:
        raise RuntimeError(f"Keras was already imported with the {backend!r} backend, but the course runs Keras on "
                           f"PyTorch. Restart the kernel and call lessons_lib.keras_interop.import_keras() before "
                           f"anything imports keras (or set KERAS_BACKEND=torch before starting Jupyter).")
    if not keras.__version__.startswith("3."):
        raise RuntimeError(f"the course needs Keras 3 (it runs on PyTorch), found Keras {keras.__version__}; "
                           f"pip install -U keras")
    if settings.UNTRAINED:
        freeze_keras_optimizers()
    return keras


def freeze_keras_optimizers() -> None:
    """Make every Keras optimizer's update a no-op in this process: Keras's twin of
    ``lesson.freeze_every_optimizer`` for the test that the lessons' checks fail on untrained models
    (``LESSONS_UNTRAINED=1``). Keras 3's optimizers all update through ``BaseOptimizer.apply``.
    Introduced in notebook 07 (MNIST end to end).
    """
    from keras.src.optimizers.base_optimizer import BaseOptimizer

    BaseOptimizer.apply = lambda self, grads, trainable_variables=None: None


def _as_tensor(array) -> torch.Tensor:
    if isinstance(array, torch.Tensor):
        return array.detach()
    if hasattr(array, "numpy") and not isinstance(array, np.ndarray):   # a Keras variable
        array = array.numpy()
    return torch.as_tensor(np.asarray(array))


def conv_kernel_to_torch(kernel) -> torch.Tensor:
    """A Keras ``Conv2D`` kernel ``(kh, kw, in, out)`` → PyTorch's ``Conv2d`` weight ``(out, in, kh, kw)``.

    Accepts a NumPy array, a torch tensor or a Keras variable. Introduced in notebook 07 (MNIST end to end).
    """
    kernel = _as_tensor(kernel)
    if kernel.ndim != 4:
        raise ValueError(f"expected a Keras Conv2D kernel of shape (kh, kw, in, out), got shape {tuple(kernel.shape)}")
    return kernel.permute(3, 2, 0, 1).contiguous()


def dense_kernel_to_torch(kernel) -> torch.Tensor:
    """A Keras ``Dense`` kernel ``(in, out)`` → PyTorch's ``Linear`` weight ``(out, in)`` (a transpose).

    Introduced in notebook 07 (MNIST end to end).
    """
    kernel = _as_tensor(kernel)
    if kernel.ndim != 2:
        raise ValueError(f"expected a Keras Dense kernel of shape (in, out), got shape {tuple(kernel.shape)}")
    return kernel.T.contiguous()


def flatten_permutation(height: int, width: int, channels: int) -> np.ndarray:
    """Which Keras Flatten position feeds each PyTorch Flatten position, for a (H, W, C) ↔ (C, H, W) map.

    PyTorch flattens a (C, H, W) map to index ``(c·H + h)·W + w``; Keras flattens the same values, stored
    (H, W, C), to ``(h·W + w)·C + c``. ``order[torch_index] = keras_index``, so the Dense kernel that follows
    becomes ``linear.weight = dense_kernel_to_torch(kernel[order])``.
    Introduced in notebook 07 (MNIST end to end).
    """
    for name, value in (("height", height), ("width", width), ("channels", channels)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    return np.arange(height * width * channels).reshape(height, width, channels).transpose(2, 0, 1).ravel()


def _torch_layers_with_weights(model: nn.Module) -> list[nn.Module]:
    supported = (nn.Conv2d, nn.Linear, nn.BatchNorm2d, nn.BatchNorm1d, nn.LSTM, nn.GRU, nn.Embedding)
    found = []
    for module in model.modules():
        if isinstance(module, supported):
            found.append(module)
        elif not list(module.children()) and any(True for _ in module.parameters(recurse=False)):
            raise TypeError(f"copy_keras_weights does not know how to fill a {type(module).__name__}")
    return found


def _keras_layers_with_weights(keras_model) -> list[tuple[object, tuple | None]]:
    """(layer, shape of the map a preceding Flatten flattened, or None), for every layer holding weights."""
    found, flattened = [], None
    for layer in keras_model.layers:
        kind = type(layer).__name__
        if kind == "Flatten":
            shape = tuple(layer.input.shape[1:])
            flattened = shape if len(shape) == 3 else None
            continue
        if hasattr(layer, "layers") and kind in ("Sequential", "Functional"):   # a nested model
            found.extend(_keras_layers_with_weights(layer))
            continue
        if layer.weights:
            found.append((layer, flattened if kind == "Dense" else None))
            if kind == "Dense":
                flattened = None
    return found


def _copy(parameter: torch.Tensor, value: torch.Tensor, what: str) -> None:
    if tuple(parameter.shape) != tuple(value.shape):
        raise ValueError(f"{what}: the PyTorch tensor has shape {tuple(parameter.shape)}, the converted Keras one "
                         f"{tuple(value.shape)}; are the two models built the same way?")
    parameter.data.copy_(value.to(parameter.dtype))


def copy_keras_weights(keras_model, torch_model: nn.Module) -> nn.Module:
    """Copy a Keras model's weights into a PyTorch model built layer for layer the same way; returns it.

    Pairs, in order, Keras ``Conv2D``/``Dense``/``BatchNormalization``/``LSTM``/``GRU``/``Embedding`` with
    PyTorch ``Conv2d``/``Linear``/``BatchNorm``/``LSTM``/``GRU``/``Embedding``; permutes conv kernels, transposes
    Dense kernels and reorders the rows of the first Dense after a Flatten of a (H, W, C) map (Keras flattens
    channels last, PyTorch channels first). Keras LSTM/GRU gates are in PyTorch's order (i, f, c, o / z, r, h
    differ for GRU: see below); Keras keeps one LSTM bias, so ``bias_hh`` is set to zero.
    Introduced in notebook 07 (MNIST end to end).
    """
    keras_layers = _keras_layers_with_weights(keras_model)
    torch_layers = _torch_layers_with_weights(torch_model)
    if len(keras_layers) != len(torch_layers):
        raise ValueError(f"the Keras model has {len(keras_layers)} layers with weights "
                         f"({[type(l).__name__ for l, _ in keras_layers]}), the PyTorch model "
                         f"{len(torch_layers)} ({[type(m).__name__ for m in torch_layers]}); build them layer for layer")
    with torch.no_grad():
        for index, ((layer, flattened), module) in enumerate(zip(keras_layers, torch_layers)):
            kind, what = type(layer).__name__, f"layer {index} ({type(layer).__name__} → {type(module).__name__})"
            weights = [_as_tensor(w) for w in layer.get_weights()]
            if kind == "Conv2D" and isinstance(module, nn.Conv2d):
                _copy(module.weight, conv_kernel_to_torch(weights[0]), what)
                if module.bias is not None:
                    _copy(module.bias, weights[1], what)
            elif kind == "Dense" and isinstance(module, nn.Linear):
                kernel = weights[0]
                if flattened is not None:
                    kernel = kernel[torch.as_tensor(flatten_permutation(*flattened))]
                _copy(module.weight, dense_kernel_to_torch(kernel), what)
                if module.bias is not None:
                    _copy(module.bias, weights[1], what)
            elif kind == "BatchNormalization" and isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
                gamma, beta, mean, variance = weights
                for target, value in ((module.weight, gamma), (module.bias, beta),
                                      (module.running_mean, mean), (module.running_var, variance)):
                    _copy(target, value, what)
                module.eps = float(layer.epsilon)
            elif kind == "Embedding" and isinstance(module, nn.Embedding):
                _copy(module.weight, weights[0], what)
            elif kind == "LSTM" and isinstance(module, nn.LSTM):   # gates i, f, c, o in both
                kernel, recurrent, bias = weights
                _copy(module.weight_ih_l0, kernel.T, what)
                _copy(module.weight_hh_l0, recurrent.T, what)
                _copy(module.bias_ih_l0, bias, what)
                module.bias_hh_l0.zero_()
            elif kind == "GRU" and isinstance(module, nn.GRU):
                # Keras gates (z, r, h), PyTorch (r, z, n); Keras reset_after=True keeps two biases like PyTorch.
                kernel, recurrent, bias = weights
                def reorder(t):
                    z, r, h = t.chunk(3, dim=0)
                    return torch.cat([r, z, h])
                _copy(module.weight_ih_l0, reorder(kernel.T), what)
                _copy(module.weight_hh_l0, reorder(recurrent.T), what)
                _copy(module.bias_ih_l0, reorder(bias[0]), what)
                _copy(module.bias_hh_l0, reorder(bias[1]), what)
            else:
                raise TypeError(f"{what}: don't know how to copy a Keras {kind} into a PyTorch "
                                f"{type(module).__name__}; the models must be built in the same order")
    return torch_model


def keras_parameter_count(keras_model) -> int:
    """Trainable parameters of a built Keras model (what ``model.summary()`` calls 'Trainable params').

    Introduced in notebook 07 (MNIST end to end).
    """
    return int(sum(np.prod(w.shape) for w in keras_model.trainable_weights))
