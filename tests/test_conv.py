"""Tests for lessons_lib.conv (notebook 01): the arithmetic agrees with real PyTorch layers."""
import numpy as np
import pytest
import torch
from torch import nn

from lessons_lib.conv import (conv_multiply_adds, conv_output_size, conv_parameter_count, count_parameters,
                              lenet5_c3_table, receptive_field, same_padding, sparse_conv_parameter_count)


@pytest.mark.parametrize("size, kernel, stride, padding, dilation", [
    (32, 5, 1, 0, 1), (32, 5, 2, 0, 1), (32, 5, 1, 2, 1), (28, 3, 1, 1, 1), (7, 3, 2, 1, 1),
    (227, 11, 4, 0, 1), (10, 2, 2, 0, 1), (16, 3, 1, 2, 2), (5, 5, 1, 0, 1),
])
def test_conv_output_size_matches_nn_conv2d(size, kernel, stride, padding, dilation):
    layer = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding, dilation=dilation)
    real = layer(torch.zeros(1, 1, size, size)).shape[-1]
    assert conv_output_size(size, kernel, stride, padding, dilation) == real


def test_lesson_numbers():
    assert conv_output_size(32, 5) == 28
    assert conv_output_size(32, 5, stride=2) == 14
    assert conv_output_size(14, 5) == 10
    assert conv_parameter_count(3, 1, 5) == 76
    assert conv_parameter_count(1, 16, 3) == 160
    assert conv_parameter_count(16, 32, 3) == 4640
    assert conv_parameter_count(8, 16, 7) == 6288
    assert conv_parameter_count(6, 16, 5) == 2416


@pytest.mark.parametrize("kernel", [1, 3, 5, 7, 11])
def test_same_padding_keeps_size(kernel):
    assert conv_output_size(20, kernel, padding=same_padding(kernel)) == 20


@pytest.mark.parametrize("in_channels, out_channels, kernel, bias, groups", [
    (3, 1, 5, True, 1), (16, 32, 3, True, 1), (8, 8, 7, True, 8), (8, 16, 7, False, 8), (6, 16, (3, 5), True, 2),
])
def test_parameter_count_matches_nn_conv2d(in_channels, out_channels, kernel, bias, groups):
    layer = nn.Conv2d(in_channels, out_channels, kernel, bias=bias, groups=groups)
    assert conv_parameter_count(in_channels, out_channels, kernel, bias=bias, groups=groups) == count_parameters(layer)


def test_count_parameters_trainable_only():
    layer = nn.Linear(4, 3)
    layer.bias.requires_grad_(False)
    assert count_parameters(layer) == 12
    assert count_parameters(layer, trainable_only=False) == 15


def test_multiply_adds():
    # LeNet conv2: 16 filters of 6·5·5 weights at 10·10 positions
    assert conv_multiply_adds(6, 16, 5, 10, 10) == 16 * 6 * 25 * 100


def test_receptive_field():
    assert receptive_field([(3, 1), (3, 1)]) == 5
    assert receptive_field([(5, 1), (2, 2), (5, 1), (2, 2)]) == 16
    assert receptive_field([]) == 1


def test_lenet5_c3_table_matches_the_paper():
    table = lenet5_c3_table()
    assert table.shape == (16, 6)
    assert table.sum() == 60
    counts = table.sum(axis=1)
    assert counts[:6].tolist() == [3] * 6 and counts[6:15].tolist() == [4] * 9 and counts[15] == 6
    # Table I, row for S2 map 0: X in C3 columns 0, 4, 5, 6, 9, 10, 11, 12, 14, 15
    assert np.flatnonzero(table[:, 0]).tolist() == [0, 4, 5, 6, 9, 10, 11, 12, 14, 15]
    # each S2 map feeds 10 C3 maps
    assert table.sum(axis=0).tolist() == [10] * 6


def test_sparse_conv_parameter_count():
    table = lenet5_c3_table()
    assert sparse_conv_parameter_count(table, 5) == 1516
    assert sparse_conv_parameter_count(table, 5, bias=False) == 1500
    assert sparse_conv_parameter_count(np.ones((16, 6)), 5) == conv_parameter_count(6, 16, 5)
    assert sparse_conv_parameter_count(np.ones((4, 2), int), (3, 5)) == conv_parameter_count(2, 4, (3, 5))


@pytest.mark.parametrize("call, error, fragment", [
    (lambda: conv_output_size(4, 5), ValueError, "does not fit"),
    (lambda: conv_output_size(32, 5, stride=0), ValueError, "stride must be >= 1"),
    (lambda: conv_output_size(32, 5, padding=-1), ValueError, "padding must be >= 0"),
    (lambda: conv_output_size(32.0, 5), TypeError, "size must be an int"),
    (lambda: same_padding(4), ValueError, "odd kernel"),
    (lambda: conv_parameter_count(6, 16, 5, groups=4), ValueError, "must divide"),
    (lambda: conv_parameter_count(True, 16, 5), TypeError, "in_channels must be an int"),
    (lambda: receptive_field([(0, 1)]), ValueError, "kernel must be >= 1"),
    (lambda: sparse_conv_parameter_count(np.ones(6), 5), ValueError, "2-D"),
    (lambda: sparse_conv_parameter_count(np.full((2, 2), 2), 5), ValueError, "only 0 and 1"),
    (lambda: sparse_conv_parameter_count(np.ones((2, 2)), 0), ValueError, "kernel height must be >= 1"),
])
def test_bad_input_gives_clear_errors(call, error, fragment):
    with pytest.raises(error, match=fragment):
        call()
