"""settings, training and plots: the helpers every lesson calls."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
from torch import nn

from lessons_lib import full_or_quick, get_device, seed_everything, settings
from lessons_lib.plots import confusion_matrix, plot_confusion_matrix, plot_history, show_feature_maps, show_images
from lessons_lib.training import History, evaluate, fit, make_loader, predict


def test_full_or_quick_follows_the_mode(monkeypatch):
    monkeypatch.setattr(settings, "QUICK", False)
    assert full_or_quick(10, 1) == 10 and not settings.is_quick()
    monkeypatch.setattr(settings, "QUICK", True)
    assert full_or_quick(10, 1) == 1 and settings.is_quick()


def test_seed_everything_makes_runs_repeatable():
    seed_everything(3)
    a = torch.randn(4), np.random.rand(2)
    seed_everything(3)
    b = torch.randn(4), np.random.rand(2)
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    with pytest.raises(ValueError):
        seed_everything(-1)


def test_device_is_cpu_here_unless_cuda():
    assert get_device().type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_describe_reports_mode_and_folders():
    info = settings.describe()
    assert {"mode", "device", "torch", "data dir (LESSONS_DATA_DIR)", "cache dir"} <= set(info)


def separable_data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    return x, y


def test_fit_learns_and_records_history():
    seed_everything(0)
    x, y = separable_data()
    model = nn.Linear(2, 2)
    train, val = make_loader(x[:300], y[:300], 32, shuffle=True), make_loader(x[300:], y[300:], 100)
    history = fit(model, train, val, epochs=5, lr=0.05, progress=False)
    assert history.epochs == 5 and set(history.metrics) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history.last("val_accuracy") > 0.9
    assert history.metrics["loss"][-1] < history.metrics["loss"][0]
    assert evaluate(model, val)["accuracy"] == pytest.approx(history.last("val_accuracy"))
    assert predict(model, val).shape == (100,)
    with pytest.raises(KeyError, match="have"):
        history.last("f1")


def test_loader_and_fit_reject_bad_input():
    with pytest.raises(TypeError, match="scale images first"):
        make_loader(np.zeros((3, 28, 28), np.uint8), np.zeros(3))
    with pytest.raises(ValueError, match="labels must have shape"):
        make_loader(np.zeros((3, 2), np.float32), np.zeros(4))
    with pytest.raises(ValueError, match="epochs"):
        fit(nn.Linear(2, 2), make_loader(np.zeros((3, 2), np.float32), np.zeros(3)), epochs=0)


def test_plots_draw_and_check_shapes():
    fig = show_images(np.zeros((5, 28, 28)), labels=list("abcde"))
    assert len(fig.axes) == 5
    assert len(show_images(torch.zeros(3, 3, 8, 8)).axes) == 3
    assert len(show_feature_maps(torch.zeros(1, 6, 10, 10)).axes) == 6
    with pytest.raises(ValueError, match="expects"):
        show_images(np.zeros((28, 28)))
    with pytest.raises(ValueError, match="labels"):
        show_images(np.zeros((2, 4, 4)), labels=["a"])
    fig = show_images(np.zeros((6, 4, 4)), ncols=3, row_labels=["asked 0", "asked 1"])
    assert [t.get_text() for t in fig.axes[0].texts] == ["asked 0"] and [t.get_text() for t in fig.axes[3].texts] == ["asked 1"]
    with pytest.raises(ValueError, match="row labels"):
        show_images(np.zeros((6, 4, 4)), ncols=3, row_labels=["one"])
    with pytest.raises(ValueError, match="one map"):
        show_feature_maps(np.zeros((2, 3, 4, 4)))
    history = History()
    history.log(loss=1.0, accuracy=0.5, val_loss=1.1, val_accuracy=0.4)
    assert len(plot_history(history).axes) == 2
    import matplotlib.pyplot as plt

    plt.close("all")


def test_confusion_matrix_counts_pairs():
    matrix = confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2], 3)
    assert matrix.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    with pytest.raises(ValueError, match="y_pred"):
        confusion_matrix([0, 1], [0])
    plot_confusion_matrix([0, 1, 1], [0, 1, 0], class_names=["a", "b"])


def test_start_lesson_seeds_picks_the_device_and_times_the_notebook(capsys):
    import torch

    from lessons_lib import start_lesson

    lesson = start_lesson(seed=3)
    first = torch.rand(1)
    assert "mode:" in capsys.readouterr().out
    start_lesson(seed=3)
    assert torch.equal(first, torch.rand(1))
    assert lesson.device.type in ("cpu", "cuda")
    assert lesson.finish() is None and lesson.seconds >= 0 and "notebook ran in" in capsys.readouterr().out


def test_a_lesson_hands_freed_memory_back_after_every_cell(monkeypatch):
    import IPython

    from lessons_lib import lesson as lesson_module

    lesson_module.release_freed_memory()              # runs anywhere (trims only where glibc has malloc_trim)
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    assert lesson_module.release_memory_after_every_cell() is False       # a plain Python process: nothing to hook

    class Events:
        def __init__(self):
            self.registered = []

        def register(self, name, callback):
            self.registered.append((name, callback))

    shell = type("Shell", (), {"events": Events()})()
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    monkeypatch.setattr(lesson_module, "_RELEASE_REGISTERED", False)
    calls = []
    monkeypatch.setattr(lesson_module, "release_freed_memory", lambda: calls.append(1))
    assert lesson_module.release_memory_after_every_cell() and lesson_module.release_memory_after_every_cell()
    assert [name for name, _ in shell.events.registered] == ["post_run_cell"], "registered once, however often called"
    shell.events.registered[0][1](None)
    assert calls == [1]


def test_a_one_epoch_history_says_why_it_is_one_point():
    from lessons_lib.training import History

    history = History()
    history.log(loss=0.3, accuracy=0.9)
    history.log(val_loss=0.2, val_accuracy=0.95)
    fig = plot_history(history)
    loss_ax, accuracy_ax = fig.axes
    assert accuracy_ax.get_ylim() == (0, 1.02) and accuracy_ax.get_xlim() == (0.5, 1.5)
    assert any("one epoch" in text.get_text() for text in accuracy_ax.texts)
    history.log(loss=0.2, accuracy=0.95)
    assert not any("one epoch" in text.get_text() for ax in plot_history(history).axes for text in ax.texts)
