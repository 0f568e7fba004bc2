"""LearnerNet's one-change-at-a-time variants (lesson 04): the unfactorized 5×5 block and BatchNorm alone."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from lessons_lib.factorization import LearnerNet


def convs(block):
    return [m for m in block if isinstance(m, nn.Conv2d)]


def test_five_by_five_is_the_tutorial_block():
    net = LearnerNet(8, five_by_five=True)
    assert net(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    for block, in_channels in ((net.block1, 3), (net.block2, 8)):
        (conv,) = convs(block)
        assert conv.kernel_size == (5, 5) and conv.padding == (2, 2) and conv.in_channels == in_channels
        assert conv.bias is not None and conv.groups == 1
        assert not any(isinstance(m, nn.BatchNorm2d) for m in block)


def test_batchnorm_alone_keeps_the_factorized_pair_without_a_pointwise():
    net = LearnerNet(8, batchnorm=True)
    assert net(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    first, depthwise = convs(net.block1)
    assert first.kernel_size == depthwise.kernel_size == (3, 3) and depthwise.groups == 8
    assert sum(isinstance(m, nn.BatchNorm2d) for m in net.block1) == 2
    assert not any(m.kernel_size == (1, 1) for m in convs(net.block1))


def test_the_original_nets_are_unchanged():
    broken, fixed = LearnerNet(8), LearnerNet(8, fixed=True)
    assert [m.kernel_size for m in convs(broken.block1)] == [(3, 3), (3, 3)]
    assert [m.kernel_size for m in convs(fixed.block1)] == [(3, 3), (3, 3), (1, 1)]


@pytest.mark.parametrize("kwargs", [dict(fixed=True), dict(batchnorm=True)])
def test_five_by_five_refuses_other_changes(kwargs):
    with pytest.raises(ValueError, match="five_by_five"):
        LearnerNet(8, five_by_five=True, **kwargs)
