"""An interactive convolution explorer: sliders for input size, channels, kernel, stride,
padding and number of filters → output shape, parameter count, and a picture of the kernel
window sliding over the (padded) input.

The widget only wires sliders to two pure functions, ``describe_conv`` (the numbers) and
``draw_conv`` (the picture), so everything it shows also works, and is tested, without a browser.

Introduced in notebook 01 (filters have depth).
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from ..conv import conv_multiply_adds, conv_output_size, conv_parameter_count


def describe_conv(size: int = 7, channels: int = 3, kernel: int = 3, stride: int = 1, padding: int = 0,
                  filters: int = 2) -> dict:
    """The shapes and counts of one square 2-D conv layer on a (channels, size, size) input.

    Returns a dict with the input, padded input and output shapes (C, H, W), the weight shape in
    PyTorch's (out, in, kh, kw) and Keras's (kh, kw, in, out) layouts, weights per filter,
    parameter count n·(f·k·k + 1), number of window positions, multiply-adds, the output-size
    formula written out, and ``unused edge rows/cols`` (at the far edge, never reached by a window).
    Raises ValueError when the kernel does not fit. Introduced in notebook 01 (filters have depth).
    """
    out = conv_output_size(size, kernel, stride, padding)
    channels, filters = int(channels), int(filters)
    if channels < 1 or filters < 1:
        raise ValueError(f"channels and filters must be >= 1, got channels={channels}, filters={filters}")
    padded = size + 2 * padding
    return {
        "input shape": (channels, size, size),
        "padded input shape": (channels, padded, padded),
        "weight shape (PyTorch: out, in, kh, kw)": (filters, channels, kernel, kernel),
        "kernel shape (Keras: kh, kw, in, out)": (kernel, kernel, channels, filters),
        "weights per filter": channels * kernel * kernel,
        "parameters": conv_parameter_count(channels, filters, kernel),
        "output shape": (filters, out, out),
        "positions": out * out,
        "multiply-adds": conv_multiply_adds(channels, filters, kernel, out, out),
        "formula": f"⌊({size} − {kernel} + 2·{padding}) / {stride}⌋ + 1 = {out}",
        "unused edge rows/cols": (padded - kernel) % stride,
    }


def _grid(ax, x0: float, y0: float, n: int, colors: np.ndarray, edge: str = "0.6") -> None:
    """n×n cells with lower-left corner at (x0, y0); colors[i, j] for row i (top) and column j."""
    for i in range(n):
        for j in range(n):
            ax.add_patch(Rectangle((x0 + j, y0 + n - 1 - i), 1, 1, facecolor=colors[i][j], edgecolor=edge, lw=0.5))


def draw_conv(size: int = 7, kernel: int = 3, stride: int = 1, padding: int = 0, position: int = 0,
              channels: int = 1, filters: int = 1):
    """Picture of one window position: the kernel on the padded input (left), the output cell it
    produces (right). Padding cells are grey; a stack behind the input shows its channels (the
    window covers all of them); a stack behind the output shows one map per filter.

    ``position`` counts window positions row by row, 0 … out·out − 1. Returns the Figure.
    Introduced in notebook 01 (filters have depth).
    """
    info = describe_conv(size, channels, kernel, stride, padding, filters)
    out = info["output shape"][1]
    if not 0 <= position < out * out:
        raise ValueError(f"position must be in 0 … {out * out - 1} for a {out}×{out} output, got {position}")
    row, col = divmod(position, out)
    padded = size + 2 * padding
    fig, (ax_in, ax_out) = plt.subplots(1, 2, figsize=(9, 4.4), gridspec_kw={"width_ratios": [padded + 2, out + 2]})

    depth_in, depth_out = min(channels, 4), min(filters, 4)
    for layer in range(depth_in - 1, 0, -1):  # channels behind, shifted up-right
        ax_in.add_patch(Rectangle((0.35 * layer, 0.35 * layer), padded, padded, facecolor="#dde6f0", edgecolor="0.4"))
    colors = np.full((padded, padded), "white", dtype=object)
    colors[:padding, :] = colors[-padding or padded:, :] = "0.85"
    colors[:, :padding] = colors[:, -padding or padded:] = "0.85"
    window = np.zeros((padded, padded), bool)
    window[row * stride: row * stride + kernel, col * stride: col * stride + kernel] = True
    colors[window & (colors == "white")] = "#f4b6b6"
    colors[window & (colors == "0.85")] = "#d99a9a"
    _grid(ax_in, 0, 0, padded, colors)
    top = padded - row * stride - kernel
    ax_in.add_patch(Rectangle((col * stride, top), kernel, kernel, fill=False, edgecolor="crimson", lw=2.5))
    ax_in.set_title(f"input {channels}×{size}×{size}, padding {padding} (grey)\n"
                    f"{kernel}×{kernel}×{channels} window, stride {stride}", fontsize=10)

    for layer in range(depth_out - 1, 0, -1):
        ax_out.add_patch(Rectangle((0.35 * layer, 0.35 * layer), out, out, facecolor="#e3f0dd", edgecolor="0.4"))
    out_colors = np.full((out, out), "white", dtype=object)
    out_colors[row, col] = "crimson"
    _grid(ax_out, 0, 0, out, out_colors)
    ax_out.set_title(f"output {filters}×{out}×{out}\nposition {position}: row {row}, column {col}", fontsize=10)

    for ax, n, depth in ((ax_in, padded, depth_in), (ax_out, out, depth_out)):
        ax.set_xlim(-0.5, n + 0.35 * depth + 0.5)
        ax.set_ylim(-0.5, n + 0.35 * depth + 0.5)
        ax.set_aspect("equal")
        ax.axis("off")
    fig.suptitle(f"output size {info['formula']}   ·   parameters {filters}·({channels}·{kernel}·{kernel} + 1) = "
                 f"{info['parameters']:,}", fontsize=11)
    fig.tight_layout()
    return fig


def draw_connection_table(table, row_label: str = "output map (conv2 / C3)", col_label: str = "input map (pool1 / S2)"):
    """A 0/1 connection table (out, in) drawn as a grid: a dark cell = "this output map sees that
    input map". Returns the Figure. Introduced in notebook 01 (filters have depth).
    """
    table = np.asarray(table)
    if table.ndim != 2:
        raise ValueError(f"expected a 2-D (out, in) table, got shape {table.shape}")
    fig, ax = plt.subplots(figsize=(0.45 * table.shape[0] + 1.5, 0.45 * table.shape[1] + 1.3))
    ax.imshow(table.T, cmap="Greys", vmin=0, vmax=1.4)
    ax.set_xticks(range(table.shape[0]))
    ax.set_yticks(range(table.shape[1]))
    ax.set_xticks(np.arange(-0.5, table.shape[0]), minor=True)
    ax.set_yticks(np.arange(-0.5, table.shape[1]), minor=True)
    ax.grid(which="minor", color="0.7", lw=0.5)
    ax.tick_params(which="minor", length=0)
    ax.set_xlabel(row_label)
    ax.set_ylabel(col_label)
    ax.set_title(f"{int(table.sum())} of {table.size} (output, input) pairs connected")
    fig.tight_layout()
    return fig


def conv_explorer(size: int = 7, channels: int = 3, kernel: int = 3, stride: int = 1, padding: int = 0,
                  filters: int = 2):
    """The interactive explorer: sliders → ``describe_conv`` numbers and a ``draw_conv`` picture.

    Returns an ipywidgets ``VBox``; display it (last line of a cell). It already holds the
    picture for the starting values, so it shows something before anyone moves a slider.
    Introduced in notebook 01 (filters have depth).
    """
    import ipywidgets as widgets
    from IPython.display import display

    def slider(description, value, low, high):
        return widgets.IntSlider(value=value, min=low, max=high, description=description, continuous_update=False)

    sliders = {
        "size": slider("input size", size, 3, 16), "channels": slider("channels", channels, 1, 8),
        "kernel": slider("kernel", kernel, 1, 7), "stride": slider("stride", stride, 1, 4),
        "padding": slider("padding", padding, 0, 3), "filters": slider("filters", filters, 1, 16),
    }
    position = slider("position", 0, 0, 0)
    text = widgets.HTML()
    picture = widgets.Output()

    def update(_change=None) -> None:
        values = {name: s.value for name, s in sliders.items()}
        try:
            info = describe_conv(**values)
        except ValueError as error:
            text.value = f"<b style='color:crimson'>{error}</b>"
            picture.clear_output()
            return
        position.max = info["positions"] - 1
        rows = "".join(f"<tr><td>{k}</td><td><code>{v}</code></td></tr>" for k, v in info.items())
        text.value = f"<table>{rows}</table>"
        picture.clear_output(wait=True)
        with picture:
            fig = draw_conv(position=position.value, **values)
            display(fig)
            plt.close(fig)

    for s in (*sliders.values(), position):
        s.observe(update, names="value")
    update()
    controls = widgets.VBox([*sliders.values(), position])
    return widgets.VBox([widgets.HBox([controls, text]), picture])
