"""Figures the lessons share: image grids, feature maps, learning curves, confusion matrices.

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


def _grid(n: int, ncols: int | None) -> tuple[int, int]:
    ncols = ncols or min(n, 8)
    return math.ceil(n / ncols), ncols


def show_images(images, labels: Sequence | None = None, ncols: int | None = None, cmap: str = "gray",
                size: float = 1.4, title: str = "", symmetric: bool = False):
    """A grid of images: (N, H, W) grey, (N, H, W, 3) colour, or (N, C, H, W) tensors.

    ``symmetric=True`` centres the colour scale on zero (for filters with negative weights: use cmap="RdBu_r").

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
    rows, cols = _grid(len(images), ncols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * size, rows * size * 1.35), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(images):
            limit = np.abs(images[i]).max() if symmetric else None
            ax.imshow(images[i], cmap=cmap if images.ndim == 3 else None,
                      vmin=-limit if symmetric else None, vmax=limit)
            if labels is not None:
                ax.set_title(str(labels[i]), fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_feature_maps(maps, ncols: int | None = None, title: str = "", cmap: str = "viridis", size: float = 1.3):
    """Every channel of one feature map (C, H, W) as its own panel, each on its own colour scale.

    Introduced in notebook 01 (filters have depth).
    """
    maps = _to_numpy(maps)
    if maps.ndim == 4 and maps.shape[0] == 1:
        maps = maps[0]
    if maps.ndim != 3:
        raise ValueError(f"show_feature_maps expects one map (C, H, W) or (1, C, H, W), got shape {maps.shape}")
    rows, cols = _grid(len(maps), ncols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * size, rows * size * 1.1), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(maps):
            ax.imshow(maps[i], cmap=cmap)
            ax.set_title(f"{i}", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_history(history, title: str = ""):
    """Learning curves of a ``History``: loss and accuracy per epoch, train and validation.

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
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def confusion_matrix(y_true, y_pred, n_classes: int | None = None) -> np.ndarray:
    """Counts (true class, predicted class) as an (n, n) int array.

    Introduced in notebook 03 (log-mel features); also used in notebook 07.
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
