"""Tests for lessons_lib.models: LeNet shapes and the masked C3 convolution (notebook 01), saved models, initialisers."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lessons_lib.conv import count_parameters, lenet5_c3_table, sparse_conv_parameter_count
from lessons_lib.factorization import LearnerNet
from lessons_lib.models import MaskedConv2d, eval_mode, init_kaiming_, init_normal_, layer_outputs, lenet


def test_lenet_shapes():
    outputs = layer_outputs(lenet(), torch.zeros(2, 1, 28, 28))
    shapes = {name: tuple(out.shape) for name, out in outputs.items()}
    assert shapes["conv1"] == (2, 6, 28, 28)
    assert shapes["pool1"] == (2, 6, 14, 14)
    assert shapes["conv2"] == (2, 16, 10, 10)
    assert shapes["pool2"] == (2, 16, 5, 5)
    assert shapes["fc3"] == (2, 10)
    assert list(outputs) == [name for name, _ in lenet().named_children()]


def test_masked_conv_counts_and_equivalence():
    torch.manual_seed(0)
    table = lenet5_c3_table()
    conv = MaskedConv2d(6, 16, 5, connection_table=table)
    assert count_parameters(conv) == 2416
    assert conv.free_parameter_count() == sparse_conv_parameter_count(table, 5) == 1516
    x = torch.randn(3, 6, 14, 14)
    mask = torch.as_tensor(table, dtype=torch.float32)[:, :, None, None]
    # an explicit per-map sum over only the connected inputs gives the same output
    expected = torch.stack([
        sum(F.conv2d(x[:, c:c + 1], conv.weight[o:o + 1, c:c + 1]) for c in np.flatnonzero(table[o]))[:, 0]
        + conv.bias[o] for o in range(16)], dim=1)
    assert torch.allclose(conv(x), expected, atol=1e-5)
    assert torch.equal(conv.weight * mask, conv.weight)  # masked weights start at zero


def test_masked_weights_stay_zero_under_training():
    torch.manual_seed(0)
    conv = MaskedConv2d(6, 16, 5, connection_table=lenet5_c3_table())
    optimizer = torch.optim.AdamW(conv.parameters(), lr=1e-2, weight_decay=0.1)
    x = torch.randn(2, 6, 6, 6)
    before = conv.weight.detach().clone()
    for _ in range(3):
        optimizer.zero_grad()
        conv(x).square().mean().backward()
        optimizer.step()
    masked = conv.mask == 0
    assert (conv.weight.grad[masked] == 0).all()
    assert (conv.weight[masked] == 0).all()
    assert (conv.weight.detach() != before)[~masked].all()


def test_full_table_equals_plain_conv():
    torch.manual_seed(0)
    conv = MaskedConv2d(2, 3, 3, connection_table=np.ones((3, 2)), padding=1)
    x = torch.randn(1, 2, 5, 5)
    assert torch.allclose(conv(x), F.conv2d(x, conv.weight, conv.bias, padding=1))


@pytest.mark.parametrize("table, fragment", [
    (np.ones((6, 16)), "shape"),
    (np.full((16, 6), 2), "only 0 and 1"),
])
def test_masked_conv_bad_table(table, fragment):
    with pytest.raises(ValueError, match=fragment):
        MaskedConv2d(6, 16, 5, connection_table=table)


def test_layer_outputs_bad_input():
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        layer_outputs(lenet(), torch.zeros(28, 28))
    with pytest.raises(TypeError, match="nn.Sequential"):
        layer_outputs(torch.nn.Linear(2, 2), torch.zeros(1, 1, 2, 2))


def test_a_saved_model_comes_back_with_the_same_weights(isolated_settings):
    from lessons_lib.models import load_saved_model, save_model, saved_model_path

    model = lenet()
    path = save_model(model, "test_lenet", "lessons_lib.models:lenet")
    assert path == saved_model_path("test_lenet") and path.exists()
    again = load_saved_model("test_lenet")
    x = torch.randn(2, 1, 28, 28)
    assert torch.allclose(model.eval()(x), again(x))
    assert not again.training


def test_saving_and_loading_models_say_what_is_wrong(isolated_settings):
    from lessons_lib.models import load_saved_model, save_model

    with pytest.raises(FileNotFoundError, match="run the notebook"):
        load_saved_model("never_saved")
    with pytest.raises(ValueError, match="module:function"):
        save_model(lenet(), "x", "lessons_lib.models.lenet")
    with pytest.raises(ValueError, match="plain file stem"):
        save_model(lenet(), "../x", "lessons_lib.models:lenet")


def test_init_helpers_set_the_scale_asked_for():
    torch.manual_seed(0)
    net = init_normal_(LearnerNet(64), 1e-4)
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert all(abs(m.weight.std().item() - 1e-4) < 2e-5 for m in convs)
    assert all(m.bias is None or m.bias.abs().sum() == 0 for m in convs)
    init_kaiming_(net)
    conv2 = net.block2[0]
    assert conv2.weight.std().item() == pytest.approx(math.sqrt(2 / (64 * 9)), rel=0.1)
    with pytest.raises(ValueError, match="std"):
        init_normal_(net, 0)


@pytest.mark.parametrize("training", [True, False])
def test_eval_mode_switches_dropout_off_and_restores_the_mode_even_after_an_error(training):
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5)).train(training)
    x = torch.ones(8, 4)
    with eval_mode(model) as inside:
        assert inside is model and not model.training and not model[1].training
        assert torch.equal(model(x), model(x))                    # no dropout: the same output twice
    assert model.training is training and model[1].training is training
    with pytest.raises(RuntimeError, match="inside"):
        with eval_mode(model):
            raise RuntimeError("inside")
    assert model.training is training and model[1].training is training


def test_eval_mode_gives_back_mixed_modes_as_they_were():
    model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), nn.Dropout(0.5)).train()
    model[1].eval()                                               # a frozen batch norm inside a model in training
    with eval_mode(model):
        assert not any(module.training for module in model.modules())
    assert [module.training for module in model] == [True, False, True] and model.training


def test_eval_mode_needs_a_module():
    with pytest.raises(TypeError, match="expects a torch module, got ndarray"):
        with eval_mode(np.zeros(3)):
            pass
