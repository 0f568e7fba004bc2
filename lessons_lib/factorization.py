"""Factorized convolutions, Inception blocks, and probes that look at activation and gradient scale.

* building blocks: ``stacked_3x3`` (two 3×3 for one 5×5), ``asymmetric_conv`` (1×n then n×1),
  ``depthwise_separable_conv`` (depthwise k×k then pointwise 1×1);
* ``InceptionBlock`` (GoogLeNet with 1×1 reductions, 5×5 factorized into two 3×3) and
  ``NaiveInceptionBlock`` (1×1 | 3×3 | 5×5 | pool, no reductions);
* small CIFAR-10 networks: ``LearnerNet`` (the 3×3 + depthwise 3×3 net from the lesson's question)
  and ``SmallCifarNet`` (plain 5×5, factorized 3×3+3×3, depthwise-separable).

Measuring (multiply-adds, time, layer scales) lives in the kernel's ``lessons_lib.measure``, the
initialisers in ``lessons_lib.models`` and the layer-scale figure in ``lessons_lib.plots``.

Introduced in notebook 04 (Inception-style factorization).
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .models import init_kaiming_
from .validation import positive_int

__all__ = [
    "stacked_3x3", "asymmetric_conv", "depthwise_separable_conv", "InceptionBlock", "NaiveInceptionBlock",
    "LearnerNet", "SmallCifarNet", "SMALL_NET_KINDS",
]


def _odd_kernel(kernel) -> int:
    kernel = positive_int("kernel", kernel)
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
    """
    in_channels, out_channels = positive_int("in_channels", in_channels), positive_int("out_channels", out_channels)
    mid = positive_int("mid_channels", mid_channels if mid_channels is not None else out_channels)
    layers: list[nn.Module] = [nn.Conv2d(in_channels, mid, 3, padding=1, bias=bias)]
    if nonlinearity:
        layers.append(nn.ReLU())
    layers.append(nn.Conv2d(mid, out_channels, 3, padding=1, bias=bias))
    return nn.Sequential(*layers)


def asymmetric_conv(in_channels: int, out_channels: int, kernel: int = 3, bias: bool = False) -> nn.Sequential:
    """A 1×n convolution followed by an n×1 one (Inception-v3's asymmetric factorization of n×n).

    (N, in_channels, H, W) → (N, out_channels, H, W); weights 2·n·C·C' instead of n²·C·C' (for C = C').
    """
    in_channels, out_channels = positive_int("in_channels", in_channels), positive_int("out_channels", out_channels)
    kernel = _odd_kernel(kernel)
    pad = (kernel - 1) // 2
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, (1, kernel), padding=(0, pad), bias=bias),
        nn.Conv2d(out_channels, out_channels, (kernel, 1), padding=(pad, 0), bias=bias),
    )


def depthwise_separable_conv(in_channels: int, out_channels: int, kernel: int = 3, bias: bool = False) -> nn.Sequential:
    """A depthwise k×k convolution (one filter per channel, ``groups=in_channels``) then a pointwise 1×1.

    (N, in_channels, H, W) → (N, out_channels, H, W); weights k²·C + C·C' instead of k²·C·C',
    a ratio of 1/C' + 1/k².
    """
    in_channels, out_channels = positive_int("in_channels", in_channels), positive_int("out_channels", out_channels)
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


class _Branches(nn.Module):
    """Four parallel branches whose outputs are concatenated along channels (both Inception blocks)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"expected a (N, {self.in_channels}, H, W) batch, got {tuple(x.shape)}")
        return torch.cat([self.branch1(x), self.branch3(x), self.branch5(x), self.branch_pool(x)], dim=1)


class InceptionBlock(_Branches):
    """Inception block with dimension reductions: 1×1 | 1×1→3×3 | 1×1→3×3→3×3 | 3×3 max-pool→1×1, concatenated.

    With ``factorize_5x5=True`` (default) the third branch is GoogLeNet's 5×5 factorized into two
    3×3 (c5_reduce → c5 → c5, as in Inception-v2/v3); with ``False`` it is GoogLeNet's 1×1→5×5.
    (N, in_channels, H, W) → (N, c1 + c3 + c5 + pool_proj, H, W). GoogLeNet's inception (3a):
    ``InceptionBlock(192, 64, 96, 128, 16, 32, 32)`` → 256 channels.
    """

    def __init__(self, in_channels: int, c1: int, c3_reduce: int, c3: int, c5_reduce: int, c5: int, pool_proj: int,
                 factorize_5x5: bool = True):
        super().__init__()
        for name, value in dict(in_channels=in_channels, c1=c1, c3_reduce=c3_reduce, c3=c3, c5_reduce=c5_reduce,
                                c5=c5, pool_proj=pool_proj).items():
            positive_int(name, value)
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



class NaiveInceptionBlock(_Branches):
    """The naive Inception block (GoogLeNet, Figure 2a): 1×1 | 3×3 | 5×5 | 3×3 max-pool, concatenated.

    No 1×1 reductions: every branch sees all ``in_channels``, and the pooling branch passes them
    through, so (N, in_channels, H, W) → (N, c1 + c3 + c5 + in_channels, H, W).
    """

    def __init__(self, in_channels: int, c1: int, c3: int, c5: int):
        super().__init__()
        for name, value in dict(in_channels=in_channels, c1=c1, c3=c3, c5=c5).items():
            positive_int(name, value)
        self.branch1 = _conv_relu(in_channels, c1, 1)
        self.branch3 = _conv_relu(in_channels, c3, 3)
        self.branch5 = _conv_relu(in_channels, c5, 5)
        self.branch_pool = nn.MaxPool2d(3, stride=1, padding=1)
        self.in_channels = in_channels
        self.out_channels = c1 + c3 + c5 + in_channels



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
    (so channels mix again), BatchNorm + ReLU after it. Initialisation is left to the caller
    (``init_normal_`` / ``init_kaiming_``).
    """

    def __init__(self, width: int = 64, fixed: bool = False):
        super().__init__()
        width = positive_int("width", width)
        self.fixed = bool(fixed)
        self.block1 = self._block(3, width)
        self.block2 = self._block(width, width)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(width * 8 * 8, 384), nn.ReLU(),
                                  nn.Linear(384, 192), nn.ReLU(), nn.Linear(192, 10))

    def _block(self, in_channels: int, width: int) -> nn.Sequential:
        if self.fixed:
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
    """

    def __init__(self, kind: str = "plain", width: int = 32):
        super().__init__()
        if kind not in SMALL_NET_KINDS:
            raise ValueError(f"kind must be one of {SMALL_NET_KINDS}, got {kind!r}")
        width = positive_int("width", width)
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
