"""A drawing pad for digits: an anywidget whose strokes stay in the browser. On pointer-up (mouse, pen or
touch) it downsamples the canvas to ``resolution``×``resolution`` grey pixels and syncs them to Python
once (``pixels``); Clear and Undo buttons. Python can set a drawing too (``set_image``), which is how a
notebook without a browser, or a test, "draws".

DOM (kept stable for the real-browser test): root ``.lbl-drawing-pad``; ``canvas.lbl-pad-canvas``;
``button.lbl-pad-clear`` ("Clear") and ``button.lbl-pad-undo`` ("Undo").

Introduced in notebook 08 (inside a CNN).
"""
from __future__ import annotations

import anywidget
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
import traitlets
from ipywidgets.widgets.trait_types import bytes_serialization

NOTHING_DRAWN = "nothing drawn yet"

_ESM = r"""
function render({ model, el }) {
  const size = model.get("canvas_size"), res = model.get("resolution");
  el.classList.add("lbl-drawing-pad");
  const canvas = document.createElement("canvas");
  canvas.className = "lbl-pad-canvas"; canvas.width = canvas.height = size;
  const ctx = canvas.getContext("2d");
  const button = (text, cls) => { const b = document.createElement("button"); b.textContent = text; b.className = cls; return b; };
  const clear = button("Clear", "lbl-pad-clear"), undo = button("Undo", "lbl-pad-undo");
  const bar = document.createElement("div"); bar.className = "lbl-pad-buttons"; bar.append(clear, undo);
  el.append(canvas, bar);
  let strokes = [], current = null, background = null, sent = null;
  function redraw() {
    ctx.fillStyle = "#000"; ctx.fillRect(0, 0, size, size);
    if (background) ctx.drawImage(background, 0, 0, size, size);
    ctx.strokeStyle = "#fff"; ctx.lineCap = ctx.lineJoin = "round"; ctx.lineWidth = size * model.get("line_width");
    for (const s of strokes) {
      ctx.beginPath(); ctx.moveTo(s[0][0], s[0][1]);
      for (const [x, y] of s.slice(1)) ctx.lineTo(x, y);
      if (s.length === 1) ctx.lineTo(s[0][0] + 0.1, s[0][1]);
      ctx.stroke();
    }
  }
  function sync() {
    let bytes = new Uint8Array(0);
    if (strokes.length || background) {
      const small = document.createElement("canvas"); small.width = small.height = res;
      const sctx = small.getContext("2d"); sctx.imageSmoothingQuality = "high"; sctx.drawImage(canvas, 0, 0, res, res);
      const rgba = sctx.getImageData(0, 0, res, res).data; bytes = new Uint8Array(res * res);
      for (let i = 0; i < bytes.length; i++) bytes[i] = rgba[4 * i];
    }
    sent = bytes; model.set("pixels", new DataView(bytes.buffer)); model.set("strokes", strokes.length);
    model.save_changes();
  }
  const point = (e) => { const r = canvas.getBoundingClientRect(); return [(e.clientX - r.left) * size / r.width, (e.clientY - r.top) * size / r.height]; };
  canvas.addEventListener("pointerdown", (e) => { canvas.setPointerCapture(e.pointerId); current = [point(e)]; strokes.push(current); redraw(); });
  canvas.addEventListener("pointermove", (e) => { if (current) { current.push(point(e)); redraw(); } });
  const finish = () => { if (current) { current = null; sync(); } };
  canvas.addEventListener("pointerup", finish); canvas.addEventListener("pointercancel", finish);
  clear.addEventListener("click", () => { strokes = []; background = null; redraw(); sync(); });
  undo.addEventListener("click", () => { if (strokes.length) strokes.pop(); else background = null; redraw(); sync(); });
  function fromPython() {
    const view = model.get("pixels");
    if (sent && view && view.byteLength === sent.length && sent.every((v, i) => v === view.getUint8(i))) return;
    strokes = []; background = null;
    if (view && view.byteLength === res * res) {
      const img = new ImageData(res, res);
      for (let i = 0; i < res * res; i++) { const v = view.getUint8(i); img.data.set([v, v, v, 255], 4 * i); }
      background = document.createElement("canvas"); background.width = background.height = res;
      background.getContext("2d").putImageData(img, 0, 0);
    }
    redraw();
  }
  model.on("change:pixels", fromPython); fromPython();
}
export default { render };
"""

_CSS = """
.lbl-drawing-pad { display: inline-flex; flex-direction: column; gap: 4px; }
.lbl-pad-canvas { touch-action: none; cursor: crosshair; border: 1px solid #888; width: 224px; height: 224px; }
.lbl-pad-buttons button { margin-right: 6px; }
"""


class DrawingPad(anywidget.AnyWidget):
    """Draw a digit with the mouse or a finger; ``image()`` gives it as (resolution, resolution) floats in [0, 1].

    ``pixels`` holds the synced grey bytes (empty until something is drawn); ``strokes`` counts the strokes.
    ``read()`` before anything is drawn prints "nothing drawn yet" and returns None (no error). ``set_image``
    puts a drawing on the pad from Python, as a pointer-up would. Introduced in notebook 08 (inside a CNN).
    """

    _esm = _ESM
    _css = _CSS
    # bytes from the browser arrive as a memoryview: bytes_serialization turns them into bytes
    pixels = traitlets.Bytes(b"").tag(sync=True, **bytes_serialization)
    strokes = traitlets.Int(0).tag(sync=True)
    resolution = traitlets.Int(112).tag(sync=True)
    canvas_size = traitlets.Int(280).tag(sync=True)
    line_width = traitlets.Float(0.075).tag(sync=True)

    @property
    def is_empty(self) -> bool:
        """True while nothing is drawn (nothing synced yet, or cleared, or only black pixels)."""
        return len(self.pixels) == 0 or not any(self.pixels)

    def image(self) -> np.ndarray | None:
        """The drawing as a (resolution, resolution) float32 array in [0, 1], or None when nothing is drawn."""
        if self.is_empty:
            return None
        expected = self.resolution * self.resolution
        if len(self.pixels) != expected:
            raise ValueError(f"the pad synced {len(self.pixels)} bytes, expected {expected} "
                             f"({self.resolution}×{self.resolution}); was resolution changed after drawing?")
        return np.frombuffer(bytes(self.pixels), dtype=np.uint8).reshape(self.resolution, self.resolution) / np.float32(255)

    def read(self) -> np.ndarray | None:
        """Like ``image()``, but says so when nothing is drawn yet."""
        image = self.image()
        if image is None:
            print(f"{NOTHING_DRAWN}: draw a digit on the pad (or call pad.set_image(...)), then read it again")
        return image

    def set_image(self, image) -> None:
        """Put an (H, W) image with values in [0, 1] on the pad (resized to ``resolution``), as if just drawn."""
        array = np.asarray(image, dtype=np.float32)
        if array.ndim != 2:
            raise ValueError(f"expected one grey image (H, W), got shape {array.shape}")
        if array.min() < 0 or array.max() > 1 + 1e-6:
            raise ValueError(f"expected values in [0, 1], got {array.min():.3g} … {array.max():.3g}; "
                             "scale first, e.g. x / 255.0")
        resized = F.interpolate(torch.from_numpy(array)[None, None], size=(self.resolution, self.resolution),
                                mode="bilinear", antialias=True, align_corners=False)[0, 0].clamp(0, 1)
        self.pixels = (resized.numpy() * 255).round().astype(np.uint8).tobytes()
        self.strokes = 0

    def clear(self) -> None:
        """Empty the pad (as the Clear button does)."""
        self.pixels = b""
        self.strokes = 0


def draw_centering(steps):
    """The four steps of ``inspection.center_like_mnist`` side by side: the drawing with its bounding box,
    the crop, the crop scaled into 20×20, and the 28×28 result with its centre of mass at the centre.

    Returns the Figure. Introduced in notebook 08 (inside a CNN).
    """
    from matplotlib.patches import Rectangle

    fig, axes = plt.subplots(1, 4, figsize=(9.5, 2.7))
    box = steps.box
    axes[0].imshow(steps.drawn, cmap="gray", vmin=0, vmax=1)
    axes[0].add_patch(Rectangle((box.left - 0.5, box.top - 0.5), box.width, box.height, fill=False, ec="orange", lw=1.5))
    axes[0].set_title(f"drawn {steps.drawn.shape[0]}×{steps.drawn.shape[1]}\nbounding box", fontsize=9)
    axes[1].imshow(steps.cropped, cmap="gray", vmin=0, vmax=1)
    axes[1].set_title(f"cropped {box.height}×{box.width}", fontsize=9)
    axes[2].imshow(steps.scaled, cmap="gray", vmin=0, vmax=1)
    axes[2].set_title(f"scaled ×{steps.scale:.2f} → {steps.scaled.shape[0]}×{steps.scaled.shape[1]}\n(larger side 20)", fontsize=9)
    axes[3].imshow(steps.image, cmap="gray", vmin=0, vmax=1)
    mass_row = steps.center_of_mass[0] + steps.shift[0]
    mass_col = steps.center_of_mass[1] + steps.shift[1]
    axes[3].plot([mass_col], [mass_row], "+", color="orange", ms=12, mew=2)
    axes[3].axhline(13.5, color="0.5", lw=0.5)
    axes[3].axvline(13.5, color="0.5", lw=0.5)
    axes[3].set_title("28×28, centre of mass (+)\nat the centre", fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def strokes_to_image(strokes, resolution: int = 112, line_width: float = 0.075) -> np.ndarray:
    """What the pad syncs for mouse strokes, computed in Python: each stroke is a list of (x, y) points in
    [0, 1] (fractions of the canvas, y downwards), drawn as a round-capped line ``line_width`` (a fraction of
    the canvas) wide, white on black, sampled at ``resolution``×``resolution`` with anti-aliased edges.

    For tests and for notebooks without a browser: ``pad.set_image(strokes_to_image([[(0.5, 0.2), (0.5, 0.8)]]))``
    is a drawn "1". Introduced in notebook 08 (inside a CNN).
    """
    centres = (np.arange(resolution) + 0.5) / resolution
    px, py = np.meshgrid(centres, centres)
    distance = np.full((resolution, resolution), np.inf)
    for stroke in strokes:
        points = np.asarray(stroke, dtype=float).reshape(-1, 2)
        if len(points) == 0:
            continue
        starts, ends = points[:-1] if len(points) > 1 else points, points[1:] if len(points) > 1 else points
        for (x0, y0), (x1, y1) in zip(starts, ends):
            dx, dy = x1 - x0, y1 - y0
            length = dx * dx + dy * dy
            t = np.clip(((px - x0) * dx + (py - y0) * dy) / length, 0, 1) if length > 0 else 0.0
            distance = np.minimum(distance, np.hypot(px - (x0 + t * dx), py - (y0 + t * dy)))
    edge = 1.0 / resolution
    return np.clip((line_width / 2 - distance) / edge + 0.5, 0, 1).astype(np.float32)
