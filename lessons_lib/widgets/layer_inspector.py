"""The layer inspector: draw a digit, see every layer's feature maps and the top-3 predictions, click a unit
and see its receptive field in every earlier layer and the arithmetic that makes its value.

A thin widget over ``lessons_lib.inspection`` (which does all the computing, and is tested without a browser):
``FeatureMapStrips`` is an anywidget that paints the maps (one strip per layer, one canvas per channel, one
colour scale per layer with a colour bar) and reports clicks; ``LayerInspector`` wires a ``DrawingPad``, the
strips, a preview and the predictions together; the arithmetic panel is painted by the strips right under the
row of the clicked unit's layer (so it is in view next to what was clicked, not at the top of a tall widget). ``draw_unit`` and
``draw_receptive_field`` are the same pictures as plain matplotlib figures for a notebook.

DOM (kept stable for the real-browser test): ``.lbl-preview`` (the centred 28×28 input), ``.lbl-predictions``
(text such as "1: 97.3 % · 7: 1.2 % · 4: 0.5 %", or "nothing drawn yet"), ``.lbl-fmap`` canvases with
``data-layer`` and ``data-channel`` (for a vector layer one canvas with ``data-channel="units"``, a click
picks a unit), ``.lbl-arithmetic`` with ``data-sum`` and ``data-value`` (inside ``.lbl-panel-slot``, after the
``.lbl-strip[data-layer]`` row of the clicked layer; at the top of the strips before any click), ``.lbl-fmap-off``
on the maps a connection table cuts off from the clicked unit (greyed out), ``.lbl-unit-label`` under the output
layer's units (its class names, 0…9 for MNIST), ``.lbl-range`` the colour bar's range (one line).

Introduced in notebook 08 (inside a CNN).
"""
from __future__ import annotations

import html
import io
import time

import anywidget
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import torch
import traitlets
from ipywidgets.widgets.trait_types import bytes_serialization
from matplotlib.patches import Rectangle
from torch import nn

from ..inspection import (UnitArithmetic, center_like_mnist, check_supported, feature_maps,
                          format_predictions, receptive_field, top_predictions, unit_contributions)
from .drawing_pad import NOTHING_DRAWN, DrawingPad

_HIDDEN = (nn.Flatten, nn.Dropout, nn.Dropout2d, nn.Identity)

_STRIPS_ESM = r"""
function render({ model, el }) {
  el.classList.add("lbl-fmaps");
  let scrollPanel = false;   // a click in this view: show its answer (the panel) without the learner scrolling
  function panelNode() {
    const box = document.createElement("div"); box.className = "lbl-panel-slot";
    box.innerHTML = model.get("panel") || ""; return box;
  }
  function paint() {
    el.replaceChildren();
    const layers = model.get("layers"), view = model.get("data"), lut = model.get("colormap");
    const marks = model.get("highlight") || {}, sel = model.get("selected") || {}, off = model.get("dimmed") || {};
    const panelAfter = layers.some((L) => L.name === sel.layer) ? sel.layer : null;
    if (panelAfter === null) el.append(panelNode());
    for (const L of layers) {
      const row = document.createElement("div"); row.className = "lbl-strip"; row.dataset.layer = L.name;
      const label = document.createElement("div"); label.className = "lbl-strip-label";
      label.textContent = L.label; row.append(label);
      const maps = L.kind === "units" ? [["units", 0]] : Array.from({ length: L.channels }, (_, c) => [String(c), c]);
      const dimmed = new Set(off[L.name] || []);
      for (const [name, c] of maps) {
        const cv = document.createElement("canvas"); cv.className = "lbl-fmap";
        if (L.kind !== "units" && dimmed.has(c)) { cv.classList.add("lbl-fmap-off"); cv.title = `${L.name} map ${c}: not connected to the clicked unit`; }
        else cv.title = `${L.name} ${L.kind === "units" ? "units" : "map " + c}`;
        cv.dataset.layer = L.name; cv.dataset.channel = name;
        cv.width = L.width * L.scale; cv.height = L.height * L.scale;
        const img = new ImageData(L.width, L.height), n = L.width * L.height;
        for (let i = 0; i < n; i++) {
          const v = L.kind === "units" ? (i < L.channels ? view.getUint8(L.offset + i) : -1) : view.getUint8(L.offset + c * n + i);
          if (v < 0) img.data.set([240, 240, 240, 255], 4 * i);
          else img.data.set([lut.getUint8(3 * v), lut.getUint8(3 * v + 1), lut.getUint8(3 * v + 2), 255], 4 * i);
        }
        const tmp = document.createElement("canvas"); tmp.width = L.width; tmp.height = L.height;
        tmp.getContext("2d").putImageData(img, 0, 0);
        const ctx = cv.getContext("2d"); ctx.imageSmoothingEnabled = false; ctx.drawImage(tmp, 0, 0, cv.width, cv.height);
        const box = marks[L.name];
        if (box) { ctx.strokeStyle = "orange"; ctx.lineWidth = 2; ctx.strokeRect(box[2] * L.scale + 1, box[0] * L.scale + 1, (box[3] - box[2]) * L.scale - 2, (box[1] - box[0]) * L.scale - 2); }
        if (sel.layer === L.name && (L.kind === "units" || sel.channel === c)) {
          const r = L.kind === "units" ? Math.floor(sel.channel / L.width) : sel.row, q = L.kind === "units" ? sel.channel % L.width : sel.col;
          ctx.strokeStyle = "red"; ctx.lineWidth = 2; ctx.strokeRect(q * L.scale + 1, r * L.scale + 1, L.scale - 2, L.scale - 2);
        }
        cv.addEventListener("click", (e) => {
          const rect = cv.getBoundingClientRect();
          const q = Math.min(L.width - 1, Math.floor((e.clientX - rect.left) / rect.width * L.width));
          const r = Math.min(L.height - 1, Math.floor((e.clientY - rect.top) / rect.height * L.height));
          const pick = L.kind === "units" ? { layer: L.name, channel: r * L.width + q, row: 0, col: 0 } : { layer: L.name, channel: c, row: r, col: q };
          if (L.kind === "units" && pick.channel >= L.channels) return;
          const now = model.get("selected") || {};
          scrollPanel = !["layer", "channel", "row", "col"].every((k) => now[k] === pick[k]);
          model.set("selected", pick); model.save_changes();
        });
        if (L.labels && L.labels.length) {   // the output layer: each unit's class under it
          const column = document.createElement("div"); column.className = "lbl-units-labelled";
          const names = document.createElement("div"); names.className = "lbl-unit-labels";
          names.style.width = `${cv.width}px`;
          for (const text of L.labels) {
            const tag = document.createElement("span"); tag.className = "lbl-unit-label"; tag.textContent = text;
            tag.style.width = `${L.scale}px`; names.append(tag);
          }
          column.append(cv, names); row.append(column);
        } else row.append(cv);
      }
      const scale = document.createElement("span"); scale.className = "lbl-colorscale";
      const bar = document.createElement("span"); bar.className = "lbl-colorbar";
      bar.style.background = `linear-gradient(to right, ${model.get("gradient")})`;
      const range = document.createElement("span"); range.className = "lbl-range"; range.textContent = `${L.vmin} … ${L.vmax}`;
      scale.append(bar, range); row.append(scale); el.append(row);
      if (panelAfter === L.name) el.append(panelNode());
    }
  }
  function showPanel() {
    paint();
    if (!scrollPanel) return;
    scrollPanel = false;
    const panel = el.querySelector(".lbl-panel-slot");
    if (panel) panel.scrollIntoView({ block: "nearest", inline: "nearest" });
  }
  model.on("change:data", paint); model.on("change:highlight", paint); model.on("change:selected", paint);
  model.on("change:dimmed", paint); model.on("change:panel", showPanel); paint();
}
export default { render };
"""

_STRIPS_CSS = """
.lbl-strip { display: flex; flex-wrap: nowrap; overflow-x: auto; align-items: center; gap: 3px; margin: 2px 0; }
.lbl-strip-label { flex: 0 0 150px; font: 11px monospace; }
.lbl-fmap { cursor: pointer; border: 1px solid #ccc; image-rendering: pixelated; flex: 0 0 auto; }
.lbl-fmap-off { filter: grayscale(1); opacity: 0.3; }
.lbl-units-labelled { display: flex; flex-direction: column; flex: 0 0 auto; }
.lbl-unit-labels { display: flex; margin-left: 1px; }
.lbl-unit-label { display: inline-block; text-align: center; font: 10px monospace; color: #333; }
.lbl-colorscale { display: inline-flex; align-items: center; flex: 0 0 auto; white-space: nowrap; margin-left: 8px; gap: 4px; }
.lbl-colorbar { display: inline-block; width: 60px; height: 8px; border: 1px solid #999; flex: 0 0 auto; }
.lbl-range { font: 10px monospace; color: #555; white-space: nowrap; }
.lbl-panel-slot { margin: 4px 0 6px 150px; }
.lbl-panel-slot .lbl-arithmetic { max-height: min(45vh, 360px); overflow: auto; max-width: 100%; border-left: 3px solid orange;
  padding: 4px 8px; background: #fafafa; }
"""


def _colormap_bytes(name: str = "viridis") -> bytes:
    colors = matplotlib.colormaps[name](np.linspace(0, 1, 256))[:, :3]
    return (colors * 255).round().astype(np.uint8).tobytes()


def _gradient(name: str = "viridis") -> str:
    colors = matplotlib.colormaps[name](np.linspace(0, 1, 6))[:, :3]
    return ", ".join(f"rgb({int(r * 255)}, {int(g * 255)}, {int(b * 255)})" for r, g, b in colors)


class FeatureMapStrips(anywidget.AnyWidget):
    """Feature maps painted in the browser: ``layers`` describes each strip, ``data`` holds the maps as
    bytes (0…255 on each layer's own scale), ``highlight`` boxes {layer: [top, bottom, left, right]},
    ``selected`` {layer, channel, row, col} the clicked unit (set by a click, or from Python), ``dimmed``
    {layer: [channels]} the maps to grey out (not connected to the clicked unit) and ``panel`` the HTML shown
    right after the clicked layer's row (the arithmetic).

    Fill it with ``show(outputs, layers)``. Introduced in notebook 08 (inside a CNN).
    """

    _esm = _STRIPS_ESM
    _css = _STRIPS_CSS
    layers = traitlets.List([]).tag(sync=True)
    data = traitlets.Bytes(b"").tag(sync=True, **bytes_serialization)
    colormap = traitlets.Bytes(_colormap_bytes()).tag(sync=True, **bytes_serialization)
    gradient = traitlets.Unicode(_gradient()).tag(sync=True)
    highlight = traitlets.Dict({}).tag(sync=True)
    selected = traitlets.Dict({}).tag(sync=True)
    dimmed = traitlets.Dict({}).tag(sync=True)
    panel = traitlets.Unicode("").tag(sync=True)

    def show(self, outputs, names, labels=None) -> None:
        """Paint ``outputs[name]`` (from ``inspection.feature_maps``) for every name in ``names``, in order.
        ``labels`` (one string per unit) are written under the last layer's units when it is a vector layer with
        that many units (the classes of the output layer)."""
        layers, chunks, offset = [], [], 0
        for name in names:
            value = outputs[name][0].float().numpy()
            low, high = float(value.min()), float(value.max())
            scaled = np.zeros_like(value) if high <= low else (value - low) / (high - low)
            codes = (scaled * 255).round().astype(np.uint8)
            if value.ndim == 3:
                channels, height, width = value.shape
                info = dict(kind="maps", height=height, width=width, scale=max(1, round(44 / max(height, width))))
                label = f"{name} {channels}×{height}×{width}"
            else:
                channels = len(value)
                width = min(channels, 30)
                info = dict(kind="units", height=-(-channels // width), width=width, scale=8 if channels > 10 else 16)
                label = f"{name} {channels} units"
                if name == names[-1] and labels is not None and len(labels) == channels:
                    info["labels"] = [str(text) for text in labels]
            layers.append(dict(info, name=name, channels=channels, offset=offset, label=label,
                               vmin=f"{low:.2f}", vmax=f"{high:.2f}"))
            chunks.append(codes.tobytes())
            offset += codes.size
        self.layers = layers
        self.data = b"".join(chunks)


def _png(image: np.ndarray, size: int = 4) -> bytes:
    buffer = io.BytesIO()
    big = np.kron(np.clip(image, 0, 1), np.ones((size, size)))
    plt.imsave(buffer, big, cmap="gray", vmin=0, vmax=1, format="png")
    return buffer.getvalue()


def arithmetic_html(unit: UnitArithmetic) -> str:
    """The arithmetic panel: ``<div class="lbl-arithmetic" data-sum=… data-value=…>`` and the readable steps.

    ``data-sum`` is Σ contributions + bias carried through the layers up to the chosen one; ``data-value``
    the unit's value in the forward pass. Introduced in notebook 08 (inside a CNN).
    """
    text = html.escape(unit.explain())
    return (f'<div class="lbl-arithmetic" data-sum="{unit.value:.6f}" data-value="{unit.forward_value:.6f}">'
            f'<pre style="font-size:11px;line-height:1.25;margin:0">{text}</pre></div>')


class LayerInspector:
    """Draw a digit (or set one from code) and look inside ``model``; a click on a map picks a unit.

    ``models``: one ``nn.Module`` or a dict {label: module} (a drop-down switches between them, e.g. the sparse
    C3 LeNet and a fully connected one). Each model takes (1, 1, 28, 28) pixels in [0, 1] (``preprocess`` may
    change that). ``class_names`` label the output layer's units (default: 0 … 9 when it has ten). Display
    ``inspector.widget``. ``inspector.select(layer, channel, row, col)`` picks a unit from code (the panel then
    shows under that layer's row); ``inspector.unit`` and ``inspector.field`` hold the last arithmetic and receptive field;
    ``last_update_seconds`` is the time from the pad's pointer-up sync to the updated figures.
    Introduced in notebook 08 (inside a CNN).
    """

    def __init__(self, models, preprocess=None, pad: DrawingPad | None = None, class_names=None):
        import ipywidgets as widgets

        self.models = dict(models) if isinstance(models, dict) else {"model": models}
        if not self.models:
            raise ValueError("give at least one model")
        for label, model in self.models.items():
            check_supported(model)
        self.preprocess = preprocess or (lambda image: torch.as_tensor(image)[None, None])
        self.class_names = None if class_names is None else [str(name) for name in class_names]
        self.pad = pad or DrawingPad()
        self.strips = FeatureMapStrips()
        self.preview = widgets.Image(format="png", width=112, height=112)
        self.preview.add_class("lbl-preview")
        self.predictions = widgets.HTML(f'<div class="lbl-predictions" style="font-size:15px">{NOTHING_DRAWN}</div>')
        # Not placed in the layout: the strips show its value right under the clicked unit's layer.
        self.arithmetic = widgets.HTML('<div class="lbl-arithmetic" data-sum="" data-value="">click a unit of a '
                                       'feature map to see what feeds it</div>')
        self.strips.panel = self.arithmetic.value
        self.arithmetic.observe(lambda change: setattr(self.strips, "panel", change["new"]), names="value")
        self.chooser = widgets.Dropdown(options=list(self.models), description="model")
        self.timing = widgets.HTML()
        self.x: torch.Tensor | None = None
        self.centering = None
        self.outputs = None
        self.unit: UnitArithmetic | None = None
        self.field = None
        self.last_update_seconds: float | None = None
        self.pad.observe(self._on_draw, names="pixels")
        self.strips.observe(self._on_select, names="selected")
        self.chooser.observe(lambda _change: self.update(), names="value")
        left = widgets.VBox([self.pad, widgets.HBox([self.preview, self.predictions]), self.timing])
        self.widget = widgets.VBox(([self.chooser] if len(self.models) > 1 else []) + [left, self.strips])
        self.update()

    @property
    def model(self) -> nn.Module:
        return self.models[self.chooser.value]

    def shown_layers(self) -> list[str]:
        """The input and every layer that changes values (Flatten, Dropout and Identity are skipped)."""
        return ["input"] + [name for name, layer in check_supported(self.model) if not isinstance(layer, _HIDDEN)]

    def _class_names(self) -> list[str] | None:
        last = self.outputs[self.shown_layers()[-1]] if self.outputs is not None else None
        if last is None or last.ndim != 2:
            return None
        if self.class_names is not None:
            return self.class_names
        return [str(digit) for digit in range(10)] if last.shape[1] == 10 else None

    def _on_draw(self, _change) -> None:
        started = time.perf_counter()
        self.update()
        self.last_update_seconds = time.perf_counter() - started
        self.timing.value = f"<small>updated in {1000 * self.last_update_seconds:.0f} ms</small>"

    def update(self) -> None:
        """Redo everything for the pad's current drawing (one forward pass)."""
        image = self.pad.image()
        if image is None:
            self.x, self.outputs = None, None
            self.predictions.value = f'<div class="lbl-predictions" style="font-size:15px">{NOTHING_DRAWN}</div>'
            self.strips.layers, self.strips.data, self.strips.highlight, self.strips.dimmed = [], b"", {}, {}
            self.arithmetic.value = f'<div class="lbl-arithmetic" data-sum="" data-value="">{NOTHING_DRAWN}</div>'
            return
        steps = center_like_mnist(image)
        self.centering = steps
        self.preview.value = _png(steps.image)
        self.x = self.preprocess(steps.image)
        self.outputs = feature_maps(self.model, self.x)
        predictions = top_predictions(self.model, self.x, outputs=self.outputs)
        self.predictions.value = f'<div class="lbl-predictions" style="font-size:15px">{format_predictions(predictions)}</div>'
        self.strips.show(self.outputs, self.shown_layers(), labels=self._class_names())
        if self.strips.selected:
            self._explain(**self.strips.selected)

    def select(self, layer: str, channel: int, row: int = 0, col: int = 0) -> UnitArithmetic:
        """Pick a unit from code, as a click would; returns its arithmetic."""
        self.strips.selected = dict(layer=layer, channel=int(channel), row=int(row), col=int(col))
        return self.unit

    def _on_select(self, change) -> None:
        if change["new"]:
            self._explain(**change["new"])

    def _explain(self, layer: str, channel: int, row: int, col: int) -> None:
        if self.x is None:
            self.arithmetic.value = f'<div class="lbl-arithmetic" data-sum="" data-value="">{NOTHING_DRAWN}</div>'
            return
        names = [name for name, _ in check_supported(self.model)]
        if layer not in names:  # the other model has other layers
            self.strips.dimmed = {}
            return
        self.unit = unit_contributions(self.model, self.x, layer, channel, row, col)
        vector = self.outputs[layer].ndim != 4
        self.field = receptive_field(self.model, layer, row, col, channel=channel if vector else None,
                                     input_shape=tuple(self.x.shape[1:]))
        self.strips.highlight = {name: [b.top, b.bottom, b.left, b.right] for name, b in self.field.boxes.items()
                                 if name != layer}
        cut_off = [int(c) for c, ok in zip(self.unit.input_channels, self.unit.connected) if not ok]
        self.strips.dimmed = {self.unit.source: cut_off} if cut_off else {}
        self.arithmetic.value = arithmetic_html(self.unit)


def draw_unit(unit: UnitArithmetic, max_channels: int = 16, title: str = ""):
    """What feeds one unit: for each input channel its patch (top), the kernel slice (middle, red = positive
    weight) and their product summed (title); channels a connection table cuts off are greyed out. Pooling
    shows its window; a Linear unit on a vector shows its largest contributions as bars.

    ``title`` goes in front of the figure's own title (e.g. which model). Returns the Figure.
    Introduced in notebook 08 (inside a CNN).
    """
    prefix = f"{title}: " if title else ""
    if unit.kind in ("conv", "linear") and unit.kernels is not None and np.ndim(unit.patches[0]) == 2:
        count = min(len(unit.patches), max_channels)
        fig, axes = plt.subplots(2, count, figsize=(1.15 * count + 0.6, 2.9), squeeze=False)
        limit = max(float(np.abs(np.stack(unit.kernels)).max()), 1e-12)
        patches = np.stack(unit.patches)
        low, high = float(patches.min()), max(float(patches.max()), float(patches.min()) + 1e-12)
        for i in range(count):
            ok = bool(unit.connected[i])
            axes[0, i].imshow(unit.patches[i], cmap="gray", vmin=low, vmax=high, alpha=1.0 if ok else 0.25)
            axes[1, i].imshow(unit.kernels[i], cmap="RdBu_r", vmin=-limit, vmax=limit, alpha=1.0 if ok else 0.25)
            axes[0, i].set_title(f"map {unit.input_channels[i]}\n{unit.contributions[i]:+.3f}" if ok
                                 else f"map {unit.input_channels[i]}\nnot connected", fontsize=8,
                                 color="black" if ok else "0.5")
            for ax in axes[:, i]:
                ax.set_xticks([])
                ax.set_yticks([])
        axes[0, 0].set_ylabel(f"{unit.source}\npatch\n(one scale)", fontsize=8)
        axes[1, 0].set_ylabel("kernel\nslice", fontsize=8)
        fig.suptitle(f"{prefix}{unit.layer} unit {unit.channel}"
                     + (f" at ({unit.row}, {unit.col})" if unit.kind == "conv" else "")
                     + f": Σ {float(unit.contributions.sum()):+.3f} + bias {unit.bias:+.3f} = {unit.total:+.3f}"
                     + (f" → {unit.value:+.3f}" if unit.steps else ""), fontsize=10)
    elif unit.kind in ("max pool", "avg pool"):
        fig, ax = plt.subplots(figsize=(2.6, 2.8))
        window = np.where(np.isfinite(unit.patches[0]), unit.patches[0], np.nan)
        ax.imshow(window, cmap="viridis")
        for (r, c), v in np.ndenumerate(window):
            ax.text(c, r, "pad" if np.isnan(v) else f"{v:.2f}", ha="center", va="center", fontsize=8,
                    color="red" if unit.kind == "max pool" and v == unit.total else "white")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{prefix}{unit.layer}: {unit.kind.split()[0]} of the window\n= {unit.total:.3f}", fontsize=9)
    else:
        order = np.argsort(-np.abs(unit.contributions))[:max_channels]
        fig, ax = plt.subplots(figsize=(6, 2.6))
        ax.bar(range(len(order)), unit.contributions[order], color=["C3" if v > 0 else "C0" for v in unit.contributions[order]])
        ax.set_xticks(range(len(order)), [str(unit.input_channels[i]) for i in order], fontsize=7)
        ax.set_xlabel(f"{unit.source} unit")
        ax.set_title(f"{prefix}{unit.layer} unit {unit.channel}: largest contributions (of {len(unit.contributions)})", fontsize=9)
    fig.tight_layout()
    return fig


def draw_receptive_field(outputs, field, channel: int = 0):
    """The receptive field of one unit: orange boxes on the input and on every earlier layer (shown as the
    mean of its maps, since the box spans all channels), the unit itself in red on its own map ``channel``.
    Of layers with the same box (a conv and its activation) only the last is shown.

    Returns the Figure. Introduced in notebook 08 (inside a CNN).
    """
    keys = list(field.boxes)
    names = [name for i, name in enumerate(keys) if i == len(keys) - 1 or field.boxes[keys[i + 1]] != field.boxes[name]]
    fig, axes = plt.subplots(1, len(names), figsize=(2.1 * len(names), 2.5), squeeze=False)
    for ax, name in zip(axes[0], names):
        box = field.boxes[name]
        maps = outputs[name][0]
        own = name == field.layer
        picture = maps[channel] if own else maps.mean(dim=0)
        ax.imshow(picture.numpy(), cmap="gray" if name == "input" else "viridis")
        ax.add_patch(Rectangle((box.left - 0.5, box.top - 0.5), box.width, box.height, fill=False,
                               ec="red" if own else "orange", lw=2))
        what = "" if name == "input" else (f" map {channel}" if own else f" (mean of {len(maps)})")
        ax.set_title(f"{name}{what}\nbox {box.height}×{box.width}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"receptive field of {field.layer} ({field.row}, {field.col}): {field.size[0]}×{field.size[1]} "
                 "input pixels (padding included)", fontsize=10)
    fig.tight_layout()
    return fig


def draw_layer_strips(outputs, names, max_channels: int = 16, cmap: str = "viridis"):
    """Every layer's output for one input, one strip per layer: its channels as small images on ONE colour
    scale per layer (with a colour bar), vector layers as a row of units. The static twin of the inspector's
    strips. Returns the Figure. Introduced in notebook 08 (inside a CNN).
    """
    fig = plt.figure(figsize=(1.0 * max_channels + 1.8, 1.05 * len(names) + 0.3))
    grid = fig.add_gridspec(len(names), max_channels + 2, width_ratios=[1] * max_channels + [0.15, 0.6])
    for i, name in enumerate(names):
        value = outputs[name][0].float().numpy()
        low, high = float(value.min()), float(value.max())
        if value.ndim == 3:
            shown = value[:max_channels]
            for c, image in enumerate(shown):
                ax = fig.add_subplot(grid[i, c])
                picture = ax.imshow(image, cmap=cmap, vmin=low, vmax=high)
                ax.set_xticks([])
                ax.set_yticks([])
                if c == 0:
                    ax.set_ylabel(f"{name}\n{'×'.join(map(str, value.shape))}", fontsize=8, rotation=0, ha="right", va="center")
            if len(value) > max_channels:
                ax.set_title(f"+{len(value) - max_channels} more", fontsize=7, loc="right")
        else:
            ax = fig.add_subplot(grid[i, :max_channels])
            picture = ax.imshow(value[None, :], cmap=cmap, vmin=low, vmax=high, aspect="auto")
            ax.set_yticks([])
            ax.set_xticks(range(len(value)) if len(value) <= 10 else [])
            ax.set_ylabel(f"{name}\n{len(value)}", fontsize=8, rotation=0, ha="right", va="center")
        fig.colorbar(picture, cax=fig.add_subplot(grid[i, max_channels]))
    fig.subplots_adjust(left=0.08, right=0.97, top=0.97, bottom=0.03, hspace=0.35, wspace=0.12)
    return fig
