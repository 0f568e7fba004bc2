"""Factorized convolutions, Inception blocks, and probes that look at activation and gradient scale.

* building blocks: ``stacked_3x3`` (two 3×3 for one 5×5), ``asymmetric_conv`` (1×n then n×1),
  ``depthwise_separable_conv`` (depthwise k×k then pointwise 1×1);
* ``InceptionBlock`` (GoogLeNet with 1×1 reductions, 5×5 factorized into two 3×3) and
  ``NaiveInceptionBlock`` (1×1 | 3×3 | 5×5 | pool, no reductions);
* ``count_multiply_adds`` (multiply-adds of a real module, measured with hooks),
  ``time_forward`` (median forward time), ``layer_scales`` / ``plot_layer_scales`` (activation std
  forward and gradient norm backward, per layer);
* small CIFAR-10 networks: ``LearnerNet`` (the 3×3 + depthwise 3×3 net from the lesson's question)
  and ``SmallCifarNet`` (plain 5×5, factorized 3×3+3×3, depthwise-separable).

Introduced in notebook 04 (Inception-style factorization).
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

__all__ = [
    "stacked_3x3", "asymmetric_conv", "depthwise_separable_conv", "InceptionBlock", "NaiveInceptionBlock",
    "count_multiply_adds", "time_forward", "LayerScale", "layer_scales", "plot_layer_scales",
    "init_normal_", "init_kaiming_", "LearnerNet", "SmallCifarNet", "SMALL_NET_KINDS",
]


def _channels(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return value


def _odd_kernel(kernel) -> int:
    kernel = _channels("kernel", kernel)
    if kernel % 2 == 0:
        raise ValueError(f"kernel must be odd so that padding (k-1)/2 keeps the size, got {kernel}")
    return kernel


# --------------------------------------------------------------------------------------------
# Factorized building blocks
# --------------------------------------------------------------------------------------------
def stacked_3x3(in_channels: int, out_channels: int, mid_channels: int | None = None, bias: bool = False,
                nonlinearity: bool = True) -> nn.Sequential:
    """Two 3×3 convolutions (padding 1) that replace one 5×5: same receptive field, 18·C² instead of 25·C² weights.

    (N, in_channels, H, W) → (N, out_channels, H, W). ``mid_channels`` defaults to ``out_channels``.
    With ``nonlinearity`` a ReLU sits between the two (without it they are one linear 5×5 conv).
    Introduced in notebook 04 (Inception-style factorization).
    """
    in_channels, out_channels = _channels("in_channels", in_channels), _channels("out_channels", out_channels)
    mid = _channels("mid_channels", mid_channels if mid_channels is not None else out_channels)
    layers: list[nn.Module] = [nn.Conv2d(in_channels, mid, 3, padding=1, bias=bias)]
    if nonlinearity:
        layers.append(nn.ReLU())
    layers.append(nn.Conv2d(mid, out_channels, 3, padding=1, bias=bias))
    return nn.Sequential(*layers)


def asymmetric_conv(in_channels: int, out_channels: int, kernel: int = 3, bias: bool = False) -> nn.Sequential:
    """A 1×n convolution followed by an n×1 one (Inception-v3's asymmetric factorization of n×n).

    (N, in_channels, H, W) → (N, out_channels, H, W); weights 2·n·C·C' instead of n²·C·C' (for C = C').
    Introduced in notebook 04 (Inception-style factorization).
    """
    in_channels, out_channels = _channels("in_channels", in_channels), _channels("out_channels", out_channels)
    kernel = _odd_kernel(kernel)
    pad = (kernel - 1) // 2
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, (1, kernel), padding=(0, pad), bias=bias),
        nn.Conv2d(out_channels, out_channels, (kernel, 1), padding=(pad, 0), bias=bias),
    )


def depthwise_separable_conv(in_channels: int, out_channels: int, kernel: int = 3, bias: bool = False) -> nn.Sequential:
    """A depthwise k×k convolution (one filter per channel, ``groups=in_channels``) then a pointwise 1×1.

    (N, in_channels, H, W) → (N, out_channels, H, W); weights k²·C + C·C' instead of k²·C·C',
    a ratio of 1/C' + 1/k². Introduced in notebook 04 (Inception-style factorization).
    """
    in_channels, out_channels = _channels("in_channels", in_channels), _channels("out_channels", out_channels)
    kernel = _odd_kernel(kernel)
    return nn.Sequential(
        nn.Conv2d(in_channels, in_channels, kernel, padding=(kernel - 1) // 2, groups=in_channels, bias=bias),
        nn.Conv2d(in_channels, out_channels, 1, bias=bias),
    )


# --------------------------------------------------------------------------------------------
# Inception blocks
# --------------------------------------------------------------------------------------------
def _conv_relu(in_channels: int, out_channels: int, kernel: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, kernel, padding=(kernel - 1) // 2), nn.ReLU())


class InceptionBlock(nn.Module):
    """Inception block with dimension reductions: 1×1 | 1×1→3×3 | 1×1→3×3→3×3 | 3×3 max-pool→1×1, concatenated.

    With ``factorize_5x5=True`` (default) the third branch is GoogLeNet's 5×5 factorized into two
    3×3 (c5_reduce → c5 → c5, as in Inception-v2/v3); with ``False`` it is GoogLeNet's 1×1→5×5.
    (N, in_channels, H, W) → (N, c1 + c3 + c5 + pool_proj, H, W). GoogLeNet's inception (3a):
    ``InceptionBlock(192, 64, 96, 128, 16, 32, 32)`` → 256 channels.
    Introduced in notebook 04 (Inception-style factorization).
    """

    def __init__(self, in_channels: int, c1: int, c3_reduce: int, c3: int, c5_reduce: int, c5: int, pool_proj: int,
                 factorize_5x5: bool = True):
        super().__init__()
        for name, value in dict(in_channels=in_channels, c1=c1, c3_reduce=c3_reduce, c3=c3, c5_reduce=c5_reduce,
                                c5=c5, pool_proj=pool_proj).items():
            _channels(name, value)
        self.branch1 = _conv_relu(in_channels, c1, 1)
        self.branch3 = nn.Sequential(_conv_relu(in_channels, c3_reduce, 1), _conv_relu(c3_reduce, c3, 3))
        if factorize_5x5:
            self.branch5 = nn.Sequential(_conv_relu(in_channels, c5_reduce, 1), _conv_relu(c5_reduce, c5, 3),
                                         _conv_relu(c5, c5, 3))
        else:
            self.branch5 = nn.Sequential(_conv_relu(in_channels, c5_reduce, 1), _conv_relu(c5_reduce, c5, 5))
        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), _conv_relu(in_channels, pool_proj, 1))
        self.in_channels = in_channels
        self.out_channels = c1 + c3 + c5 + pool_proj

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"expected a (N, {self.in_channels}, H, W) batch, got {tuple(x.shape)}")
        return torch.cat([self.branch1(x), self.branch3(x), self.branch5(x), self.branch_pool(x)], dim=1)


class NaiveInceptionBlock(nn.Module):
    """The naive Inception block (GoogLeNet, Figure 2a): 1×1 | 3×3 | 5×5 | 3×3 max-pool, concatenated.

    No 1×1 reductions: every branch sees all ``in_channels``, and the pooling branch passes them
    through, so (N, in_channels, H, W) → (N, c1 + c3 + c5 + in_channels, H, W).
    Introduced in notebook 04 (Inception-style factorization).
    """

    def __init__(self, in_channels: int, c1: int, c3: int, c5: int):
        super().__init__()
        for name, value in dict(in_channels=in_channels, c1=c1, c3=c3, c5=c5).items():
            _channels(name, value)
        self.branch1 = _conv_relu(in_channels, c1, 1)
        self.branch3 = _conv_relu(in_channels, c3, 3)
        self.branch5 = _conv_relu(in_channels, c5, 5)
        self.branch_pool = nn.MaxPool2d(3, stride=1, padding=1)
        self.in_channels = in_channels
        self.out_channels = c1 + c3 + c5 + in_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"expected a (N, {self.in_channels}, H, W) batch, got {tuple(x.shape)}")
        return torch.cat([self.branch1(x), self.branch3(x), self.branch5(x), self.branch_pool(x)], dim=1)


# --------------------------------------------------------------------------------------------
# Measuring: multiply-adds, time, activation and gradient scale
# --------------------------------------------------------------------------------------------
def _check_input_shape(input_shape) -> tuple[int, ...]:
    shape = tuple(input_shape)
    if len(shape) != 3 or not all(isinstance(s, int) and s > 0 for s in shape):
        raise ValueError(f"input_shape must be (C, H, W) of positive ints for one image, got {input_shape!r}")
    return shape


def count_multiply_adds(module: nn.Module, input_shape: Sequence[int]) -> int:
    """Multiply-adds of one forward pass of ``module`` on ONE image of shape (C, H, W), measured with hooks.

    Counts ``nn.Conv2d`` (output positions × (in/groups)·kh·kw per output channel) and ``nn.Linear``;
    biases, activations and pooling are not counted (as in ``lessons_lib.conv.conv_multiply_adds``).
    Introduced in notebook 04 (Inception-style factorization).
    """
    shape = _check_input_shape(input_shape)
    total = 0

    def conv_hook(layer: nn.Conv2d, inputs, output):
        nonlocal total
        kh, kw = layer.kernel_size
        total += output[0].numel() * (layer.in_channels // layer.groups) * kh * kw

    def linear_hook(layer: nn.Linear, inputs, output):
        nonlocal total
        total += output[0].numel() * layer.in_features

    handles = []
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d):
            handles.append(layer.register_forward_hook(conv_hook))
        elif isinstance(layer, nn.Linear):
            handles.append(layer.register_forward_hook(linear_hook))
    parameter = next(module.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    was_training = module.training
    try:
        module.eval()
        with torch.no_grad():
            module(torch.zeros((1, *shape), device=device))
    finally:
        module.train(was_training)
        for handle in handles:
            handle.remove()
    return total


def time_forward(module: nn.Module, x: torch.Tensor, repeats: int = 10, warmup: int = 2) -> float:
    """Median wall-clock seconds of ``module(x)`` (no gradients), after ``warmup`` untimed calls.

    ``x`` is a batch (N, C, H, W) on the module's device; CUDA is synchronized around each call.
    Timings depend on the machine and its load: compare them, don't assert them.
    Introduced in notebook 04 (Inception-style factorization).
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor batch (N, C, H, W), got {type(x).__name__}")
    if not isinstance(repeats, int) or repeats < 1 or not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"need repeats >= 1 and warmup >= 0, got repeats={repeats!r}, warmup={warmup!r}")
    cuda = x.device.type == "cuda"
    times = []
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            for i in range(warmup + repeats):
                if cuda:
                    torch.cuda.synchronize(x.device)
                start = time.perf_counter()
                module(x)
                if cuda:
                    torch.cuda.synchronize(x.device)
                if i >= warmup:
                    times.append(time.perf_counter() - start)
    finally:
        module.train(was_training)
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


def plot_layer_scales(scales: dict[str, list[LayerScale]], title: str = ""):
    """Two log-scale panels: activation std per layer (forward) and weight-gradient norm per layer (backward).

    ``scales`` maps a label ("broken", "fixed") to the output of ``layer_scales``. Returns the Figure.
    Introduced in notebook 04 (Inception-style factorization).
    """
    import matplotlib.pyplot as plt

    if not isinstance(scales, dict) or not scales:
        raise ValueError("scales must be a non-empty dict {label: layer_scales(...)}")
    fig, (ax_act, ax_grad) = plt.subplots(1, 2, figsize=(11, 3.8))
    tiny = 1e-30  # log axes cannot show 0
    for label, rows in scales.items():
        positions = range(1, len(rows) + 1)
        ax_act.plot(positions, [max(r.activation_std, tiny) for r in rows], "-o", label=label)
        ax_grad.plot(positions, [max(r.gradient_norm, tiny) for r in rows], "-o", label=label)
    for ax, what in ((ax_act, "std of the layer's output (forward)"), (ax_grad, "norm of the weight gradient (backward)")):
        ax.set_yscale("log")
        ax.set_xlabel("weighted layer (input → output)")
        ax.set_title(what, fontsize=10)
        ax.grid(alpha=0.3, which="both")
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------
# Initialisation
# --------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------
# Small CIFAR-10 networks
# --------------------------------------------------------------------------------------------
class LearnerNet(nn.Module):
    """The net from the lesson's question, in PyTorch, and its repaired version. Input (N, 3, 32, 32) → logits (N, 10).

    Each of the two blocks is a full 3×3 conv then a depthwise 3×3 conv (``groups=width``,
    TensorFlow's channel multiplier 1, kernel [3, 3, width, 1]) — the learner's stand-in for a 5×5 —
    followed by a bias, ReLU and 3×3/2 max-pooling; then fully connected 384 → 192 → 10, as in the
    TensorFlow CIFAR-10 tutorial (its local response normalisation is left out).

    ``fixed=False`` (the question's version): no bias on the first conv, nothing between the two
    convs. ``fixed=True``: BatchNorm + ReLU between them, a pointwise 1×1 after the depthwise conv
    (so channels mix again), BatchNorm + ReLU after it. ``batchnorm=True`` alone: BatchNorm + ReLU
    between the two convs and after the block, no pointwise 1×1 (one change at a time).
    ``five_by_five=True``: the unfactorized block of TensorFlow's tutorial, one 5×5 conv with a bias,
    then ReLU (cannot be combined with the other two). Initialisation is left to the caller
    (``init_normal_`` / ``init_kaiming_``). Introduced in notebook 04 (Inception-style factorization).
    """

    def __init__(self, width: int = 64, fixed: bool = False, batchnorm: bool = False, five_by_five: bool = False):
        super().__init__()
        width = _channels("width", width)
        if five_by_five and (fixed or batchnorm):
            raise ValueError("five_by_five=True builds the unfactorized 5×5 block; it takes no fixed= or batchnorm=")
        self.fixed, self.batchnorm, self.five_by_five = bool(fixed), bool(batchnorm), bool(five_by_five)
        self.block1 = self._block(3, width)
        self.block2 = self._block(width, width)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(width * 8 * 8, 384), nn.ReLU(),
                                  nn.Linear(384, 192), nn.ReLU(), nn.Linear(192, 10))

    def _block(self, in_channels: int, width: int) -> nn.Sequential:
        if self.five_by_five:
            layers = [nn.Conv2d(in_channels, width, 5, padding=2, bias=True), nn.ReLU()]
        elif self.batchnorm and not self.fixed:
            layers = [nn.Conv2d(in_channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
                      nn.Conv2d(width, width, 3, padding=1, groups=width, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
        elif self.fixed:
            layers = [nn.Conv2d(in_channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
                      nn.Conv2d(width, width, 3, padding=1, groups=width, bias=False),
                      nn.Conv2d(width, width, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
        else:
            layers = [nn.Conv2d(in_channels, width, 3, padding=1, bias=False),
                      nn.Conv2d(width, width, 3, padding=1, groups=width, bias=True), nn.ReLU()]
        return nn.Sequential(*layers, nn.MaxPool2d(3, stride=2, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != (3, 32, 32):
            raise ValueError(f"expected a CIFAR batch (N, 3, 32, 32), got {tuple(x.shape)}")
        return self.head(self.block2(self.block1(x)))


SMALL_NET_KINDS = ("plain", "factorized", "separable")


def _bn_relu(channels: int) -> list[nn.Module]:
    return [nn.BatchNorm2d(channels), nn.ReLU()]


def _unit(kind: str, in_channels: int, out_channels: int) -> list[nn.Module]:
    """One receptive-field-5 unit: a 5×5 conv, two 3×3 convs, or two depthwise-separable 3×3 convs."""
    if kind == "plain":
        return [nn.Conv2d(in_channels, out_channels, 5, padding=2, bias=False), *_bn_relu(out_channels)]
    if kind == "factorized":
        return [nn.Conv2d(in_channels, in_channels, 3, padding=1, bias=False), *_bn_relu(in_channels),
                nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False), *_bn_relu(out_channels)]
    layers: list[nn.Module] = []
    for cin, cout in ((in_channels, in_channels), (in_channels, out_channels)):
        layers += [nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False), *_bn_relu(cin),
                   nn.Conv2d(cin, cout, 1, bias=False), *_bn_relu(cout)]
    return layers


class SmallCifarNet(nn.Module):
    """A small CIFAR-10 net whose two main units see 5×5 each, built three ways. (N, 3, 32, 32) → (N, 10).

    stem 3×3 conv (3 → width) → 2×2 max-pool → unit(width → width) → 2×2 max-pool →
    unit(width → 2·width) → global average pool → linear 10 (units run at 16×16 and 8×8 on CIFAR). A unit is, by ``kind``:
    ``"plain"`` one 5×5 conv; ``"factorized"`` two 3×3 convs; ``"separable"`` two depthwise 3×3
    + pointwise 1×1 pairs. BatchNorm + ReLU after every conv, Kaiming init.
    Introduced in notebook 04 (Inception-style factorization).
    """

    def __init__(self, kind: str = "plain", width: int = 32):
        super().__init__()
        if kind not in SMALL_NET_KINDS:
            raise ValueError(f"kind must be one of {SMALL_NET_KINDS}, got {kind!r}")
        width = _channels("width", width)
        self.kind = kind
        self.features = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1, bias=False), *_bn_relu(width), nn.MaxPool2d(2),
            *_unit(kind, width, width), nn.MaxPool2d(2),
            *_unit(kind, width, 2 * width),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.classifier = nn.Linear(2 * width, 10)
        init_kaiming_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"expected an RGB batch (N, 3, H, W), got {tuple(x.shape)}")
        return self.classifier(self.features(x))
