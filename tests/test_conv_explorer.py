"""Tests for lessons_lib.widgets.conv_explorer (notebook 01): the pure functions behind the widget."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from lessons_lib.conv import count_parameters, lenet5_c3_table  # noqa: E402
from lessons_lib.widgets import conv_explorer, describe_conv, draw_connection_table, draw_conv  # noqa: E402


@pytest.mark.parametrize("size, channels, kernel, stride, padding, filters", [
    (32, 3, 5, 1, 0, 1), (32, 3, 5, 2, 0, 6), (7, 3, 3, 2, 1, 4), (28, 1, 3, 1, 1, 16), (5, 8, 5, 1, 0, 2),
])
def test_describe_conv_matches_a_real_layer(size, channels, kernel, stride, padding, filters):
    info = describe_conv(size, channels, kernel, stride, padding, filters)
    layer = nn.Conv2d(channels, filters, kernel, stride=stride, padding=padding)
    out = layer(torch.zeros(1, channels, size, size))
    assert info["output shape"] == tuple(out.shape[1:])
    assert info["parameters"] == count_parameters(layer)
    assert info["weight shape (PyTorch: out, in, kh, kw)"] == tuple(layer.weight.shape)
    assert info["kernel shape (Keras: kh, kw, in, out)"] == tuple(layer.weight.permute(2, 3, 1, 0).shape)
    assert info["positions"] == out.shape[-1] * out.shape[-2]
    assert info["weights per filter"] == channels * kernel * kernel


def test_describe_conv_lesson_numbers():
    info = describe_conv(32, 3, 5, 2, 0, 1)
    assert info["output shape"] == (1, 14, 14)
    assert info["parameters"] == 76
    assert info["unused edge rows/cols"] == 1  # (32 − 5) is odd: the last column is never reached at stride 2
    assert "= 14" in info["formula"]


def test_draw_conv_returns_a_figure():
    fig = draw_conv(7, 3, 2, 1, position=15, channels=3, filters=4)
    assert len(fig.axes) == 2
    assert "4×4×4" in fig.axes[1].get_title()
    plt.close(fig)


def test_draw_connection_table():
    fig = draw_connection_table(lenet5_c3_table())
    assert "60 of 96" in fig.axes[0].get_title()
    plt.close(fig)


@pytest.mark.parametrize("call, fragment", [
    (lambda: describe_conv(4, 1, 7), "does not fit"),
    (lambda: describe_conv(8, 0, 3), "channels and filters must be >= 1"),
    (lambda: draw_conv(7, 3, 1, 0, position=25), r"position must be in 0 … 24"),
    (lambda: draw_connection_table([1, 0, 1]), "2-D"),
])
def test_bad_input(call, fragment):
    with pytest.raises(ValueError, match=fragment):
        call()


def test_widget_builds_and_reacts_without_a_browser():
    widget = conv_explorer(size=7, channels=3, kernel=3, stride=1, padding=0, filters=2)
    controls = widget.children[0].children[0].children
    text = widget.children[0].children[1]
    sliders = {s.description: s for s in controls}
    assert sliders["position"].max == 24
    assert "(2, 5, 5)" in text.value
    sliders["stride"].value = 2
    assert sliders["position"].max == 8
    assert "(2, 3, 3)" in text.value
    sliders["kernel"].value = 7
    sliders["input size"].value = 3      # kernel no longer fits: an error message, no exception
    assert "does not fit" in text.value
    plt.close("all")
