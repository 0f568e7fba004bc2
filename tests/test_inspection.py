"""Tests for lessons_lib.inspection (notebook 08): receptive fields and unit arithmetic, against hand-computed
cases and against autograd and the forward pass on several architectures."""
from collections import OrderedDict

import numpy as np
import pytest
import torch
from torch import nn

from lessons_lib.conv import lenet5_c3_table, receptive_field as receptive_field_size
from lessons_lib.inspection import (Box, center_like_mnist, check_supported, feature_maps, format_predictions,
                                    receptive_field, top_predictions, unit_contributions)
from lessons_lib.models import MaskedConv2d, lenet


def three_strided_convs():
    return nn.Sequential(OrderedDict([(f"conv{i}", nn.Conv2d(1, 1, 3, stride=2)) for i in (1, 2, 3)]))


def test_receptive_field_of_stacked_3x3_stride_2_convs_by_hand():
    model = three_strided_convs()             # 31 → 15 → 7 → 3
    field = receptive_field(model, "conv3", 1, 1, input_shape=(1, 31, 31))
    # conv3 (1, 1) reads conv2 rows 2…4; those read conv1 rows 4…10; those read input rows 8…22.
    assert field.boxes["conv3"] == Box(1, 2, 1, 2)
    assert field.boxes["conv2"] == Box(2, 5, 2, 5)
    assert field.boxes["conv1"] == Box(4, 11, 4, 11)
    assert field.input_box == Box(8, 23, 8, 23)
    assert field.size == (15, 15) == (3 + 2 * 2 + 2 * 4,) * 2
    assert field.size[0] == receptive_field_size([(3, 2)] * 3)


def test_receptive_field_is_clipped_at_the_border_but_its_size_is_not():
    model = nn.Sequential(nn.Conv2d(1, 1, 5, padding=2), nn.MaxPool2d(2), nn.Conv2d(1, 1, 5))
    field = receptive_field(model, "2", 0, 0)
    assert field.size == (5 + 1 + 4 * 2,) * 2 == (14, 14)   # conv5-pool2-conv5
    assert field.input_box == Box(0, 12, 0, 12)            # 2 of the 14 rows are padding
    assert field.boxes["1"] == Box(0, 5, 0, 5) and field.boxes["0"] == Box(0, 10, 0, 10)


def test_receptive_field_of_a_linear_unit_is_the_whole_input():
    model = lenet()
    field = receptive_field(model, "fc2", 0, 0)
    assert field.input_box == Box(0, 28, 0, 28)
    assert field.boxes["pool2"] == Box(0, 5, 0, 5)
    assert "fc1" not in field.boxes                        # a vector has no box


def test_receptive_field_of_a_flatten_unit_is_the_unit_it_copies():
    model = lenet()
    index = 3 * 25 + 2 * 5 + 4                             # pool2 map 3, row 2, col 4
    field = receptive_field(model, "flatten", channel=index)
    assert field.boxes["pool2"] == Box(2, 3, 4, 5)
    assert field.boxes == receptive_field(model, "pool2", 2, 4).boxes  # the same boxes below
    with pytest.raises(ValueError, match="channel"):
        receptive_field(model, "flatten")


def test_receptive_field_errors_name_the_problem():
    model = lenet()
    with pytest.raises(ValueError, match="no layer 'conv9'"):
        receptive_field(model, "conv9", 0, 0)
    with pytest.raises(ValueError, match="outside 'conv2'.*10×10"):
        receptive_field(model, "conv2", 10, 0)


def test_unit_of_a_linear_layer_by_hand():
    model = nn.Sequential(OrderedDict(flatten=nn.Flatten(), fc=nn.Linear(4, 2), act=nn.ReLU()))
    with torch.no_grad():
        model.fc.weight.copy_(torch.tensor([[1.0, -2.0, 0.5, 3.0], [0.0, 1.0, 1.0, -1.0]]))
        model.fc.bias.copy_(torch.tensor([0.25, -4.0]))
    x = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])         # (1, 1, 2, 2) → flattened 1, 2, 3, 4
    unit = unit_contributions(model, x, "fc", 0)
    # the flattened input is one 2×2 map: 1·1 − 2·2 + 0.5·3 + 3·4 = 10.5, + 0.25 = 10.75
    assert unit.kind == "linear" and unit.source == "input" and unit.input_channels == [0]
    assert unit.contributions.tolist() == [10.5]
    assert unit.bias == 0.25 and unit.total == unit.value == 10.75 == pytest.approx(unit.forward_value)
    assert unit.after[0][0] == "act" and unit.after[0][2] == 10.75
    assert unit.pre_activation == 10.75 and unit.activated_value == 10.75
    second = unit_contributions(model, x, "act", 1)         # 2 + 3 − 4 − 4 = −3 → ReLU → 0
    assert second.total == -3.0 and second.steps[0][2] == 0.0 == second.value == second.forward_value
    assert unit_contributions(model, x, "fc", 1).activated_value == 0.0


def test_unit_of_a_second_linear_layer_lists_every_input_unit():
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))
    x = torch.rand(1, 1, 2, 2)
    unit = unit_contributions(model, x, "3", 1)
    hidden = torch.tanh(model[1](x.flatten(1)))[0].detach().double()
    expected = hidden * model[3].weight[1].detach().double()
    assert np.allclose(unit.contributions, expected.numpy())
    assert unit.value == pytest.approx(unit.forward_value, abs=1e-6)


def test_conv_batchnorm_relu_maxpool_by_hand():
    conv = nn.Conv2d(2, 1, 2, bias=True)
    norm = nn.BatchNorm2d(1)
    model = nn.Sequential(OrderedDict(conv=conv, norm=norm, relu=nn.ReLU(), pool=nn.MaxPool2d(2)))
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([[[[1.0, 0.0], [0.0, 1.0]], [[0.0, -1.0], [1.0, 0.0]]]]))
        conv.bias.fill_(0.5)
        norm.running_mean.fill_(1.0)
        norm.running_var.fill_(4.0 - norm.eps)            # √(var + eps) = 2
        norm.weight.fill_(3.0)
        norm.bias.fill_(-1.0)
    x = torch.zeros(1, 2, 3, 3)
    x[0, 0] = torch.tensor([[1.0, 2.0, 0.0], [0.0, 3.0, 1.0], [2.0, 0.0, 1.0]])
    x[0, 1] = torch.tensor([[0.0, 1.0, 1.0], [2.0, 0.0, 0.0], [1.0, 1.0, 3.0]])
    unit = unit_contributions(model, x, "relu", 0, 0, 1)
    # channel 0 patch [[2, 0], [3, 1]] · [[1, 0], [0, 1]] = 3; channel 1 patch [[1, 1], [0, 0]] · [[0, −1], [1, 0]] = −1
    assert unit.contributions.tolist() == [3.0, -1.0]
    assert unit.total == 3 - 1 + 0.5 == 2.5
    assert [name for name, _, _ in unit.steps] == ["norm", "relu"]
    assert unit.steps[0][2] == pytest.approx((2.5 - 1) / 2 * 3 - 1)   # 1.25
    assert unit.value == pytest.approx(1.25) == pytest.approx(unit.forward_value)
    assert unit.box == Box(0, 2, 1, 3)
    pooled = unit_contributions(model, x, "pool", 0, 0, 0)              # the 2×2 output has one 2×2 window
    relu = feature_maps(model, x)["relu"][0, 0]
    assert pooled.kind == "max pool" and pooled.source == "relu"
    assert np.allclose(pooled.patches[0], relu.numpy()) and pooled.value == pytest.approx(float(relu.max()))
    assert pooled.value == pytest.approx(pooled.forward_value)


def test_average_pooling_with_padding_counts_like_pytorch():
    for include in (True, False):
        model = nn.Sequential(nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=include))
        x = torch.arange(1.0, 17.0).reshape(1, 1, 4, 4)
        unit = unit_contributions(model, x, "0", 0, 0, 0)    # window rows −1…1: 4 real pixels 1, 2, 5, 6
        assert unit.value == pytest.approx(14 / (9 if include else 4)) == pytest.approx(unit.forward_value)
        assert unit.divisor == (9 if include else 4) and f"sum +14.0000 / {unit.divisor} =" in unit.explain()


def test_a_padded_pooling_window_is_described_by_its_size_not_by_its_real_pixels():
    """Lesson 08's corner window of AvgPool2d(2, padding=1) was labelled '(1×1)': it is 2×2, one real pixel."""
    model = nn.Sequential(nn.AvgPool2d(2, padding=1))
    x = torch.arange(1.0, 50.0).reshape(1, 1, 7, 7)
    corner = unit_contributions(model, x, "0", 0, 0, 0)
    assert corner.patches[0].shape == (2, 2) and corner.window_real.tolist() == [[False, False], [False, True]]
    assert corner.value == pytest.approx(1 / 4) == pytest.approx(corner.forward_value)
    text = corner.explain()
    assert "2×2, 1 real pixel + 3 of padding (the real ones: rows 0–0, cols 0–0)" in text and "1×1" not in text
    inside = unit_contributions(model, x, "0", 0, 1, 1)                 # rows 1–2, cols 1–2: no padding
    assert "window of input map 0: 2×2 (rows 1–2, cols 1–2)" in inside.explain()


def test_the_c3_table_cuts_channels_off():
    table = lenet5_c3_table()
    model = lenet(connection_table=table).eval()
    x = torch.rand(1, 1, 28, 28)
    for out_map in (0, 3, 15):
        unit = unit_contributions(model, x, "conv2", out_map, 4, 5)
        assert unit.connected.tolist() == table[out_map].astype(bool).tolist()
        assert np.all(unit.contributions[~unit.connected] == 0)
        assert unit.value == pytest.approx(unit.forward_value, abs=1e-5)
    assert [c for c, ok in zip(unit_contributions(model, x, "conv2", 3, 0, 0).input_channels, table[3]) if ok] == [3, 4, 5]


def test_first_linear_layer_of_lenet_is_split_by_the_maps_it_reads():
    model = lenet().eval()
    x = torch.rand(1, 1, 28, 28)
    unit = unit_contributions(model, x, "relu3", 7)
    assert unit.core == "fc1" and unit.source == "pool2" and len(unit.contributions) == 16
    assert unit.patches[0].shape == unit.kernels[0].shape == (5, 5)
    assert unit.value == pytest.approx(unit.forward_value, abs=1e-5)


class GlobalPoolNet(nn.Module):
    """A non-Sequential module whose forward runs its children in order."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding="same")
        self.act = nn.LeakyReLU(0.1)
        self.pool = nn.AvgPool2d(4)
        self.flat = nn.Flatten()
        self.out = nn.Linear(4 * 7 * 7, 10)

    def forward(self, x):
        return self.out(self.flat(self.pool(self.act(self.conv(x)))))


ARCHITECTURES = {
    "lenet-c3": lambda: lenet(connection_table=lenet5_c3_table()),
    "strided-dilated-groups-bn": lambda: nn.Sequential(
        nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.BatchNorm2d(4), nn.ELU(),
        nn.Sequential(nn.Conv2d(4, 6, 3, dilation=2, groups=2), nn.BatchNorm2d(6), nn.Tanh()),
        nn.MaxPool2d(3, stride=2, padding=1), nn.Dropout2d(0.3), nn.Flatten(), nn.Dropout(0.5),
        nn.Linear(6 * 5 * 5, 12), nn.BatchNorm1d(12), nn.SiLU(), nn.Linear(12, 10), nn.LogSoftmax(dim=1)),
    "non-sequential": GlobalPoolNet,
    "fast-mnist-like": lambda: nn.Sequential(OrderedDict(   # lesson 07's fast net: bias-free convs, BatchNorm, pools
        [(name, layer) for block, width, previous in ((1, 16, 1), (2, 32, 16), (3, 64, 32)) for name, layer in (
            (f"conv{block}", nn.Conv2d(previous, width, 3, padding=1, bias=False)), (f"bn{block}", nn.BatchNorm2d(width)),
            (f"relu{block}", nn.ReLU()), (f"pool{block}", nn.MaxPool2d(2)))]
        + [("flatten", nn.Flatten()), ("fc", nn.Linear(64 * 3 * 3, 10))])),
}


def _randomise_batchnorm(model):
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
                layer.running_mean.uniform_(-0.5, 0.5)
                layer.running_var.uniform_(0.5, 2.0)
                layer.weight.uniform_(0.5, 1.5)
                layer.bias.uniform_(-0.2, 0.2)


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_every_unit_value_matches_the_forward_pass(name):
    torch.manual_seed(0)
    model = ARCHITECTURES[name]()
    _randomise_batchnorm(model)
    x = torch.rand(1, 1, 28, 28)
    outputs = feature_maps(model, x)
    generator = np.random.default_rng(0)
    for layer, output in list(outputs.items())[1:]:
        for _ in range(4):
            channel = int(generator.integers(output.shape[1]))
            row, col = ((int(generator.integers(output.shape[2])), int(generator.integers(output.shape[3])))
                        if output.ndim == 4 else (0, 0))
            unit = unit_contributions(model, x, layer, channel, row, col)
            assert unit.value == pytest.approx(unit.forward_value, rel=1e-4, abs=1e-5), (layer, channel, row, col)
    assert model.training, "inspecting must not leave the model in eval mode"


@pytest.mark.parametrize("name", ["strided-dilated-groups-bn", "non-sequential"])
def test_receptive_field_is_where_the_gradient_is_nonzero(name):
    torch.manual_seed(1)
    model = ARCHITECTURES[name]().eval()
    layers = check_supported(model)
    x = torch.rand(1, 1, 28, 28, requires_grad=True)
    for layer in [n for n, m in layers if isinstance(m, (nn.Conv2d, nn.AvgPool2d, nn.Tanh))]:
        out = x
        for n, m in layers:
            out = m(out)
            if n == layer:
                break
        row, col = out.shape[2] // 2, out.shape[3] - 1
        x.grad = None
        out[0, 0, row, col].backward()
        nonzero = np.argwhere(x.grad[0, 0].abs().numpy() > 0)
        box = receptive_field(model, layer, row, col).input_box
        seen = Box(nonzero[:, 0].min(), nonzero[:, 0].max() + 1, nonzero[:, 1].min(), nonzero[:, 1].max() + 1)
        assert seen == box, (layer, seen, box)


def test_unsupported_layers_are_named_with_the_supported_ones():
    model = nn.Sequential(OrderedDict(conv=nn.Conv2d(1, 2, 3), up=nn.Upsample(scale_factor=2)))
    with pytest.raises(TypeError, match=r"layer 'up' \(Upsample\) is not supported.*Conv2d \(incl\. lessons_lib"):
        check_supported(model)
    with pytest.raises(TypeError, match="padding_mode='reflect'"):
        check_supported(nn.Sequential(nn.Conv2d(1, 1, 3, padding=1, padding_mode="reflect")))
    with pytest.raises(TypeError, match="nn.Module"):
        check_supported("lenet")

    class Sneaky(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3)

        def forward(self, x):
            return self.conv(x) * 2

    with pytest.raises(TypeError, match="besides running its children"):
        feature_maps(Sneaky(), torch.rand(28, 28))


def test_unit_errors_name_the_problem():
    model = lenet()
    x = torch.rand(28, 28)
    with pytest.raises(ValueError, match="has 6 channels"):
        unit_contributions(model, x, "conv1", 6, 0, 0)
    with pytest.raises(TypeError, match="x / 255"):
        unit_contributions(model, np.zeros((28, 28), np.uint8), "conv1", 0, 0, 0)
    with pytest.raises(ValueError, match="failed on an input of shape"):
        feature_maps(model, torch.rand(1, 1, 20, 20))


def test_masked_conv_is_supported_and_nested_names_use_dots():
    model = nn.Sequential(OrderedDict(block=nn.Sequential(OrderedDict(
        c3=MaskedConv2d(6, 16, 5, connection_table=lenet5_c3_table()), relu=nn.ReLU()))))
    assert [name for name, _ in check_supported(model)] == ["block.c3", "block.relu"]


def test_top_predictions_and_their_text():
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    with torch.no_grad():
        model[1].weight.zero_()
        model[1].bias.copy_(torch.log(torch.tensor([0.2, 0.7, 0.1])))
    predictions = top_predictions(model, torch.rand(1, 2, 2))
    assert [c for c, _ in predictions] == [1, 0, 2]
    assert predictions[0][1] == pytest.approx(0.7)
    assert format_predictions(predictions) == "1: 70.0 % · 0: 20.0 % · 2: 10.0 %"


def test_center_like_mnist_scales_the_box_to_20_and_centres_the_mass():
    drawing = np.zeros((112, 112), np.float32)
    drawing[5:45, 70:90] = 1.0                    # a 40×20 bar in the top-right corner
    steps = center_like_mnist(drawing)
    assert steps.box == Box(5, 45, 70, 90) and steps.cropped.shape == (40, 20)
    assert steps.scaled.shape == (20, 10) and steps.scale == 0.5
    ink = np.argwhere(steps.image > 0.05)
    assert tuple(ink.max(axis=0) - ink.min(axis=0) + 1) == (20, 10)
    rows, cols = np.indices(steps.image.shape)
    mass = steps.image.sum()
    assert abs((rows * steps.image).sum() / mass - 13.5) <= 0.5 and abs((cols * steps.image).sum() / mass - 13.5) <= 0.5


def test_center_like_mnist_rejects_an_empty_or_unscaled_image():
    with pytest.raises(ValueError, match="nothing drawn yet"):
        center_like_mnist(np.zeros((28, 28)))
    with pytest.raises(ValueError, match="x / 255"):
        center_like_mnist(np.full((28, 28), 255.0))
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        center_like_mnist(np.zeros((1, 28, 28)))
