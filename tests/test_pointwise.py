"""lessons_lib.pointwise (notebook 02): 1×1 conv ⇄ Linear, the fully convolutional head, NiN blocks,
canvases and costs — including the errors a learner sees on bad input."""
import numpy as np
import pytest
import torch
from torch import nn

from lessons_lib.conv import conv_multiply_adds, conv_parameter_count, count_parameters
from lessons_lib.pointwise import (FASHION_MNIST_CLASSES, conv1x1_to_linear, conv_stack_cost,
                                   fully_convolutional, linear_per_pixel, linear_to_conv, linear_to_conv1x1, nin_block,
                                   place_on_canvas)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def test_fashion_mnist_classes():
    assert len(FASHION_MNIST_CLASSES) == 10 and FASHION_MNIST_CLASSES[9] == "Ankle boot"


def test_conv1x1_and_linear_agree_both_ways():
    x = torch.randn(3, 8, 7, 5)
    conv = nn.Conv2d(8, 4, 1)
    linear = conv1x1_to_linear(conv)
    assert linear.weight.shape == (4, 8)
    assert (linear_per_pixel(linear, x) - conv(x)).abs().max() <= 1e-5
    back = linear_to_conv1x1(linear)
    assert back.weight.shape == (4, 8, 1, 1)
    assert (back(x) - conv(x)).abs().max() <= 1e-5


def test_copies_are_not_views_and_bias_free_layers_work():
    conv = nn.Conv2d(6, 3, 1, bias=False)
    linear = conv1x1_to_linear(conv)
    assert linear.bias is None
    with torch.no_grad():
        linear.weight.zero_()
    assert conv.weight.abs().sum() > 0
    assert linear_to_conv1x1(nn.Linear(6, 3, bias=False)).bias is None


def test_notebook_einsum_and_matmul_agree_with_the_helpers():
    """The notebook's by-hand forms (einsum over channels, pixels as rows) are the library's 1×1 conv."""
    x = torch.randn(2, 8, 6, 6)
    linear = nn.Linear(8, 4)
    conv = linear_to_conv1x1(linear)
    with torch.no_grad():
        by_einsum = torch.einsum("oc,nchw->nohw", linear.weight, x) + linear.bias[None, :, None, None]
        rows = (x.permute(0, 2, 3, 1).reshape(-1, 8) @ linear.weight.T + linear.bias).reshape(2, 6, 6, 4)
        assert (by_einsum - conv(x)).abs().max() <= 1e-5
        assert (rows.permute(0, 3, 1, 2) - conv(x)).abs().max() <= 1e-5
        mean_conv = nn.Conv2d(8, 1, 1, bias=False)
        mean_conv.weight.fill_(1 / 8)
        assert (mean_conv(x) - x.mean(1, keepdim=True)).abs().max() <= 1e-6


@pytest.mark.parametrize("kwargs, fragment", [({"kernel_size": 3}, "kernel_size"), ({"kernel_size": 1, "stride": 2}, "stride"),
                                              ({"kernel_size": 1, "padding": 1}, "padding"),
                                              ({"kernel_size": 1, "groups": 2}, "groups")])
def test_conv1x1_to_linear_rejects_other_convs(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        conv1x1_to_linear(nn.Conv2d(4, 4, **kwargs))


def test_type_errors_name_what_was_given():
    with pytest.raises(TypeError, match="nn.Conv2d, got Linear"):
        conv1x1_to_linear(nn.Linear(3, 3))
    with pytest.raises(TypeError, match="nn.Linear, got Conv2d"):
        linear_to_conv1x1(nn.Conv2d(3, 3, 1))


def test_linear_per_pixel_bad_input():
    linear = nn.Linear(8, 4)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\).*\(8, 5, 5\)"):
        linear_per_pixel(linear, torch.zeros(8, 5, 5))
    with pytest.raises(ValueError, match="C=8 channels, the input has 3"):
        linear_per_pixel(linear, torch.zeros(1, 3, 5, 5))


def test_linear_to_conv_equals_linear_and_slides():
    linear = nn.Linear(3 * 4 * 5, 7)
    conv = linear_to_conv(linear, (3, 4, 5))
    assert conv.weight.shape == (7, 3, 4, 5)
    x = torch.randn(2, 3, 4, 5)
    assert (conv(x)[:, :, 0, 0] - linear(x.flatten(1))).abs().max() <= 1e-5
    big = torch.randn(1, 3, 9, 8)
    out = conv(big)
    assert out.shape == (1, 7, 6, 4)
    assert (out[0, :, 2, 3] - linear(big[:, :, 2:6, 3:8].flatten(1))[0]).abs().max() <= 1e-5


def test_linear_to_conv_bad_shape():
    with pytest.raises(ValueError, match=r"60 inputs cannot read a \(3, 4, 4\) map"):
        linear_to_conv(nn.Linear(60, 2), (3, 4, 4))
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        linear_to_conv(nn.Linear(60, 2), (60,))


def _small_cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 5), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(6 * 5 * 5, 12), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(12, 10))


def test_fully_convolutional_keeps_logits_and_slides_with_stride_4():
    model = _small_cnn().eval()
    fcn = fully_convolutional(model, (1, 28, 28)).eval()
    assert isinstance(fcn[7], nn.Conv2d) and fcn[7].kernel_size == (5, 5)
    assert isinstance(fcn[10], nn.Conv2d) and fcn[10].kernel_size == (1, 1) and len(fcn) == 11
    x = torch.randn(3, 1, 28, 28)
    with torch.no_grad():
        assert (fcn(x)[:, :, 0, 0] - model(x)).abs().max() <= 1e-4
        canvas = torch.randn(1, 1, 40, 48)
        scores = fcn(canvas)
        assert scores.shape == (1, 10, 4, 6)
        crop = canvas[:, :, 8:36, 12:40]                 # map position (2, 3) ↔ corner (4·2, 4·3)
        assert (scores[0, :, 2, 3] - model(crop)[0]).abs().max() <= 1e-4
    assert fcn[0] is model[0], "the trunk is shared, not copied"


def test_place_on_canvas_and_the_notebook_canvas_windows():
    items = np.stack([np.full((28, 28), 50, np.uint8), np.full((28, 28), 200, np.uint8)])
    canvas = place_on_canvas(items, [(4, 8), (8, 60)], (92, 172))
    assert canvas.shape == (92, 172) and canvas.dtype == np.uint8
    assert canvas[4:32, 8:36].min() == 50 and canvas[8:36, 60:88].min() == 200 and canvas[50:, :].max() == 0
    overlap = place_on_canvas(items, [(0, 0), (10, 10)], (40, 40))
    assert overlap[15, 15] == 200 and overlap[5, 5] == 50


def test_place_on_canvas_bad_input():
    with pytest.raises(ValueError, match="does not fit"):
        place_on_canvas(np.zeros((1, 28, 28)), [(70, 0)], (92, 172))
    with pytest.raises(ValueError, match="2 corners for 1 images"):
        place_on_canvas(np.zeros((1, 28, 28)), [(0, 0), (0, 30)], (92, 172))
    with pytest.raises(ValueError, match=r"\(N, h, w\)"):
        place_on_canvas(np.zeros((28, 28)), [(0, 0)], (92, 172))


@pytest.mark.parametrize("batch_norm, conv_indices", [(True, (0, 3, 6)), (False, (0, 2, 4))])
def test_nin_block_layers_shapes_and_parameters(batch_norm, conv_indices):
    block = nin_block(16, 32, 3, padding=1, batch_norm=batch_norm)
    assert [i for i, layer in enumerate(block) if isinstance(layer, nn.Conv2d)] == list(conv_indices)
    assert block[conv_indices[1]].kernel_size == (1, 1) == block[conv_indices[2]].kernel_size
    assert block(torch.zeros(2, 16, 10, 10)).shape == (2, 32, 10, 10)
    weights = conv_parameter_count(16, 32, 3) + 2 * conv_parameter_count(32, 32, 1)
    assert count_parameters(block) == weights + (3 * 2 * 32 if batch_norm else 0)
    assert not isinstance(nin_block(4, 10, 3, final_relu=False)[-1], (nn.ReLU, nn.BatchNorm2d))


@pytest.mark.parametrize("args, fragment", [((0, 4, 3), "in_channels"), ((4, 4.0, 3), "out_channels"),
                                            ((4, 4, True), "kernel_size")])
def test_nin_block_bad_input(args, fragment):
    with pytest.raises(ValueError, match=fragment):
        nin_block(*args)
    with pytest.raises(ValueError, match="padding"):
        nin_block(4, 4, 3, padding=-1)


def test_conv_stack_cost_matches_the_notebook():
    direct = conv_stack_cost([(256, 256, 3)], 56, 56)
    bottleneck = conv_stack_cost([(256, 64, 1), (64, 64, 3), (64, 256, 1)], 56, 56)
    assert direct == {"parameters": 590_080, "multiply_adds": 1_849_688_064}
    assert bottleneck == {"parameters": 70_016, "multiply_adds": 218_365_952}


def test_conv_stack_cost_bad_input():
    with pytest.raises(ValueError, match="reads 32 channels but the layer before gives 64"):
        conv_stack_cost([(256, 64, 1), (32, 64, 3)], 8, 8)
    with pytest.raises(ValueError, match="at least one"):
        conv_stack_cost([], 8, 8)
    with pytest.raises(ValueError, match="in_channels, out_channels, kernel"):
        conv_stack_cost([(256, 64)], 8, 8)


def test_fully_convolutional_bad_input():
    with pytest.raises(TypeError, match="nn.Sequential"):
        fully_convolutional(nn.Linear(3, 3), (1, 28, 28))
    with pytest.raises(ValueError, match="exactly one nn.Flatten"):
        fully_convolutional(nn.Sequential(nn.Conv2d(1, 2, 3)), (1, 28, 28))
    with pytest.raises(ValueError, match="no nn.Linear after its Flatten"):
        fully_convolutional(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten()), (1, 28, 28))
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        fully_convolutional(_small_cnn(), (28, 28))
