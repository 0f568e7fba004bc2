"""1×1 (pointwise) convolutions: weight copying between ``nn.Conv2d`` 1×1 and ``nn.Linear``,
Network-in-Network blocks, turning a classifier's fully-connected head into convolutions
(fully convolutional evaluation), and the cost of a 1×1 bottleneck.

Introduced in notebook 02 (one-by-one convolution).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn

from .conv import conv_multiply_adds, conv_parameter_count
from .validation import positive_int

FASHION_MNIST_CLASSES: tuple[str, ...] = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
"""Fashion-MNIST's class names, in label order 0–9 (Xiao, Rasul, Vollgraf 2017)."""


def _require_module(name: str, value, kind: type) -> None:
    if not isinstance(value, kind):
        raise TypeError(f"{name} must be an nn.{kind.__name__}, got {type(value).__name__}")


def _require_plain_1x1(conv: nn.Conv2d) -> None:
    problems = []
    if tuple(conv.kernel_size) != (1, 1):
        problems.append(f"kernel_size {tuple(conv.kernel_size)} (need (1, 1))")
    if tuple(conv.stride) != (1, 1):
        problems.append(f"stride {tuple(conv.stride)} (need 1)")
    if conv.padding not in ((0, 0), 0, "valid"):
        problems.append(f"padding {conv.padding} (need 0)")
    if conv.groups != 1:
        problems.append(f"groups {conv.groups} (need 1)")
    if problems:
        raise ValueError("expected a plain 1×1 convolution, got one with " + ", ".join(problems))


def conv1x1_to_linear(conv: nn.Conv2d) -> nn.Linear:
    """The ``nn.Linear(C, C')`` that a 1×1 ``nn.Conv2d(C, C', 1)`` applies at every pixel.

    Weights (C', C, 1, 1) → (C', C); the bias is copied. The new layer holds copies, not views.
    """
    _require_module("conv", conv, nn.Conv2d)
    _require_plain_1x1(conv)
    linear = nn.Linear(conv.in_channels, conv.out_channels, bias=conv.bias is not None)
    linear = linear.to(device=conv.weight.device, dtype=conv.weight.dtype)
    with torch.no_grad():
        linear.weight.copy_(conv.weight.reshape(conv.out_channels, conv.in_channels))
        if conv.bias is not None:
            linear.bias.copy_(conv.bias)
    return linear


def linear_to_conv1x1(linear: nn.Linear) -> nn.Conv2d:
    """The 1×1 ``nn.Conv2d(C, C', 1)`` that applies ``nn.Linear(C, C')`` at every pixel.

    Weights (C', C) → (C', C, 1, 1); the bias is copied.
    """
    _require_module("linear", linear, nn.Linear)
    conv = nn.Conv2d(linear.in_features, linear.out_features, kernel_size=1, bias=linear.bias is not None)
    conv = conv.to(device=linear.weight.device, dtype=linear.weight.dtype)
    with torch.no_grad():
        conv.weight.copy_(linear.weight[:, :, None, None])
        if linear.bias is not None:
            conv.bias.copy_(linear.bias)
    return conv


def linear_per_pixel(linear: nn.Linear, x: torch.Tensor) -> torch.Tensor:
    """Apply ``linear`` to the channel vector of every pixel: (N, C, H, W) → (N, C', H, W).

    Moves channels last (N, H, W, C), applies the layer, moves them back.
    """
    _require_module("linear", linear, nn.Linear)
    if not isinstance(x, torch.Tensor) or x.ndim != 4:
        shape = tuple(x.shape) if hasattr(x, "shape") else type(x).__name__
        raise ValueError(f"expected a (N, C, H, W) tensor, got {shape}; add a batch dim with x[None]")
    if x.shape[1] != linear.in_features:
        raise ValueError(f"linear expects C={linear.in_features} channels, the input has {x.shape[1]} "
                         f"(shape {tuple(x.shape)}, channels are dim 1)")
    return linear(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def linear_to_conv(linear: nn.Linear, input_shape: Sequence[int]) -> nn.Conv2d:
    """The ``nn.Conv2d(C, out, kernel=(H, W))`` equal to ``linear`` applied to a flattened (C, H, W) map.

    ``linear.in_features`` must be C·H·W (PyTorch's ``flatten`` order: channel, row, column). On a
    (C, H, W) input the conv gives a (out, 1, 1) output equal to the layer; on a larger map it slides.
    """
    _require_module("linear", linear, nn.Linear)
    shape = tuple(int(s) for s in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"input_shape must be (C, H, W) of positive ints, got {tuple(input_shape)}")
    channels, height, width = shape
    if channels * height * width != linear.in_features:
        raise ValueError(f"a Linear with {linear.in_features} inputs cannot read a {shape} map "
                         f"({channels}·{height}·{width} = {channels * height * width} values)")
    conv = nn.Conv2d(channels, linear.out_features, kernel_size=(height, width), bias=linear.bias is not None)
    conv = conv.to(device=linear.weight.device, dtype=linear.weight.dtype)
    with torch.no_grad():
        conv.weight.copy_(linear.weight.reshape(linear.out_features, channels, height, width))
        if linear.bias is not None:
            conv.bias.copy_(linear.bias)
    return conv


def fully_convolutional(model: nn.Sequential, input_shape: Sequence[int]) -> nn.Sequential:
    """A copy of ``model`` whose ``Flatten → Linear → … → Linear`` head is made of convolutions.

    The first Linear after the Flatten becomes a conv with the feature map's (H, W) kernel, every
    later Linear a 1×1 conv; other layers (ReLU, Dropout) are kept. ``input_shape`` is (C, H, W) of
    the images the model was trained on. On those images the result gives (N, classes, 1, 1) equal to
    ``model``'s logits; on a larger image, an (N, classes, H', W') map of scores.
    """
    _require_module("model", model, nn.Sequential)
    shape = tuple(int(s) for s in input_shape)
    if len(shape) != 3:
        raise ValueError(f"input_shape must be (C, H, W), got {tuple(input_shape)}")
    layers = list(model)
    flatten_at = [i for i, layer in enumerate(layers) if isinstance(layer, nn.Flatten)]
    if len(flatten_at) != 1:
        raise ValueError(f"expected exactly one nn.Flatten between the conv trunk and the Linear head, found {len(flatten_at)}")
    cut = flatten_at[0]
    trunk = nn.Sequential(*layers[:cut])
    parameter = next(model.parameters())
    with torch.no_grad():
        feature_shape = tuple(trunk(torch.zeros(1, *shape, device=parameter.device, dtype=parameter.dtype)).shape[1:])
    if len(feature_shape) != 3:
        raise ValueError(f"the layers before Flatten must give a (C, H, W) map, got {feature_shape}")
    head, first = [], True
    for layer in layers[cut + 1:]:
        if isinstance(layer, nn.Linear):
            head.append(linear_to_conv(layer, feature_shape) if first else linear_to_conv1x1(layer))
            first = False
        elif isinstance(layer, (nn.Conv2d, nn.Flatten, nn.AdaptiveAvgPool2d)):
            raise ValueError(f"unexpected {type(layer).__name__} in the head after Flatten")
        else:
            head.append(layer)
    if first:
        raise ValueError("the model has no nn.Linear after its Flatten: nothing to convert")
    return nn.Sequential(*layers[:cut], *head)


def nin_block(in_channels: int, out_channels: int, kernel_size: int, padding: int = 0,
              final_relu: bool = True, batch_norm: bool = True) -> nn.Sequential:
    """An mlpconv block of Network in Network (Lin, Chen, Yan 2013): a k×k conv, then two 1×1 convs.

    conv k×k (in → out) → [BN] → ReLU → conv 1×1 (out → out) → [BN] → ReLU → conv 1×1 (out → out)
    [→ BN → ReLU when ``final_relu``]. Maps (N, in, H, W) → (N, out, H − k + 1 + 2·padding, same for W).
    The two 1×1 convs are the paper's "cascaded cross channel parametric pooling". Batch
    normalization (``batch_norm=True``, not in the 2013 paper) lets the block train in few epochs.
    Layer indices with batch norm: 0 k×k conv, 3 first 1×1 conv, 6 second 1×1 conv.
    """
    in_channels, out_channels = positive_int("in_channels", in_channels), positive_int("out_channels", out_channels)
    kernel_size, padding = positive_int("kernel_size", kernel_size), positive_int("padding", padding, allow_zero=True)

    def normalized(channels: int) -> list[nn.Module]:
        return [nn.BatchNorm2d(channels), nn.ReLU()] if batch_norm else [nn.ReLU()]

    layers: list[nn.Module] = [nn.Conv2d(in_channels, out_channels, kernel_size, padding=padding), *normalized(out_channels),
                               nn.Conv2d(out_channels, out_channels, 1), *normalized(out_channels),
                               nn.Conv2d(out_channels, out_channels, 1)]
    if final_relu:
        layers += normalized(out_channels)
    return nn.Sequential(*layers)


def place_on_canvas(images: np.ndarray, corners: Sequence[tuple[int, int]], canvas_shape: tuple[int, int]) -> np.ndarray:
    """Paste (N, h, w) images onto a zero canvas at their (row, column) top-left corners.

    Overlaps keep the brighter pixel. Returns a (H, W) array of the images' dtype.
    """
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"expected (N, h, w) images, got shape {images.shape}")
    if len(corners) != len(images):
        raise ValueError(f"got {len(corners)} corners for {len(images)} images")
    height, width = canvas_shape
    canvas = np.zeros((height, width), dtype=images.dtype)
    h, w = images.shape[1:]
    for image, (row, col) in zip(images, corners):
        if row < 0 or col < 0 or row + h > height or col + w > width:
            raise ValueError(f"an image at corner ({row}, {col}) of size {h}×{w} does not fit a {height}×{width} canvas")
        canvas[row:row + h, col:col + w] = np.maximum(canvas[row:row + h, col:col + w], image)
    return canvas


def conv_stack_cost(layers: Sequence[tuple[int, int, int]], height: int, width: int) -> dict[str, int]:
    """Parameters and multiply-adds of convs applied one after another at one size (stride 1, 'same' padding).

    ``layers`` is a list of (in_channels, out_channels, kernel) triples; ``height`` × ``width`` is the map
    size every layer outputs. Returns ``{"parameters": …, "multiply_adds": …}`` (biases counted in
    parameters, not in multiply-adds).
    """
    if not layers:
        raise ValueError("conv_stack_cost needs at least one (in_channels, out_channels, kernel) layer")
    parameters = multiply_adds = 0
    previous_out = None
    for layer in layers:
        if len(layer) != 3:
            raise ValueError(f"each layer must be (in_channels, out_channels, kernel), got {layer!r}")
        c_in, c_out, kernel = layer
        if previous_out is not None and c_in != previous_out:
            raise ValueError(f"layer {layer} reads {c_in} channels but the layer before gives {previous_out}")
        parameters += conv_parameter_count(c_in, c_out, kernel)
        multiply_adds += conv_multiply_adds(c_in, c_out, kernel, height, width)
        previous_out = c_out
    return {"parameters": parameters, "multiply_adds": multiply_adds}
