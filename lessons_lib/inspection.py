"""Looking inside a CNN: every layer's output for one input, the receptive field of a unit in the input
and in every earlier layer, and the exact arithmetic that produces a unit's value.

Works on any ``nn.Sequential`` (nested Sequentials are walked) or any module whose ``forward`` runs its
named children in order, built from the layers ``check_supported`` lists. The functions are pure: the
layer-inspector widget (``lessons_lib.widgets.layer_inspector``) only draws what they return.

Introduced in notebook 08 (inside a CNN).
"""
from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .models import MaskedConv2d, eval_mode

ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU, nn.SiLU, nn.Mish, nn.Sigmoid,
               nn.Tanh, nn.Hardtanh, nn.Hardswish, nn.Hardsigmoid, nn.Softplus, nn.Softsign, nn.Tanhshrink)
_ELEMENTWISE = (nn.BatchNorm2d, nn.BatchNorm1d, nn.Dropout, nn.Dropout2d, nn.Identity) + ACTIVATIONS
_POOLS = (nn.MaxPool2d, nn.AvgPool2d)
SUPPORTED_LAYERS = ("Conv2d (incl. lessons_lib.models.MaskedConv2d)", "MaxPool2d", "AvgPool2d",
                    "activations (" + ", ".join(a.__name__ for a in ACTIVATIONS) + ")",
                    "BatchNorm2d", "BatchNorm1d", "Dropout", "Dropout2d", "Identity", "Flatten", "Linear",
                    "Softmax / LogSoftmax (last)")


# --------------------------------------------------------------------------------------------- the layers
def _layer_list(model: nn.Module, prefix: str = "") -> list[tuple[str, nn.Module]]:
    layers = []
    for name, child in model.named_children():
        full = f"{prefix}{name}"
        if isinstance(child, nn.Sequential):
            layers += _layer_list(child, full + ".")
        else:
            layers.append((full, child))
    return layers


def _unsupported_reason(layer: nn.Module) -> str | None:
    if isinstance(layer, nn.Conv2d):
        if layer.padding_mode != "zeros":
            return f"padding_mode={layer.padding_mode!r} (only 'zeros' is supported)"
        return None
    if isinstance(layer, _POOLS + _ELEMENTWISE + (nn.Linear, nn.Softmax, nn.LogSoftmax)):
        if isinstance(layer, (nn.Softmax, nn.LogSoftmax)) and layer.dim not in (1, -1, None):
            return f"dim={layer.dim} (only dim=1 is supported)"
        return None
    if isinstance(layer, nn.Flatten):
        return None if layer.start_dim == 1 and layer.end_dim == -1 else "only Flatten(start_dim=1) is supported"
    return "its type is not one the inspector knows"


def check_supported(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The model's layers in order, as (name, module) pairs; nested ``nn.Sequential`` blocks are walked,
    their names joined with dots (``"block1.conv"``).

    Raises ``TypeError`` naming the first unsupported layer and listing the supported ones (``SUPPORTED_LAYERS``).
    Introduced in notebook 08 (inside a CNN).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"expected a torch nn.Module (e.g. an nn.Sequential), got {type(model).__name__}")
    layers = _layer_list(model)
    if not layers:
        raise TypeError(f"{type(model).__name__} has no child layers to inspect; build it as an nn.Sequential "
                        "(or a module whose forward runs its children in order)")
    for name, layer in layers:
        reason = _unsupported_reason(layer)
        if reason:
            raise TypeError(f"layer {name!r} ({type(layer).__name__}) is not supported: {reason}. "
                            f"Supported layers: {', '.join(SUPPORTED_LAYERS)}.")
    return layers


def _named_layers(model: nn.Module, layer: str) -> tuple[list[tuple[str, nn.Module]], list[str]]:
    """The supported (name, layer) pairs of ``model`` and their names, after checking that ``layer`` is one of them."""
    layers = check_supported(model)
    names = [name for name, _ in layers]
    if layer not in names:
        raise ValueError(f"no layer {layer!r} in the model; its layers are {names}")
    return layers, names


def as_batch(x) -> torch.Tensor:
    """One input as a float (1, C, H, W) tensor: accepts (H, W), (C, H, W) or (1, C, H, W), NumPy or torch.

    Introduced in notebook 08 (inside a CNN).
    """
    tensor = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x)
    if not torch.is_floating_point(tensor):
        raise TypeError(f"expected float pixels, got dtype {tensor.dtype}; scale images first, e.g. x / 255.0")
    if tensor.ndim == 2:
        tensor = tensor[None, None]
    elif tensor.ndim == 3:
        tensor = tensor[None]
    if tensor.ndim != 4 or tensor.shape[0] != 1:
        raise ValueError(f"expected one input (H, W), (C, H, W) or (1, C, H, W), got shape {tuple(tensor.shape)}")
    return tensor.float()


def _device_of(model: nn.Module) -> torch.device:
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


@torch.no_grad()
def feature_maps(model: nn.Module, x) -> "OrderedDict[str, torch.Tensor]":
    """Every layer's output for one input, in eval mode: {"input": (1, C, H, W), layer name: output, …} (on the CPU).

    For a model that is not an ``nn.Sequential``, the chain of children is checked against ``model(x)``
    (a ``forward`` that does more than run its children in order cannot be inspected layer by layer).
    Introduced in notebook 08 (inside a CNN).
    """
    layers = check_supported(model)
    x = as_batch(x).to(_device_of(model))
    with eval_mode(model):
        outputs = OrderedDict(input=x)
        for name, layer in layers:
            try:
                x = layer(x)
            except RuntimeError as error:
                raise ValueError(f"layer {name!r} ({type(layer).__name__}) failed on an input of shape "
                                 f"{tuple(x.shape)}: {error}") from None
            outputs[name] = x
        if not isinstance(model, nn.Sequential):
            direct = model(outputs["input"])
            if direct.shape != x.shape or not torch.allclose(direct, x, atol=1e-5):
                raise TypeError(f"{type(model).__name__}.forward does something besides running its children "
                                "in order (e.g. torch.flatten in forward); write it as an nn.Sequential with an "
                                "nn.Flatten layer so every step is a layer")
    return OrderedDict((name, value.detach().cpu()) for name, value in outputs.items())


def top_predictions(model: nn.Module, x, k: int = 3, outputs=None) -> list[tuple[int, float]]:
    """The ``k`` most probable classes of one input as (class, probability) pairs, best first.

    The last layer's output is taken as logits (a final Softmax / LogSoftmax is recognised).
    Introduced in notebook 08 (inside a CNN).
    """
    outputs = outputs if outputs is not None else feature_maps(model, x)
    last_name, last = next(reversed(outputs.items()))
    layers = dict(check_supported(model))
    last_layer = layers.get(last_name)
    scores = last.reshape(-1).double()
    if isinstance(last_layer, nn.Softmax):
        probabilities = scores
    elif isinstance(last_layer, nn.LogSoftmax):
        probabilities = scores.exp()
    else:
        probabilities = torch.softmax(scores, dim=0)
    values, classes = probabilities.topk(min(k, len(probabilities)))
    return [(int(c), float(v)) for c, v in zip(classes, values)]


def format_predictions(predictions: list[tuple[int, float]]) -> str:
    """``[(1, 0.973), (7, 0.012)]`` → ``"1: 97.3 % · 7: 1.2 %"``. Introduced in notebook 08 (inside a CNN)."""
    return " · ".join(f"{label}: {100 * p:.1f} %" for label, p in predictions)


# ----------------------------------------------------------------------------------- receptive fields
@dataclass(frozen=True)
class Box:
    """Rows ``top … bottom − 1`` and columns ``left … right − 1`` of a map (Python slice ends).

    Introduced in notebook 08 (inside a CNN).
    """

    top: int
    bottom: int
    left: int
    right: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left

    def clip(self, height: int, width: int) -> "Box":
        return Box(max(self.top, 0), min(self.bottom, height), max(self.left, 0), min(self.right, width))

    def slices(self) -> tuple[slice, slice]:
        return slice(self.top, self.bottom), slice(self.left, self.right)

    def __str__(self) -> str:
        return f"rows {self.top}–{self.bottom - 1}, cols {self.left}–{self.right - 1} ({self.height}×{self.width})"


def _pair(value) -> tuple[int, int]:
    return (int(value[0]), int(value[1])) if isinstance(value, (tuple, list)) else (int(value), int(value))


def _window_geometry(layer: nn.Module) -> tuple[tuple[int, int], ...]:
    """(kernel, stride, padding before, dilation) per axis, for a conv or pooling layer."""
    kernel = _pair(layer.kernel_size)
    stride = _pair(layer.stride if layer.stride is not None else layer.kernel_size)
    dilation = _pair(getattr(layer, "dilation", 1))
    padding = layer.padding
    if padding == "valid":
        padding = (0, 0)
    elif padding == "same":
        padding = tuple((d * (k - 1)) // 2 for k, d in zip(kernel, dilation))
    padding = _pair(padding)
    return tuple((kernel[a], stride[a], padding[a], dilation[a]) for a in range(2))


def _window_back(box: Box, layer: nn.Module) -> Box:
    (kh, sh, ph, dh), (kw, sw, pw, dw) = _window_geometry(layer)
    return Box(box.top * sh - ph, (box.bottom - 1) * sh - ph + dh * (kh - 1) + 1,
               box.left * sw - pw, (box.right - 1) * sw - pw + dw * (kw - 1) + 1)


@dataclass
class ReceptiveField:
    """Where one unit looks: ``boxes[name]`` is the region of that layer's maps (every channel) that can
    change the unit, clipped to the map, for "input" and every earlier spatial layer; ``size`` is the
    unclipped (theoretical) height and width in the input, padding included.

    Introduced in notebook 08 (inside a CNN).
    """

    layer: str
    row: int
    col: int
    boxes: "OrderedDict[str, Box]"
    size: tuple[int, int]

    @property
    def input_box(self) -> Box:
        return self.boxes["input"]


def _spatial_shapes(model: nn.Module, input_shape) -> "OrderedDict[str, tuple]":
    with torch.no_grad():
        outputs = feature_maps(model, torch.zeros((1, *input_shape)))
    return OrderedDict((name, tuple(value.shape[1:])) for name, value in outputs.items())


def receptive_field(model: nn.Module, layer: str, row: int = 0, col: int = 0, channel: int | None = None,
                    input_shape: tuple[int, int, int] = (1, 28, 28)) -> ReceptiveField:
    """The receptive field of unit (``row``, ``col``) of ``layer``: its box in the input and in every earlier layer.

    Walks back layer by layer: a conv or pooling window maps output rows t…b−1 to input rows
    t·S − P … (b−1)·S − P + d·(K−1); activations, BatchNorm and Dropout keep the box; a Linear unit sees all
    of its input. For a unit of a Flatten layer (a vector), give its index as ``channel``.
    ``input_shape`` is (C, H, W) of one input. Introduced in notebook 08 (inside a CNN).
    """
    layers, names = _named_layers(model, layer)
    shapes = _spatial_shapes(model, input_shape)
    shape = shapes[layer]
    index = names.index(layer)
    if len(shape) == 3:
        _check_position(layer, shape, row, col)
        box: Box | None = Box(row, row + 1, col, col + 1)
    elif isinstance(layers[index][1], nn.Flatten):
        if channel is None or not 0 <= channel < shape[0]:
            raise ValueError(f"{layer!r} is a vector of {shape[0]} units: give the unit's index as channel=0…{shape[0] - 1}")
        box = None
    else:
        box = None  # a unit of a vector layer: look at what feeds it below
    boxes: "OrderedDict[str, Box]" = OrderedDict()
    unclipped = OrderedDict()
    vector_unit = channel if box is None and isinstance(layers[index][1], nn.Flatten) else None
    previous = ["input"] + names
    for position in range(index, -1, -1):
        name, module = layers[position]
        out_shape = shapes[name]
        if box is not None and len(out_shape) == 3:
            unclipped[name] = box
        below = previous[position]
        below_shape = shapes[below]
        if isinstance(module, (nn.Conv2d,) + _POOLS):
            box = _window_back(box, module)
        elif isinstance(module, nn.Flatten):
            if vector_unit is not None:
                r, q = divmod(vector_unit % (below_shape[1] * below_shape[2]), below_shape[2])
                box = Box(r, r + 1, q, q + 1)
                vector_unit = None
            else:
                box = Box(0, below_shape[1], 0, below_shape[2])
        elif isinstance(module, nn.Linear):
            box = Box(0, below_shape[1], 0, below_shape[2]) if len(below_shape) == 3 else None
        # activations, BatchNorm, Dropout, Softmax: the same box (or still a vector)
        if box is not None and len(below_shape) == 3 and below == "input":
            unclipped["input"] = box
    for name in ["input"] + names[:index + 1]:
        if name in unclipped:
            boxes[name] = unclipped[name].clip(*shapes[name][1:])
    full = unclipped.get("input") or Box(0, shapes["input"][1], 0, shapes["input"][2])
    boxes.setdefault("input", full)
    boxes.move_to_end("input", last=False)
    return ReceptiveField(layer, row, col, boxes, (full.height, full.width))


def _check_position(layer: str, shape, row: int, col: int) -> None:
    if not (0 <= row < shape[1] and 0 <= col < shape[2]):
        raise ValueError(f"unit (row {row}, col {col}) is outside {layer!r}, whose maps are {shape[1]}×{shape[2]} "
                         f"(rows 0…{shape[1] - 1}, cols 0…{shape[2] - 1})")


# ---------------------------------------------------------------------------------- one unit's arithmetic
@dataclass
class UnitArithmetic:
    """How one unit's value comes about, step by step.

    ``core`` is the layer that combines inputs (a Conv2d, Linear, pooling or Flatten layer; ``None`` when only
    element-wise layers lie between the input and the unit) and ``source`` the layer whose output it reads.
    ``patches[i]`` and ``kernels[i]`` are what input channel ``input_channels[i]`` contributes (for a conv:
    a (kh, kw) patch and kernel slice, zero-padded; for the first Linear after a Flatten: the whole map and
    the weights that read it); ``contributions[i]`` is their product summed; ``connected[i]`` is False where
    a connection table (``MaskedConv2d``) cuts that channel off. ``total`` = Σ contributions + bias (for
    pooling: the max or mean of the window). ``steps`` are the element-wise layers (BatchNorm, activation,
    Dropout) from the core up to the chosen layer, as (layer, formula, value after); ``value`` is the
    result, ``forward_value`` the same unit read from the forward pass; ``after`` continues through the
    element-wise layers that follow (e.g. the ReLU after a conv). ``box`` is the patch's place in ``source`` (its
    real pixels: padding lies outside the map). For pooling, ``window_real`` marks which cells of the (kh, kw)
    window are real pixels rather than padding, and ``divisor`` is what an average pool divides the sum by.

    Introduced in notebook 08 (inside a CNN).
    """

    layer: str
    channel: int
    row: int
    col: int
    kind: str
    core: str | None
    source: str
    input_channels: list[int]
    patches: list[np.ndarray]
    kernels: list[np.ndarray] | None
    contributions: np.ndarray
    connected: np.ndarray
    bias: float
    total: float
    steps: list[tuple[str, str, float]] = field(default_factory=list)
    value: float = 0.0
    forward_value: float = 0.0
    after: list[tuple[str, str, float]] = field(default_factory=list)
    box: Box | None = None
    window_real: np.ndarray | None = None
    divisor: int | None = None

    @property
    def pre_activation(self) -> float:
        """Σ contributions + bias (for pooling: the pooled value), before any element-wise layer."""
        return self.total

    @property
    def activated_value(self) -> float:
        """The value after the element-wise layers that follow the chosen one (e.g. conv2 → relu2)."""
        return self.after[-1][2] if self.after else self.value

    def _window_words(self) -> str:
        """A pooling window's size and where its real pixels are: '2×2, 1 real pixel + 3 of padding (rows 0–0, …)'."""
        height, width = np.shape(self.patches[0])
        real = int(self.window_real.sum()) if self.window_real is not None else height * width
        where = (f"rows {self.box.top}–{self.box.bottom - 1}, cols {self.box.left}–{self.box.right - 1}"
                 if self.box is not None else "")
        if real == height * width:
            return f"{height}×{width}" + (f" ({where})" if where else "")
        padding = height * width - real
        return (f"{height}×{width}, {real} real pixel{'s' if real != 1 else ''} + {padding} of padding"
                + (f" (the real ones: {where})" if where else ""))

    def explain(self, max_terms: int = 8) -> str:
        """The arithmetic as readable lines of text."""
        where = f"({self.row}, {self.col})" if self.kind not in ("linear", "flatten", "softmax") else ""
        lines = [f"{self.layer} unit {self.channel}{' at ' + where if where else ''}  ({self.kind} of {self.source})"]
        if self.kind == "conv":
            for c, s, ok in zip(self.input_channels, self.contributions, self.connected):
                lines.append(f"  {self.source} map {c}: patch × kernel summed = {s:+.4f}"
                             + ("" if ok else "   (not connected: masked by the connection table)"))
        elif self.kind == "linear":
            order = np.argsort(-np.abs(self.contributions))
            label = "map" if self.patches and np.ndim(self.patches[0]) >= 2 else "unit"
            for i in order[:max_terms]:
                lines.append(f"  {self.source} {label} {self.input_channels[i]}: weights × values summed = "
                             f"{self.contributions[i]:+.4f}")
            if len(order) > max_terms:
                rest = float(self.contributions[order[max_terms:]].sum())
                lines.append(f"  … {len(order) - max_terms} more {label}s together: {rest:+.4f}")
        elif self.kind in ("max pool", "avg pool"):
            window = np.array2string(self.patches[0], precision=3, suppress_small=True)
            lines.append(f"  window of {self.source} map {self.channel}: {self._window_words()}:\n{window}")
        if self.kind in ("conv", "linear"):
            lines.append(f"  sum {float(self.contributions.sum()):+.4f} + bias {self.bias:+.4f} = {self.total:+.4f}")
        elif self.kind == "avg pool" and self.divisor:
            lines.append(f"  avg pool: sum {float(self.total * self.divisor):+.4f} / {self.divisor} = {self.total:+.4f}")
        elif self.kind != "identity":
            lines.append(f"  {self.kind}: {self.total:+.4f}")
        for name, formula, value in self.steps:
            lines.append(f"  {name}: {formula} = {value:+.4f}")
        lines.append(f"  = {self.value:+.4f}   (forward pass: {self.forward_value:+.4f})")
        for name, formula, value in self.after:
            lines.append(f"  then {name}: {formula} = {value:+.4f}")
        return "\n".join(lines)


def _elementwise_step(name: str, layer: nn.Module, value: float, channel: int) -> tuple[str, str, float]:
    if isinstance(layer, (nn.BatchNorm2d, nn.BatchNorm1d)):
        mean = float(layer.running_mean[channel]) if layer.running_mean is not None else 0.0
        var = float(layer.running_var[channel]) if layer.running_var is not None else 1.0
        gamma = float(layer.weight[channel]) if layer.weight is not None else 1.0
        beta = float(layer.bias[channel]) if layer.bias is not None else 0.0
        out = (value - mean) / math.sqrt(var + layer.eps) * gamma + beta
        signed = lambda number: f"{number:.4f}" if number >= 0 else f"({number:.4f})"  # noqa: E731
        return name, (f"({value:+.4f} − {signed(mean)}) / √({var:.4f} + {layer.eps:g}) · {signed(gamma)} "
                      f"+ {signed(beta)}"), out
    if isinstance(layer, (nn.Dropout, nn.Dropout2d, nn.Identity)):
        return name, f"{value:+.4f} (unchanged at inference)", value
    out = float(layer(torch.tensor([value], dtype=torch.float64)).item())
    return name, f"{type(layer).__name__}({value:+.4f})", out


def _unit_of(tensor: torch.Tensor, channel: int, row: int, col: int) -> float:
    return float(tensor[0, channel, row, col] if tensor.ndim == 4 else tensor[0, channel])


@torch.no_grad()
def unit_contributions(model: nn.Module, x, layer: str, channel: int, row: int = 0, col: int = 0) -> UnitArithmetic:
    """The arithmetic behind unit (``channel``, ``row``, ``col``) of ``layer`` for input ``x``.

    For a conv unit: patch × kernel slice summed for each input channel, the bias, their sum, then each
    element-wise layer up to ``layer`` (BatchNorm with its running statistics, the activation). Pooling gives
    its window and max/mean; a Linear unit after a Flatten is split by the maps it reads; a Flatten unit is
    the map unit it copies. ``x`` is one input ((H, W), (C, H, W) or (1, C, H, W)); for vector layers give the
    unit as ``channel`` (row and col are ignored). Everything is computed in float64 from the weights, and
    ``forward_value`` is read from ``feature_maps`` for comparison. Introduced in notebook 08 (inside a CNN).
    """
    layers, names = _named_layers(model, layer)
    outputs = feature_maps(model, x)
    target = outputs[layer]
    n_channels = target.shape[1]
    if not 0 <= channel < n_channels:
        raise ValueError(f"{layer!r} has {n_channels} {'channels' if target.ndim == 4 else 'units'}, "
                         f"so channel must be 0…{n_channels - 1}, got {channel}")
    if target.ndim == 4:
        _check_position(layer, tuple(target.shape[1:]), row, col)
    else:
        row = col = 0
    index = names.index(layer)
    core_index = index
    while core_index >= 0 and isinstance(layers[core_index][1], _ELEMENTWISE):
        core_index -= 1
    previous = ["input"] + names
    if core_index < 0:
        source = "input"
        value = _unit_of(outputs["input"].double(), channel, row, col)
        result = UnitArithmetic(layer, channel, row, col, "identity", None, source, [channel], [np.array(value)],
                                None, np.array([value]), np.array([True]), 0.0, value)
    else:
        core_name, core = layers[core_index]
        source = previous[core_index]
        below = outputs[source].double()
        result = _core_arithmetic(core, core_name, source, below, channel, row, col, layer,
                                  _maps_before_flatten(layers, core_index, outputs))
    running = result.total
    for name, module in layers[core_index + 1:index + 1]:
        step = _elementwise_step(name, module, running, channel)
        result.steps.append(step)
        running = step[2]
    result.value = running
    result.forward_value = _unit_of(target, channel, row, col)
    for name, module in layers[index + 1:]:
        if not isinstance(module, _ELEMENTWISE):
            break
        step = _elementwise_step(name, module, running, channel)
        result.after.append(step)
        running = step[2]
    return result


def _maps_before_flatten(layers, core_index: int, outputs) -> tuple[str, torch.Tensor] | None:
    """For a Linear layer reading a Flatten (Dropout/Identity between allowed): (name, the (C, H, W) maps flattened)."""
    position = core_index - 1
    while position >= 0 and isinstance(layers[position][1], (nn.Dropout, nn.Dropout2d, nn.Identity)):
        position -= 1
    if position < 0 or not isinstance(layers[position][1], nn.Flatten):
        return None
    before = "input" if position == 0 else layers[position - 1][0]
    maps = outputs[before]
    return (before, maps[0].double()) if maps.ndim == 4 else None


def _core_arithmetic(core, core_name, source, below, channel, row, col, layer, flattened_maps=None) -> UnitArithmetic:
    if isinstance(core, nn.Conv2d):
        (kh, sh, ph, dh), (kw, sw, pw, dw) = _window_geometry(core)
        weight = core.weight.detach().cpu().double()
        if isinstance(core, MaskedConv2d) or hasattr(core, "mask"):
            weight = weight * core.mask.detach().cpu().double()
        per_group = core.in_channels // core.groups
        group = channel // (core.out_channels // core.groups)
        in_channels = list(range(group * per_group, (group + 1) * per_group))
        bottom_pad = max(0, row * sh - ph + dh * (kh - 1) + 1 - below.shape[2])
        right_pad = max(0, col * sw - pw + dw * (kw - 1) + 1 - below.shape[3])
        padded = F.pad(below[0, in_channels], (pw, right_pad, ph, bottom_pad))
        top, left = row * sh, col * sw
        patch = padded[:, top:top + dh * (kh - 1) + 1:dh, left:left + dw * (kw - 1) + 1:dw]
        kernels = weight[channel]
        sums = (patch * kernels).sum(dim=(1, 2)).numpy()
        connected = (kernels.abs().sum(dim=(1, 2)) > 0).numpy()
        if hasattr(core, "mask"):
            connected = (core.mask[channel].detach().cpu().sum(dim=(1, 2)) > 0).numpy()
        bias = float(core.bias[channel]) if core.bias is not None else 0.0
        box = _window_back(Box(row, row + 1, col, col + 1), core).clip(below.shape[2], below.shape[3])
        return UnitArithmetic(layer, channel, row, col, "conv", core_name, source, in_channels,
                              list(patch.numpy()), list(kernels.numpy()), sums, connected, bias,
                              float(sums.sum()) + bias, box=box)
    if isinstance(core, _POOLS):
        (kh, sh, ph, dh), (kw, sw, pw, dw) = _window_geometry(core)
        height, width = below.shape[2:]
        rows = [row * sh - ph + dh * u for u in range(kh)]
        cols = [col * sw - pw + dw * v for v in range(kw)]
        is_max = isinstance(core, nn.MaxPool2d)
        window = np.full((kh, kw), -np.inf if is_max else 0.0)
        real = np.zeros((kh, kw), bool)
        counted = np.zeros((kh, kw), bool)
        for u, r in enumerate(rows):
            for v, c in enumerate(cols):
                if 0 <= r < height and 0 <= c < width:
                    window[u, v], real[u, v] = float(below[0, channel, r, c]), True
                if -ph <= r < height + ph and -pw <= c < width + pw:
                    counted[u, v] = True
        divisor = None
        if is_max:
            total = float(window.max())
        else:
            divisor = core.divisor_override or int((counted if core.count_include_pad else real).sum())
            total = float(window.sum()) / divisor
        box = Box(min(rows), max(rows) + 1, min(cols), max(cols) + 1).clip(height, width)
        return UnitArithmetic(layer, channel, row, col, "max pool" if is_max else "avg pool", core_name, source,
                              [channel], [window], None, np.array([total]), np.array([True]), 0.0, total, box=box,
                              window_real=real, divisor=divisor)
    if isinstance(core, nn.Linear):
        weight = core.weight.detach().cpu().double()[channel]
        bias = float(core.bias[channel]) if core.bias is not None else 0.0
        values = below[0]
        if flattened_maps is not None:
            source, maps = flattened_maps
            kernels = weight.reshape(maps.shape)
            sums = (maps * kernels).sum(dim=(1, 2)).numpy()
            return UnitArithmetic(layer, channel, 0, 0, "linear", core_name, source, list(range(len(maps))),
                                  list(maps.numpy()), list(kernels.numpy()), sums, np.ones(len(sums), bool),
                                  bias, float(sums.sum()) + bias)
        values = values.reshape(-1)
        sums = (values * weight).numpy()
        return UnitArithmetic(layer, channel, 0, 0, "linear", core_name, source, list(range(len(values))),
                              list(values.numpy()), list(weight.numpy()), sums, np.ones(len(sums), bool),
                              bias, float(sums.sum()) + bias)
    if isinstance(core, nn.Flatten):
        _, c, h, w = below.shape
        m, rest = divmod(channel, h * w)
        r, q = divmod(rest, w)
        value = float(below[0, m, r, q])
        return UnitArithmetic(layer, channel, 0, 0, "flatten", core_name, source, [m], [np.array(value)], None,
                              np.array([value]), np.array([True]), 0.0, value, box=Box(r, r + 1, q, q + 1),
                              steps=[])
    if isinstance(core, (nn.Softmax, nn.LogSoftmax)):
        scores = below[0].reshape(-1)
        probabilities = torch.log_softmax(scores, 0) if isinstance(core, nn.LogSoftmax) else torch.softmax(scores, 0)
        value = float(probabilities[channel])
        return UnitArithmetic(layer, channel, 0, 0, "softmax", core_name, source, list(range(len(scores))),
                              list(scores.numpy()), None, scores.numpy(), np.ones(len(scores), bool), 0.0, value)
    raise TypeError(f"layer {core_name!r} ({type(core).__name__}) has no arithmetic here")  # pragma: no cover


# ------------------------------------------------------------------------------------- MNIST-style centring
@dataclass
class CenteringSteps:
    """The steps of ``center_like_mnist``: ``drawn`` (as given), ``cropped`` (its bounding box), ``scaled``
    (the larger side made 20 px, aspect kept), ``image`` (28×28, centre of mass at the centre), with the
    ``box`` cropped (a ``Box`` of ``drawn``), the ``scale`` factor and the ``shift`` (rows, cols) applied.

    Introduced in notebook 08 (inside a CNN).
    """

    drawn: np.ndarray
    cropped: np.ndarray
    scaled: np.ndarray
    image: np.ndarray
    box: Box
    scale: float
    shift: tuple[int, int]
    center_of_mass: tuple[float, float]


def _center_of_mass(image: np.ndarray) -> tuple[float, float]:
    total = image.sum()
    rows, cols = np.indices(image.shape)
    return float((rows * image).sum() / total), float((cols * image).sum() / total)


def center_like_mnist(image, threshold: float = 0.05) -> CenteringSteps:
    """Centre and scale a drawing the way MNIST's digits were made (LeCun et al.): crop to the bounding box
    of the ink, scale it so its larger side is 20 pixels (aspect ratio kept, anti-aliased), put it in a
    28×28 image with its centre of mass at the centre.

    ``image``: (H, W) floats in [0, 1], ink bright on dark (pixels above ``threshold`` count as ink).
    Raises ``ValueError("nothing drawn yet …")`` for an empty image. Introduced in notebook 08 (inside a CNN).
    """
    drawn = np.asarray(image, dtype=np.float32)
    if drawn.ndim != 2:
        raise ValueError(f"expected one grey image (H, W), got shape {drawn.shape}")
    if drawn.max() > 1.0 + 1e-6 or drawn.min() < 0:
        raise ValueError(f"expected pixels in [0, 1] (got {drawn.min():.3g} … {drawn.max():.3g}); scale first, e.g. x / 255.0")
    ink = np.argwhere(drawn > threshold)
    if len(ink) == 0:
        raise ValueError("nothing drawn yet: the image has no ink (no pixel above the threshold)")
    (top, left), (bottom, right) = ink.min(axis=0), ink.max(axis=0) + 1
    box = Box(int(top), int(bottom), int(left), int(right))
    cropped = drawn[box.slices()]
    scale = 20.0 / max(cropped.shape)
    size = (max(1, round(cropped.shape[0] * scale)), max(1, round(cropped.shape[1] * scale)))
    scaled = F.interpolate(torch.from_numpy(cropped)[None, None], size=size, mode="bilinear",
                           antialias=scale < 1, align_corners=False)[0, 0].clamp(0, 1).numpy()
    com = _center_of_mass(scaled)
    top0 = int(np.clip(round(13.5 - com[0]), 0, 28 - size[0]))
    left0 = int(np.clip(round(13.5 - com[1]), 0, 28 - size[1]))
    centred = np.zeros((28, 28), np.float32)
    centred[top0:top0 + size[0], left0:left0 + size[1]] = scaled
    return CenteringSteps(drawn, cropped, scaled, centred, box, scale, (top0, left0), com)
