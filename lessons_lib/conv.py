"""Convolution arithmetic: output sizes, parameter and multiply-add counts, receptive fields,
and LeNet-5's sparse C3 connection table.

Introduced in notebook 01 (filters have depth); reused by lessons 02 and 04.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from .validation import positive_int


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length along one axis: ⌊(W − K + 2P) / S⌋ + 1 (with dilation, K becomes d·(K−1)+1).

    >>> conv_output_size(32, 5, stride=1, padding=0)
    28

    Introduced in notebook 01 (filters have depth).
    """
    size = positive_int("size", size)
    kernel = positive_int("kernel", kernel)
    stride = positive_int("stride", stride)
    padding = positive_int("padding", padding, allow_zero=True)
    dilation = positive_int("dilation", dilation)
    span = dilation * (kernel - 1) + 1
    if size + 2 * padding < span:
        raise ValueError(f"a kernel spanning {span} does not fit in an input of {size} with padding {padding}")
    return (size + 2 * padding - span) // stride + 1


def same_padding(kernel: int) -> int:
    """Padding (K − 1) / 2 that keeps the size at stride 1 (odd kernels only).

    Introduced in notebook 01 (filters have depth).
    """
    kernel = positive_int("kernel", kernel)
    if kernel % 2 == 0:
        raise ValueError(f"'same' padding (K-1)/2 needs an odd kernel, got {kernel}")
    return (kernel - 1) // 2


def conv_parameter_count(in_channels: int, out_channels: int, kernel: int | tuple[int, int],
                         bias: bool = True, groups: int = 1) -> int:
    """Weights + biases of a 2-D conv layer: n · (f · kh · kw / groups + 1).

    Introduced in notebook 01 (filters have depth).
    """
    in_channels = positive_int("in_channels", in_channels)
    out_channels = positive_int("out_channels", out_channels)
    groups = positive_int("groups", groups)
    kh, kw = (kernel, kernel) if not isinstance(kernel, (tuple, list)) else kernel
    kh, kw = positive_int("kernel height", kh), positive_int("kernel width", kw)
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"groups={groups} must divide in_channels={in_channels} and out_channels={out_channels}")
    return out_channels * ((in_channels // groups) * kh * kw + (1 if bias else 0))


def conv_multiply_adds(in_channels: int, out_channels: int, kernel: int | tuple[int, int],
                       output_height: int, output_width: int, groups: int = 1) -> int:
    """Multiply-adds of one forward pass of a conv layer on one image (biases not counted).

    Introduced in notebook 01 (filters have depth); used in lessons 02 and 04.
    """
    weights = conv_parameter_count(in_channels, out_channels, kernel, bias=False, groups=groups)
    return weights * positive_int("output_height", output_height) * positive_int("output_width", output_width)


def count_parameters(module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters of a PyTorch module.

    Introduced in notebook 01 (filters have depth).
    """
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def receptive_field(layers: Iterable[tuple[int, int]]) -> int:
    """Receptive field of a stack of layers given as (kernel, stride) pairs, input to output.

    >>> receptive_field([(3, 1), (3, 1)])   # two stacked 3×3 see as far as one 5×5
    5

    Introduced in notebook 04 (factorization); see also notebook 01.
    """
    field, jump = 1, 1
    for kernel, stride in layers:
        kernel, stride = positive_int("kernel", kernel), positive_int("stride", stride)
        field += (kernel - 1) * jump
        jump *= stride
    return field


# LeNet-5's C3 layer (LeCun, Bottou, Bengio, Haffner 1998, Table I): which of the 6 S2 maps
# (rows) feed each of the 16 C3 maps (columns). An X in the paper is a 1 here.
_LENET5_C3_COLUMNS: Sequence[Sequence[int]] = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (0, 4, 5), (0, 1, 5),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (0, 3, 4, 5), (0, 1, 4, 5), (0, 1, 2, 5),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)


def lenet5_c3_table() -> np.ndarray:
    """LeNet-5's C3 connection table as a (16, 6) 0/1 array: row = C3 map, column = S2 map.

    Introduced in notebook 01 (filters have depth).
    """
    table = np.zeros((16, 6), dtype=np.int64)
    for out_map, in_maps in enumerate(_LENET5_C3_COLUMNS):
        table[out_map, list(in_maps)] = 1
    return table


def sparse_conv_parameter_count(connection_table, kernel: int | tuple[int, int], bias: bool = True) -> int:
    """Trainable parameters of a conv layer whose output maps see only SOME input maps.

    ``connection_table`` is an (out_channels, in_channels) 0/1 array (1 = this output map is fed
    by this input map), e.g. ``lenet5_c3_table()``. Each 1 costs one kh×kw kernel; each output
    map adds one bias. A table of all ones gives ``conv_parameter_count``.

    >>> sparse_conv_parameter_count(lenet5_c3_table(), 5)   # LeNet-5's C3
    1516

    Introduced in notebook 01 (filters have depth).
    """
    table = np.asarray(connection_table)
    if table.ndim != 2 or table.size == 0:
        raise ValueError(f"connection_table must be a 2-D (out_channels, in_channels) array, got shape {table.shape}")
    if not np.isin(table, (0, 1)).all():
        raise ValueError("connection_table must hold only 0 and 1 (1 = connected)")
    kh, kw = (kernel, kernel) if not isinstance(kernel, (tuple, list)) else kernel
    kh, kw = positive_int("kernel height", kh), positive_int("kernel width", kw)
    return int(table.sum()) * kh * kw + (table.shape[0] if bias else 0)
