"""Figures the lessons share: image grids, feature maps, learning curves, confusion matrices, layer scales.

Each function returns the matplotlib Figure; notebooks end the cell with ``plt.show()``.
Introduced in notebook 01 (filters have depth).
"""
from __future__ import annotations

import math
from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np


def _to_numpy(array) -> np.ndarray:
    if hasattr(array, "detach"):
        array = array.detach().cpu().numpy()
    return np.asarray(array)


def _panels(n: int, ncols: int | None, size: float, aspect: float):
    """A figure of ``n`` blank panels (axes off) in rows of ``ncols``; returns (fig, the first n axes)."""
    ncols = ncols or min(n, 8)
    rows = math.ceil(n / ncols)
    fig, axes = plt.subplots(rows, ncols, figsize=(ncols * size, rows * size * aspect), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    return fig, list(axes.flat)[:n]


def _finish(fig, title: str):
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_images(images, labels: Sequence | None = None, ncols: int | None = None, cmap: str = "gray",
                size: float = 1.4, title: str = "", symmetric: bool = False, row_labels: Sequence | None = None):
    """A grid of images: (N, H, W) grey, (N, H, W, 3) colour, or (N, C, H, W) tensors.

    ``symmetric=True`` centres the colour scale on zero (for filters with negative weights: use cmap="RdBu_r").
    ``row_labels`` (one per row of the grid) are written left of each row ("asked for 3").

    Introduced in notebook 01 (filters have depth).
    """
    images = _to_numpy(images)
    if images.ndim == 4 and images.shape[1] in (1, 3) and images.shape[-1] not in (1, 3):
        images = images.transpose(0, 2, 3, 1)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4):
        raise ValueError(f"show_images expects (N, H, W), (N, H, W, 3) or (N, C, H, W), got shape {images.shape}")
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"got {len(labels)} labels for {len(images)} images")
    ncols = ncols or min(len(images), 8)
    rows = math.ceil(len(images) / ncols)
    if row_labels is not None and len(row_labels) != rows:
        raise ValueError(f"got {len(row_labels)} row labels for {rows} rows of {ncols} images")
    fig, axes = _panels(len(images), ncols, size, aspect=1.35)
    for row, text in enumerate(row_labels if row_labels is not None else []):
        axes[row * ncols].text(-0.08, 0.5, str(text), transform=axes[row * ncols].transAxes, ha="right", va="center",
                               fontsize=9)
    for i, ax in enumerate(axes):
        limit = np.abs(images[i]).max() if symmetric else None
        ax.imshow(images[i], cmap=cmap if images.ndim == 3 else None, vmin=-limit if symmetric else None, vmax=limit)
        if labels is not None:
            ax.set_title(str(labels[i]), fontsize=9)
    return _finish(fig, title)


def show_feature_maps(maps, ncols: int | None = None, title: str = "", cmap: str = "viridis", size: float = 1.3):
    """Every channel of one feature map (C, H, W) as its own panel, each on its own colour scale.

    Introduced in notebook 01 (filters have depth).
    """
    maps = _to_numpy(maps)
    if maps.ndim == 4 and maps.shape[0] == 1:
        maps = maps[0]
    if maps.ndim != 3:
        raise ValueError(f"show_feature_maps expects one map (C, H, W) or (1, C, H, W), got shape {maps.shape}")
    fig, axes = _panels(len(maps), ncols, size, aspect=1.1)
    for i, ax in enumerate(axes):
        ax.imshow(maps[i], cmap=cmap)
        ax.set_title(f"{i}", fontsize=8)
    return _finish(fig, title)


def plot_history(history, title: str = ""):
    """Learning curves of a ``History``: loss and accuracy per epoch, train and validation.

    After a single epoch (quick mode) each metric is one point: the panels say so, on an accuracy axis from 0 to 1
    (matplotlib alone would zoom into 0.96–1.04 around the point).

    Introduced in notebook 01 (filters have depth).
    """
    metrics = history.metrics
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.2))
    for ax, key in ((ax_loss, "loss"), (ax_acc, "accuracy")):
        for prefix, style in (("", "-o"), ("val_", "--s")):
            values = metrics.get(prefix + key)
            if values:
                ax.plot(range(1, len(values) + 1), values, style, label=("validation " if prefix else "train ") + key)
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend()
    if history.epochs == 1:   # quick mode's single epoch: say why there is one point, on axes that mean something
        for ax in (ax_loss, ax_acc):
            ax.set_xlim(0.5, 1.5)
            ax.set_xticks([1])
            ax.text(0.5, 0.04, "one epoch: one point per metric\n(more epochs, as in full mode, draw a curve)",
                    transform=ax.transAxes, ha="center", va="bottom", fontsize=8, color="0.35")
        ax_acc.set_ylim(0, 1.02)
        ax_loss.set_ylim(bottom=0)
    return _finish(fig, title)


def confusion_matrix(y_true, y_pred, n_classes: int | None = None) -> np.ndarray:
    """Counts (true class, predicted class) as an (n, n) int array.

    Introduced in notebook 03 (log-mel features).
    """
    y_true, y_pred = _to_numpy(y_true).astype(int).ravel(), _to_numpy(y_pred).astype(int).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} labels but y_pred has {y_pred.size}")
    n = n_classes or int(max(y_true.max(initial=0), y_pred.max(initial=0))) + 1
    matrix = np.zeros((n, n), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def plot_confusion_matrix(y_true, y_pred, class_names: Sequence[str] | None = None, title: str = ""):
    """A labelled confusion-matrix heat map with counts in the cells.

    Introduced in notebook 03 (log-mel features).
    """
    n = len(class_names) if class_names is not None else None
    matrix = confusion_matrix(y_true, y_pred, n)
    names = list(class_names) if class_names is not None else [str(i) for i in range(len(matrix))]
    fig, ax = plt.subplots(figsize=(0.5 * len(names) + 2.5, 0.5 * len(names) + 2))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = matrix.max() / 2 if matrix.size else 0
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha="center", va="center", fontsize=8, color="white" if count > threshold else "black")
    ax.set_title(title or f"accuracy {np.trace(matrix) / max(matrix.sum(), 1):.1%}")
    fig.tight_layout()
    return fig


def plot_layer_scales(scales: dict, title: str = ""):
    """Two log-scale panels: activation std per layer (forward) and weight-gradient norm per layer (backward).

    ``scales`` maps a label ("broken", "fixed") to the output of ``lessons_lib.measure.layer_scales``. Returns the Figure.
    Introduced in notebook 04 (Inception-style factorization).
    """
    if not isinstance(scales, dict) or not scales:
        raise ValueError("scales must be a non-empty dict {label: layer_scales(...)}")
    fig, (ax_act, ax_grad) = plt.subplots(1, 2, figsize=(11, 3.8))
    tiny = 1e-30  # log axes cannot show 0
    for label, rows in scales.items():
        positions = range(1, len(rows) + 1)
        ax_act.plot(positions, [max(r.activation_std, tiny) for r in rows], "-o", label=label)
        ax_grad.plot(positions, [max(r.gradient_norm, tiny) for r in rows], "-o", label=label)
    for ax, what in ((ax_act, "std of the layer's output (forward)"), (ax_grad, "norm of the weight gradient (backward)")):
        ax.set_yscale("log")
        ax.set_xlabel("weighted layer (input → output)")
        ax.set_title(what, fontsize=10)
        ax.grid(alpha=0.3, which="both")
        ax.legend()
    return _finish(fig, title)


def plot_curve(x: Sequence[float], series: dict, xlabel: str, ylabel: str, hline: float | None = None,
               hline_label: str | None = None, title: str = "", ylim: tuple[float, float] | None = None):
    """One panel of curves sharing an x axis: ``series`` maps a label to its y values (one per x), with an optional
    horizontal line (a target). Returns the Figure.

    Introduced in notebook 09 (AlphaZero in miniature): strength per training iteration.
    """
    if not isinstance(series, dict) or not series:
        raise ValueError("series must be a non-empty dict {label: y values}")
    x = list(x)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for label, values in series.items():
        values = list(values)
        if len(values) != len(x):
            raise ValueError(f"series {label!r} has {len(values)} values for {len(x)} x values")
        ax.plot(x, values, "-o", label=label, markersize=4)
    if hline is not None:
        ax.axhline(hline, color="0.4", linestyle="--", linewidth=1, label=hline_label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    return _finish(fig, title)
