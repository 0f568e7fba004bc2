"""Tests for lessons_lib.widgets.layer_inspector (notebook 08): the inspector driven from Python, as nbval does."""
import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from lessons_lib.conv import lenet5_c3_table  # noqa: E402
from lessons_lib.inspection import feature_maps, receptive_field, unit_contributions  # noqa: E402
from lessons_lib.models import lenet  # noqa: E402
from lessons_lib.widgets import LayerInspector, draw_receptive_field, draw_unit  # noqa: E402


def digit():
    image = np.zeros((28, 28), np.float32)
    image[5:23, 13:16] = 1.0                      # a "1"
    return image


def attributes(html):
    return dict(re.findall(r'data-(\w+)="([^"]*)"', html))


def test_inspector_before_and_after_a_drawing():
    torch.manual_seed(0)
    inspector = LayerInspector({"sparse C3": lenet(connection_table=lenet5_c3_table()), "full": lenet()})
    assert "lbl-predictions" in inspector.predictions.value and "nothing drawn yet" in inspector.predictions.value
    assert "lbl-preview" in inspector.preview._dom_classes
    inspector.pad.set_state({"pixels": memoryview(np.zeros(112 * 112, np.uint8).tobytes())})  # an empty sync
    assert "nothing drawn yet" in inspector.predictions.value
    inspector.pad.set_image(digit())                          # a simulated pointer-up
    assert inspector.last_update_seconds is not None
    text = re.sub("<[^>]+>", "", inspector.predictions.value)
    assert re.fullmatch(r"\d: \d+\.\d % · \d: \d+\.\d % · \d: \d+\.\d %", text)
    names = [layer["name"] for layer in inspector.strips.layers]
    assert names[0] == "input" and "flatten" not in names and "pool2" in names and "fc3" in names
    assert len(inspector.strips.data) == sum(l["channels"] * l["height"] * l["width"] if l["kind"] == "maps"
                                             else l["channels"] for l in inspector.strips.layers)
    unit = inspector.select("relu2", 3, 4, 5)                 # as a click on map 3 of relu2 would
    panel = attributes(inspector.arithmetic.value)
    assert "lbl-arithmetic" in inspector.arithmetic.value
    assert float(panel["sum"]) == pytest.approx(float(panel["value"]), abs=1e-5)
    assert unit.connected.tolist() == [False, False, False, True, True, True]
    assert inspector.strips.highlight["input"] == [6, 20, 8, 22]
    assert inspector.strips.panel == inspector.arithmetic.value              # shown by the strips, under relu2
    assert inspector.arithmetic not in inspector.widget.children
    assert inspector.strips.dimmed == {"pool1": [0, 1, 2]}                   # cut off by the C3 table
    table = lenet5_c3_table()
    for channel in (0, 6, 15):
        inspector.select("conv2", channel, 2, 2)
        assert inspector.strips.dimmed.get("pool1", []) == [int(c) for c in np.flatnonzero(np.asarray(table[channel]) == 0)]
    inspector.select("fc1", 7)
    assert inspector.strips.dimmed == {}
    fc3 = inspector.strips.layers[-1]
    assert fc3["name"] == "fc3" and fc3["labels"] == [str(d) for d in range(10)]
    assert all("labels" not in layer for layer in inspector.strips.layers[:-1])
    inspector.select("relu2", 3, 4, 5)
    inspector.chooser.value = "full"                          # the fully connected conv2, same unit
    assert inspector.unit.connected.all() and inspector.strips.dimmed == {}
    inspector.pad.clear()
    assert "nothing drawn yet" in inspector.predictions.value and "nothing drawn yet" in inspector.arithmetic.value


def test_class_names_label_the_output_units():
    torch.manual_seed(0)
    inspector = LayerInspector(lenet(num_classes=3), class_names=["cat", "dog", "bird"])
    inspector.pad.set_image(digit())
    assert inspector.strips.layers[-1]["labels"] == ["cat", "dog", "bird"]
    no_labels = LayerInspector(lenet(num_classes=3))                          # not ten units, no names given
    no_labels.pad.set_image(digit())
    assert "labels" not in no_labels.strips.layers[-1]


def test_inspector_rejects_an_unsupported_model():
    with pytest.raises(TypeError, match="LSTM"):
        LayerInspector(nn.Sequential(nn.Conv2d(1, 2, 3), nn.LSTM(2, 2)))


def test_figures_for_every_kind_of_unit():
    model = lenet(connection_table=lenet5_c3_table())
    x = torch.as_tensor(digit())
    for layer, channel, row, col, panels in (("relu2", 3, 4, 5, 12), ("fc1", 2, 0, 0, 32), ("pool1", 1, 3, 3, 1),
                                             ("fc3", 4, 0, 0, 1)):
        fig = draw_unit(unit_contributions(model, x, layer, channel, row, col))
        assert len(fig.axes) == panels, layer
    field = receptive_field(model, "relu2", 4, 5)
    fig = draw_receptive_field(feature_maps(model, x), field, channel=3)
    assert [ax.get_title().split("\n")[0] for ax in fig.axes] == ["input", "relu1 (mean of 6)", "pool1 (mean of 6)",
                                                                 "relu2 map 3"]
