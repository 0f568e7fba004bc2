"""Tests for lessons_lib.widgets.drawing_pad (notebook 08): the pad without a browser, its JS and its DOM names."""
import shutil
import subprocess

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lessons_lib.inspection import center_like_mnist  # noqa: E402
from lessons_lib.widgets import DrawingPad, draw_centering  # noqa: E402


def test_reading_before_anything_is_drawn_says_so(capsys):
    pad = DrawingPad()
    assert pad.is_empty and pad.image() is None
    assert pad.read() is None
    assert "nothing drawn yet" in capsys.readouterr().out


def test_a_synced_drawing_reads_back_as_floats():
    pad = DrawingPad()
    pixels = np.zeros((pad.resolution, pad.resolution), np.uint8)
    pixels[20:90, 50:60] = 255                       # what the browser sends on pointer-up: grey bytes
    pad.pixels = pixels.tobytes()
    image = pad.image()
    assert image.shape == (112, 112) and image.dtype == np.float32
    assert image.max() == 1.0 and image[0, 0] == 0.0
    pad.clear()
    assert pad.is_empty and pad.image() is None


def test_set_image_resizes_a_28x28_digit_and_round_trips():
    pad = DrawingPad()
    digit = np.zeros((28, 28), np.float32)
    digit[4:24, 12:16] = 1.0
    pad.set_image(digit)
    assert len(pad.pixels) == 112 * 112 and not pad.is_empty
    centred = center_like_mnist(pad.image()).image
    assert centred.shape == (28, 28)
    ink = np.argwhere(centred > 0.5)
    assert ink[:, 0].max() - ink[:, 0].min() + 1 >= 18      # the 20-pixel stroke keeps its height


def test_bad_inputs_get_clear_errors():
    pad = DrawingPad()
    with pytest.raises(ValueError, match="x / 255"):
        pad.set_image(np.full((28, 28), 255.0))
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        pad.set_image(np.zeros((1, 28, 28)))
    pad.pixels = b"\x01" * 10
    with pytest.raises(ValueError, match="expected 12544"):
        pad.image()


def test_the_dom_names_the_browser_test_relies_on():
    esm = DrawingPad._esm
    for name in ("lbl-drawing-pad", "lbl-pad-canvas", "lbl-pad-clear", "lbl-pad-undo", '"Clear"', '"Undo"',
                 "pointerdown", "pointerup", "save_changes"):
        assert name in esm
    assert esm.count("save_changes") == 1, "the pad syncs once per pointer-up (and per Clear/Undo), never per move"


@pytest.mark.skipif(shutil.which("node") is None, reason="node checks the JavaScript's syntax")
def test_the_javascript_parses(tmp_path):
    from lessons_lib.widgets import FeatureMapStrips

    for name, code in (("pad", DrawingPad._esm), ("strips", FeatureMapStrips._esm)):
        path = tmp_path / f"{name}.mjs"
        path.write_text(code)
        subprocess.run(["node", "--check", str(path)], check=True)


def test_draw_centering_shows_the_four_steps():
    drawing = np.zeros((112, 112), np.float32)
    drawing[10:100, 40:60] = 1.0
    fig = draw_centering(center_like_mnist(drawing))
    assert len(fig.axes) == 4
    assert "28×28" in fig.axes[3].get_title()


def test_strokes_to_image_draws_round_capped_lines_of_the_pads_width():
    from lessons_lib.widgets import strokes_to_image

    image = strokes_to_image([[(0.5, 0.25), (0.5, 0.75)]], resolution=100, line_width=0.1)
    assert image.shape == (100, 100) and image.dtype == np.float32
    ink = np.argwhere(image > 0.5)
    assert ink[:, 1].max() - ink[:, 1].min() + 1 == 10          # 0.1 of 100 pixels wide
    assert ink[:, 0].min() == 20 and ink[:, 0].max() == 79      # 0.25…0.75 plus round caps of 0.05
    dot = strokes_to_image([[(0.5, 0.5)]], resolution=100, line_width=0.1)
    assert 60 <= (dot > 0.5).sum() <= 90                        # a click leaves a round dot (π·5² ≈ 79)
    assert strokes_to_image([]).max() == 0.0
