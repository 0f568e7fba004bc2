"""Tests for the kernel's lessons_lib.measure: multiply-adds against formulas, forward time, layer scales."""
import math

import pytest
import torch
from torch import nn

from lessons_lib.conv import conv_multiply_adds
from lessons_lib.factorization import LearnerNet
from lessons_lib.measure import LayerScale, count_multiply_adds, layer_scales, time_forward
from lessons_lib.models import init_kaiming_, init_normal_
from lessons_lib.plots import plot_layer_scales


def small_cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 5), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(6 * 5 * 5, 12), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(12, 10))


def test_count_multiply_adds():
    assert count_multiply_adds(nn.Conv2d(3, 8, 3, padding=1), (3, 10, 10)) == conv_multiply_adds(3, 8, 3, 10, 10)
    assert count_multiply_adds(nn.Conv2d(8, 8, 3, groups=4), (8, 6, 6)) == conv_multiply_adds(8, 8, 3, 4, 4, groups=4)
    assert count_multiply_adds(nn.Linear(20, 5), (20,)) == 100
    model = small_cnn()
    model.train()
    expected = (conv_multiply_adds(1, 4, 5, 24, 24) + conv_multiply_adds(4, 6, 3, 10, 10) + 150 * 12 + 12 * 10)
    assert count_multiply_adds(model, (1, 28, 28)) == expected
    assert model.training, "count_multiply_adds must leave the model in training mode"
    with pytest.raises(ValueError, match=">= 1"):
        count_multiply_adds(model, (1, 0, 28))
    with pytest.raises(TypeError, match="nn.Module"):
        count_multiply_adds("model", (1, 28, 28))


def test_count_multiply_adds_matches_formula_and_linear():
    conv = nn.Conv2d(3, 8, 5, padding=2, groups=1)
    assert count_multiply_adds(conv, (3, 16, 16)) == conv_multiply_adds(3, 8, 5, 16, 16)
    grouped = nn.Conv2d(8, 8, 3, padding=1, groups=8)
    assert count_multiply_adds(grouped, (8, 10, 10)) == conv_multiply_adds(8, 8, 3, 10, 10, groups=8)
    assert count_multiply_adds(nn.Sequential(nn.Flatten(), nn.Linear(12, 5)), (3, 2, 2)) == 60
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        count_multiply_adds(conv, (1, 3, 16, 16))
    assert count_multiply_adds(conv, (3, 16, 16)) == count_multiply_adds(conv, (__import__("numpy").int64(3), 16, 16))


def test_time_forward_is_positive_and_checks_input():
    conv = nn.Conv2d(2, 2, 3)
    assert time_forward(conv, torch.zeros(1, 2, 8, 8), repeats=2, warmup=0) > 0
    with pytest.raises(TypeError, match="torch.Tensor"):
        time_forward(conv, [[1.0]])
    with pytest.raises(ValueError, match="repeats"):
        time_forward(conv, torch.zeros(1, 2, 8, 8), repeats=0)


def test_layer_scales_show_vanishing_signal_and_leave_no_gradients():
    torch.manual_seed(0)
    x, y = torch.randn(8, 3, 32, 32), torch.randint(0, 10, (8,))
    broken = init_normal_(LearnerNet(16), 1e-4)
    fixed = init_kaiming_(LearnerNet(16, fixed=True))
    broken_rows, fixed_rows = layer_scales(broken, x, y), layer_scales(fixed, x, y)
    assert all(isinstance(r, LayerScale) for r in broken_rows)
    assert [r.name for r in broken_rows][:4] == ["block1.0", "block1.1", "block2.0", "block2.1"]
    assert broken_rows[0].activation_std == pytest.approx(1e-4 * math.sqrt(27), rel=0.5)
    assert broken_rows[3].activation_std < 1e-10
    assert all(0.1 < r.activation_std < 10 for r in fixed_rows)
    assert max(r.gradient_norm for r in broken_rows[:4]) < 1e-6 * min(r.gradient_norm for r in fixed_rows)
    assert all(p.grad is None for p in fixed.parameters())
    with pytest.raises(ValueError, match="labels|shape"):
        layer_scales(fixed, x, y[:3])
    with pytest.raises(ValueError, match="no Conv2d or Linear"):
        layer_scales(nn.ReLU(), x, y)


def test_plot_layer_scales_returns_a_log_figure():
    import matplotlib

    matplotlib.use("Agg")
    rows = [LayerScale("a", 1e-3, 0.0), LayerScale("b", 1.0, 2.0)]
    fig = plot_layer_scales({"x": rows})
    assert all(ax.get_yscale() == "log" for ax in fig.axes)
    with pytest.raises(ValueError, match="non-empty"):
        plot_layer_scales({})
