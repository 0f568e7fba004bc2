"""Tests for lessons_lib.widgets.drawing_pad (notebook 08): the pad without a browser, its JS and its DOM names."""
import shutil
import subprocess

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lessons_lib.inspection import center_like_mnist  # noqa: E402
from lessons_lib.widgets import DrawingPad, draw_centering, strokes_to_image  # noqa: E402


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


def test_pixels_from_the_browser_arrive_as_a_memoryview_and_are_taken():
    pad = DrawingPad()
    pixels = np.zeros((112, 112), np.uint8)
    pixels[30:80, 50:60] = 200
    pad.set_state({"pixels": memoryview(pixels.tobytes())})   # what the widget comm delivers on pointer-up
    assert isinstance(pad.pixels, bytes) and pad.image().max() == np.float32(200 / 255)
    pad.set_state({"pixels": memoryview(b"")})                  # Clear
    assert pad.is_empty


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


BROWSER = "/usr/bin/chromium"
_FAKE_MODEL = """
async (args) => {
  const [code, state] = args;
  state.pixels = new DataView(new ArrayBuffer(0));
  const handlers = {};
  window.saves = 0;
  window.model = {
    get: (k) => window.model.state[k],
    set: (k, v) => { window.model.state[k] = v; (handlers["change:" + k] || []).forEach((f) => f()); },
    save_changes: () => { window.saves += 1; },
    on: (e, f) => { (handlers[e] = handlers[e] || []).push(f); },
    state,
  };
  const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
  const module = await import(url);
  const el = document.createElement("div");
  document.body.append(el);
  module.default.render({ model: window.model, el });
}
"""


def _browser_page():
    import os

    if os.environ.get("LESSONS_BROWSER_TESTS") != "1" or not os.path.exists(BROWSER):
        pytest.skip("browser tests are opt-in (LESSONS_BROWSER_TESTS=1) and need /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    return sync_api


def test_the_pad_in_a_real_browser_syncs_once_per_stroke_and_undoes():
    """Opt-in (LESSONS_BROWSER_TESTS=1): the pad's JavaScript in Chromium with a stand-in widget model."""
    sync_api = _browser_page()
    pad = DrawingPad()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=BROWSER, args=["--no-sandbox"])
        page = browser.new_page()
        page.set_content("<html><body></body></html>")
        page.add_style_tag(content=pad._css)
        page.evaluate(_FAKE_MODEL, [pad._esm, {"strokes": 0, "resolution": 112, "canvas_size": 280, "line_width": 0.075}])
        canvas = page.locator("canvas.lbl-pad-canvas")
        assert page.locator(".lbl-drawing-pad button.lbl-pad-clear").inner_text() == "Clear"
        assert page.locator(".lbl-drawing-pad button.lbl-pad-undo").inner_text() == "Undo"
        box = canvas.bounding_box()

        def stroke(x0, y0, x1, y1):
            page.mouse.move(box["x"] + x0 * box["width"], box["y"] + y0 * box["height"])
            page.mouse.down()
            for t in np.linspace(0, 1, 12):
                page.mouse.move(box["x"] + (x0 + t * (x1 - x0)) * box["width"], box["y"] + (y0 + t * (y1 - y0)) * box["height"])
            page.mouse.up()

        def pixels():
            return bytes(page.evaluate("Array.from(new Uint8Array(window.model.state.pixels.buffer, "
                                       "window.model.state.pixels.byteOffset, window.model.state.pixels.byteLength))"))

        stroke(0.5, 0.2, 0.5, 0.8)                          # a "1"
        assert page.evaluate("window.saves") == 1, "one sync per pointer-up, none per move"
        pad.pixels = pixels()
        ink = np.argwhere(pad.image() > 0.5)
        assert 14 <= ink[:, 0].min() <= 26 and 86 <= ink[:, 0].max() <= 98 and abs(ink[:, 1].mean() - 56) < 3
        stroke(0.3, 0.5, 0.7, 0.5)
        assert page.evaluate("window.saves") == 2 and page.evaluate("window.model.state.strokes") == 2
        page.locator("button.lbl-pad-undo").click()
        pad.pixels = pixels()
        assert np.ptp(np.argwhere(pad.image() > 0.5)[:, 1]) < 20    # only the vertical stroke is left
        page.locator("button.lbl-pad-clear").click()
        assert pixels() == b""
        # Python draws (set_image): the pad shows it and Undo removes it
        image = strokes_to_image([[(0.5, 0.2), (0.5, 0.8)]])
        pad.set_image(image)
        page.evaluate("(bytes) => window.model.set('pixels', new DataView(new Uint8Array(bytes).buffer))", list(pad.pixels))
        lit = page.evaluate("(() => { const c = document.querySelector('canvas.lbl-pad-canvas');"
                            " return c.getContext('2d').getImageData(140, 140, 1, 1).data[0]; })()")
        assert lit > 200
        browser.close()


def test_the_feature_maps_in_a_real_browser_report_clicks():
    sync_api = _browser_page()
    import torch

    from lessons_lib.inspection import feature_maps
    from lessons_lib.models import lenet
    from lessons_lib.widgets import FeatureMapStrips

    strips = FeatureMapStrips()
    outputs = feature_maps(lenet(), torch.rand(28, 28))
    strips.show(outputs, ["input", "conv1", "pool1", "fc1"])
    state = {"layers": strips.layers, "colormap": list(strips.colormap), "gradient": strips.gradient,
             "highlight": {"input": [2, 10, 3, 9]}, "selected": {}, "data": list(strips.data)}
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=BROWSER, args=["--no-sandbox"])
        page = browser.new_page()
        page.set_content("<html><body></body></html>")
        page.add_style_tag(content=strips._css)
        page.evaluate("(s) => { s.data = new DataView(new Uint8Array(s.data).buffer);"
                      " s.colormap = new DataView(new Uint8Array(s.colormap).buffer); window.initial = s; }", state)
        page.evaluate(_FAKE_MODEL.replace("state.pixels = new DataView(new ArrayBuffer(0));", "Object.assign(state, window.initial);"),
                      [strips._esm, {}])
        maps = page.locator("canvas.lbl-fmap")
        assert maps.count() == 1 + 6 + 6 + 1
        conv1_map4 = page.locator('canvas.lbl-fmap[data-layer="conv1"][data-channel="4"]')
        box = conv1_map4.bounding_box()
        page.mouse.click(box["x"] + box["width"] * (10.5 / 28), box["y"] + box["height"] * (20.5 / 28))
        assert page.evaluate("window.model.state.selected") == {"layer": "conv1", "channel": 4, "row": 20, "col": 10}
        units = page.locator('canvas.lbl-fmap[data-layer="fc1"][data-channel="units"]').bounding_box()
        page.mouse.click(units["x"] + units["width"] * (3.5 / 30), units["y"] + units["height"] * (1.5 / 4))
        assert page.evaluate("window.model.state.selected") == {"layer": "fc1", "channel": 33, "row": 0, "col": 0}
        browser.close()
