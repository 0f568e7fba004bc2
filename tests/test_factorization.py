"""Tests for lessons_lib.factorization (notebook 04): counts against formulas, shapes, probes, bad input."""
import math

import pytest
import torch
from torch import nn

from lessons_lib.conv import conv_multiply_adds, conv_parameter_count, count_parameters, receptive_field
from lessons_lib.factorization import (
    SMALL_NET_KINDS, InceptionBlock, LearnerNet, NaiveInceptionBlock, SmallCifarNet, asymmetric_conv,
    depthwise_separable_conv, stacked_3x3,
)
from lessons_lib.measure import count_multiply_adds


@pytest.mark.parametrize("channels", [1, 16, 64])
def test_stacked_3x3_has_18_c_squared_weights_and_keeps_shape(channels):
    block = stacked_3x3(channels, channels)
    assert count_parameters(block) == 18 * channels**2
    assert 1 - count_parameters(block) / conv_parameter_count(channels, channels, 5, bias=False) == pytest.approx(0.28)
    assert block(torch.zeros(2, channels, 9, 9)).shape == (2, channels, 9, 9)
    assert receptive_field([(3, 1), (3, 1)]) == receptive_field([(5, 1)]) == 5


def test_stacked_3x3_without_nonlinearity_is_one_linear_5x5():
    torch.manual_seed(0)
    pair = stacked_3x3(2, 3, mid_channels=4, nonlinearity=False)
    assert not any(isinstance(m, nn.ReLU) for m in pair)
    merged = nn.Conv2d(2, 3, 5, padding=2, bias=False)
    with torch.no_grad():
        for channel in range(2):
            one_pixel = torch.zeros(1, 2, 9, 9)
            one_pixel[0, channel, 4, 4] = 1
            merged.weight[:, channel] = pair(one_pixel)[0, :, 2:7, 2:7].flip(-1, -2)
        x = torch.randn(3, 2, 12, 12)
        assert torch.allclose(pair(x)[..., 1:-1, 1:-1], merged(x)[..., 1:-1, 1:-1], atol=1e-5)


@pytest.mark.parametrize("kernel", [3, 5, 7])
def test_asymmetric_conv_weights_and_shape(kernel):
    block = asymmetric_conv(8, 8, kernel)
    assert count_parameters(block) == 2 * kernel * 8 * 8
    assert block(torch.zeros(1, 8, 10, 10)).shape == (1, 8, 10, 10)


@pytest.mark.parametrize("c_in,c_out,k", [(64, 64, 3), (64, 128, 3), (32, 16, 5)])
def test_depthwise_separable_ratio_matches_formula(c_in, c_out, k):
    block = depthwise_separable_conv(c_in, c_out, k)
    assert count_parameters(block) == k * k * c_in + c_in * c_out
    ratio = count_parameters(block) / count_parameters(nn.Conv2d(c_in, c_out, k, bias=False))
    assert math.isclose(ratio, 1 / c_out + 1 / k**2)
    assert block(torch.zeros(1, c_in, 8, 8)).shape == (1, c_out, 8, 8)


def test_depthwise_conv_mixes_no_channels():
    block = depthwise_separable_conv(4, 4, 3)
    x = torch.zeros(1, 4, 6, 6)
    x[0, 1] = torch.randn(6, 6)
    with torch.no_grad():
        depthwise_out = block[0](x)
    assert depthwise_out[0, [0, 2, 3]].abs().sum() == 0 and depthwise_out[0, 1].abs().sum() > 0


@pytest.mark.parametrize("bad", [(0, 4), (4, -1), (2.5, 4), (True, 4)])
def test_blocks_reject_bad_channels(bad):
    with pytest.raises((TypeError, ValueError), match="channels"):
        stacked_3x3(*bad)
    with pytest.raises((TypeError, ValueError), match="channels"):
        depthwise_separable_conv(*bad)


def test_even_kernel_is_rejected():
    with pytest.raises(ValueError, match="odd"):
        asymmetric_conv(4, 4, 4)
    with pytest.raises(ValueError, match="odd"):
        depthwise_separable_conv(4, 4, 2)


def _convs_cost(convs, size):
    return (sum(conv_parameter_count(i, o, k) for i, o, k in convs),
            sum(conv_multiply_adds(i, o, k, size, size) for i, o, k in convs))


def test_inception_3a_counts_and_shapes():
    x = torch.zeros(1, 192, 8, 8)            # small map: the counts scale with H·W, checked against the formula
    naive = NaiveInceptionBlock(192, 64, 128, 32)
    googlenet = InceptionBlock(192, 64, 96, 128, 16, 32, 32, factorize_5x5=False)
    factorized = InceptionBlock(192, 64, 96, 128, 16, 32, 32)
    assert naive(x).shape == (1, 416, 8, 8) and naive.out_channels == 416
    assert googlenet(x).shape == factorized(x).shape == (1, 256, 8, 8)
    for block, convs in [
        (naive, [(192, 64, 1), (192, 128, 3), (192, 32, 5)]),
        (googlenet, [(192, 64, 1), (192, 96, 1), (96, 128, 3), (192, 16, 1), (16, 32, 5), (192, 32, 1)]),
        (factorized, [(192, 64, 1), (192, 96, 1), (96, 128, 3), (192, 16, 1), (16, 32, 3), (32, 32, 3), (192, 32, 1)]),
    ]:
        assert (count_parameters(block), count_multiply_adds(block, (192, 8, 8))) == _convs_cost(convs, 8)
    # GoogLeNet Table 1: inception (3a) 159K parameters (weights, K = 1024), 128M operations
    weights = sum(p.numel() for name, p in googlenet.named_parameters() if name.endswith("weight"))
    googlenet_convs = [(192, 64, 1), (192, 96, 1), (96, 128, 3), (192, 16, 1), (16, 32, 5), (192, 32, 1)]
    assert weights // 1024 == 159 and round(_convs_cost(googlenet_convs, 28)[1] / 1e6) == 128


def test_inception_rejects_wrong_input_channels():
    with pytest.raises(ValueError, match=r"expected a \(N, 192, H, W\)"):
        InceptionBlock(192, 64, 96, 128, 16, 32, 32)(torch.zeros(1, 3, 28, 28))
    with pytest.raises(ValueError, match="expected"):
        NaiveInceptionBlock(8, 2, 2, 2)(torch.zeros(8, 28, 28))
    with pytest.raises(ValueError, match="c5"):
        InceptionBlock(192, 64, 96, 128, 16, 0, 32)


def test_learner_net_shapes_and_tensorflow_layout():
    broken, fixed = LearnerNet(16), LearnerNet(16, fixed=True)
    x = torch.zeros(3, 3, 32, 32)
    assert broken(x).shape == fixed(x).shape == (3, 10)
    first, depthwise = broken.block1[0], broken.block1[1]
    assert first.bias is None and depthwise.groups == 16 and tuple(depthwise.weight.shape) == (16, 1, 3, 3)
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.ReLU)) for m in broken.block1[:2])
    assert any(isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1) for m in fixed.block1)
    with pytest.raises(ValueError, match=r"\(N, 3, 32, 32\)"):
        broken(torch.zeros(3, 32, 32))


def test_small_cifar_nets_are_ordered_by_size():
    nets = {kind: SmallCifarNet(kind, 16) for kind in SMALL_NET_KINDS}
    assert all(net(torch.zeros(2, 3, 32, 32)).shape == (2, 10) for net in nets.values())
    params = [count_parameters(nets[k]) for k in ("plain", "factorized", "separable")]
    macs = [count_multiply_adds(nets[k], (3, 32, 32)) for k in ("plain", "factorized", "separable")]
    assert params[0] > params[1] > params[2] and macs[0] > macs[1] > macs[2]
    with pytest.raises(ValueError, match="kind must be one of"):
        SmallCifarNet("inception")
    with pytest.raises(ValueError, match="RGB"):
        nets["plain"](torch.zeros(2, 1, 32, 32))


def test_benchmark_script_runs_on_a_tiny_input(capsys, tmp_path):
    import json
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "factorization_speed.py"
    spec = importlib.util.spec_from_file_location("factorization_speed", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(["--batch", "1", "--channels", "4", "--size", "8", "--repeats", "1", "--results", str(tmp_path)])
    out = capsys.readouterr().out
    assert "separable 3×3" in out and "two 3×3" in out
    rows = json.loads((tmp_path / "factorization_speed.json").read_text())["rows"]
    assert len(rows) == 5 and all(row["unit"].startswith("x the ") and row["limit"] == 1.0 for row in rows)
    assert {row["target"].split(" faster")[0] for row in rows} == {"two 3×3 (ReLU between)", "1×5 + 5×1", "separable 5×5",
                                                                    "1×3 + 3×1", "separable 3×3"}
