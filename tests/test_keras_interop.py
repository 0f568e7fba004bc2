"""Keras 3 on PyTorch: the backend guard, and Keras → PyTorch weight copies that give the same outputs."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

from lessons_lib.conv import count_parameters
from lessons_lib.keras_interop import (conv_kernel_to_torch, copy_keras_weights, dense_kernel_to_torch,
                                       flatten_permutation, import_keras, keras_parameter_count)
from lessons_lib.mnist import walkthrough_keras_model, walkthrough_net

keras = import_keras()


@pytest.fixture(scope="module")
def digits():
    from lessons_lib import load_dataset

    data = load_dataset("mnist", verbose=False)
    return (data["x_test"][:16] / 255.0).astype(np.float32)


def test_keras_runs_on_torch():
    assert keras.backend.backend() == "torch"
    assert keras.__version__.startswith("3.")


def test_a_keras_imported_with_another_backend_is_refused():
    # A fresh interpreter in which a Keras with the JAX backend was imported first (a stand-in module: no JAX here).
    script = ("import sys, types\n"
              "fake = types.ModuleType('keras'); fake.__version__ = '3.0.0'\n"
              "fake.backend = types.SimpleNamespace(backend=lambda: 'jax')\n"
              "sys.modules['keras'] = fake\n"
              "from lessons_lib.keras_interop import import_keras\n"
              "try:\n    import_keras()\nexcept RuntimeError as e:\n    print('REFUSED', e)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert "REFUSED" in out and "'jax'" in out and "Restart the kernel" in out


def test_conv_kernel_permutation_moves_numbers_not_just_shape():
    kernel = np.random.default_rng(0).normal(size=(3, 5, 2, 4)).astype(np.float32)
    weight = conv_kernel_to_torch(kernel)
    assert weight.shape == (4, 2, 3, 5)
    assert weight[3, 1, 2, 4] == kernel[2, 4, 1, 3]
    with pytest.raises(ValueError, match=r"\(kh, kw, in, out\)"):
        conv_kernel_to_torch(kernel[0])
    assert dense_kernel_to_torch(np.zeros((7, 3))).shape == (3, 7)
    with pytest.raises(ValueError, match=r"\(in, out\)"):
        dense_kernel_to_torch(np.zeros(3))


def test_flatten_permutation_matches_the_two_flatten_orders():
    h, w, c = 3, 2, 4
    values = torch.arange(h * w * c).reshape(h, w, c)                  # one map, channels last
    keras_flat = values.reshape(-1)
    torch_flat = values.permute(2, 0, 1).reshape(-1)                    # the same map, channels first
    assert torch.equal(keras_flat[flatten_permutation(h, w, c)], torch_flat)
    with pytest.raises(ValueError, match="positive int"):
        flatten_permutation(3, 0, 4)


def test_walkthrough_models_agree_in_parameters_and_predictions(digits):
    keras_model = walkthrough_keras_model(keras)
    torch_model = walkthrough_net()
    assert keras_parameter_count(keras_model) == count_parameters(torch_model) == 1_010_666
    copy_keras_weights(keras_model, torch_model).eval()
    expected = np.asarray(keras_model.predict(digits[..., None], verbose=0))
    got = torch_model(torch.as_tensor(digits[:, None])).softmax(1).detach().numpy()
    assert np.abs(got - expected).max() < 1e-5


def test_without_the_flatten_permutation_predictions_differ(digits):
    keras_model = walkthrough_keras_model(keras)
    torch_model = copy_keras_weights(keras_model, walkthrough_net()).eval()
    first_dense = torch_model[19]
    kernel = next(l for l in keras_model.layers if type(l).__name__ == "Dense").get_weights()[0]
    first_dense.weight.data = torch.as_tensor(kernel).T.contiguous()   # the naive copy
    expected = np.asarray(keras_model.predict(digits[..., None], verbose=0))
    got = torch_model(torch.as_tensor(digits[:, None])).softmax(1).detach().numpy()
    assert np.abs(got - expected).max() > 1e-3


def test_augmentation_layers_are_skipped_and_inactive_at_inference(digits):
    from lessons_lib.mnist import WALKTHROUGH_AUGMENTATION

    keras_model = walkthrough_keras_model(keras, augmentation=WALKTHROUGH_AUGMENTATION)
    torch_model = copy_keras_weights(keras_model, walkthrough_net()).eval()
    expected = np.asarray(keras_model.predict(digits[..., None], verbose=0))
    got = torch_model(torch.as_tensor(digits[:, None])).softmax(1).detach().numpy()
    assert np.abs(got - expected).max() < 1e-5


def test_batchnorm_lstm_and_gru_copies():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 6, 5)).astype(np.float32)
    for keras_layer, torch_layer in ((keras.layers.LSTM(7), nn.LSTM(5, 7, batch_first=True)),
                                     (keras.layers.GRU(7), nn.GRU(5, 7, batch_first=True))):
        model = keras.Sequential([keras.Input((6, 5)), keras_layer])
        copy_keras_weights(model, torch_layer)
        _, state = torch_layer(torch.as_tensor(x))
        hidden = (state[0] if isinstance(state, tuple) else state)[0].detach().numpy()
        assert np.abs(hidden - np.asarray(model.predict(x, verbose=0))).max() < 1e-5
    model = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.BatchNormalization()])
    model.layers[0].set_weights([rng.normal(size=3), rng.normal(size=3), rng.normal(size=3), rng.random(3) + 0.5])
    batchnorm = copy_keras_weights(model, nn.BatchNorm2d(3)).eval()
    images = rng.normal(size=(2, 4, 4, 3)).astype(np.float32)
    got = batchnorm(torch.as_tensor(images).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).detach().numpy()
    assert np.abs(got - np.asarray(model.predict(images, verbose=0))).max() < 1e-5


def test_mismatched_models_are_reported():
    keras_model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="layer for layer"):
        copy_keras_weights(keras_model, nn.Sequential(nn.Linear(8, 4)))
    with pytest.raises(ValueError, match="shape"):
        copy_keras_weights(keras_model, nn.Sequential(nn.Linear(8, 3), nn.Linear(3, 2)))


def test_every_row_of_the_cheat_sheet_asserts_in_code_not_in_a_comment():
    """A1's opening promises that every row asserts that Keras and PyTorch agree; its emulation row once had its
    `same(...)` check inside a comment. A row is a code cell after the setup (which calls import_keras())."""
    import ast
    from pathlib import Path

    import nbformat

    notebook = Path(__file__).resolve().parent.parent / "notebooks" / "A1_keras_pytorch_cheatsheet.ipynb"
    code = [cell.source for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "code"]
    setup = next(i for i, source in enumerate(code) if "import_keras()" in source)
    rows = [source for source in code[setup + 1:] if source.strip() != "lesson.finish()"]
    assert len(rows) >= 15
    silent = [source.splitlines()[0] for source in rows
              if not any(isinstance(node, ast.Assert) for node in ast.walk(ast.parse(source)))]
    assert not silent, f"rows that assert nothing (an assert in a comment does not run): {silent}"
    emulation = next(source for source in rows if "emulated" in source)
    assert any(isinstance(node, ast.Assert) and "same(emulated" in ast.unparse(node)
               for node in ast.walk(ast.parse(emulation)))
