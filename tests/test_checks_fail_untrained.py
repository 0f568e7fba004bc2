"""Each lesson's trained-model checks fail on a broken model (issue 16: quick mode shrinks the work, never a check).

Every notebook is run in quick mode with ``LESSONS_UNTRAINED=1``: ``start_lesson`` then makes every PyTorch optimizer
step a no-op (``lessons_lib.lesson.freeze_every_optimizer``), so each model the lesson trains stays exactly as
initialised, and an empty cache means nothing trained earlier is loaded instead. The notebook runs on past errors;
each check cell named below (the lesson's checks on trained models) must have failed with an ``AssertionError``. A
check whose quick form an untrained model passes makes this test fail, naming it.

Keras's optimizers are frozen the same way (``keras_interop.import_keras``), and so are the hand-written updates of
lesson 05's ``train_word2vec``. Notebooks without a check on a trained model are listed in ``NO_TRAINED_MODEL_CHECK``,
with the reason.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"

# notebook → a line of each cell that must fail when nothing is trained (its checks on trained models)
TRAINED_MODEL_CHECKS: dict[str, list[str]] = {
    "01_filter_depth.ipynb": ['at_least("LeNet test accuracy"'],
    "02_one_by_one_convolution.ipynb": ['at_least("NiN test accuracy"', 'at_least("placed items classified at their window"'],
    "03_log_mel_convolutions.ipynb": ['at_least("test accuracy on the official split"'],
    "03b_unseen_speakers.ipynb": ['at_least("per-utterance norm, unseen speakers"'],
    "04_inception_factorization.ipynb": ['at_least("all three fixes: test accuracy"',
                                         'at_least("two 5×5 convs, σ = 1e-4: test accuracy"',
                                         'tolerance = {"factorized": full_or_quick(0.03, 0.12)'],
    "05_word2vec.ipynb": ["def train_readable_skipgram", 'at_most(f"{name}: final loss / first loss"',
                          'at_most("best rank of queen', 'at_least("similarity agreement with gensim, skip-gram"'],
    "06_gan.ipynb": ['at_least("2-D GAN: modes covered"', 'at_least("2-D GAN: modes averaged over training, paced D minus slow D"',
                     'at_least("judge test accuracy"', 'at_least("DCGAN: classes present"',
                     'at_least("conditional GAN: share of the asked class"',
                     'at_least("self-conditioned GAN: classes present"', 'at_least("super-resolution: PSNR gain'],
    "07_mnist_end_to_end.ipynb": ['at_least("walkthrough recipe: accuracy"',
                                  'at_least("Keras walkthrough: validation accuracy"', 'at_least("fast recipe: accuracy"'],
    "08_inside_a_cnn.ipynb": ['at_least(f"LeNet ({name}): test accuracy"', 'at_least("my model: test accuracy"'],
    "09_alphazero.ipynb": ['at_least("network alone: optimal moves"',
                           'at_most("network with search: games lost to the perfect player"'],
}

NO_TRAINED_MODEL_CHECK: dict[str, str] = {
    "00_start_here.ipynb": "the orientation notebook trains no model",
    "A1_keras_pytorch_cheatsheet.ipynb": "its checks compare a Keras step with the same PyTorch step (frozen, both stay "
                                         "equal); no check asks a model to have learnt",
}


def test_every_notebook_is_covered():
    names = {path.name for path in NOTEBOOKS.glob("*.ipynb")}
    assert names == set(TRAINED_MODEL_CHECKS) | set(NO_TRAINED_MODEL_CHECK), "list each notebook in one of the two tables"
    assert not set(TRAINED_MODEL_CHECKS) & set(NO_TRAINED_MODEL_CHECK)


def error_cells(notebook) -> dict[int, str]:
    """{cell index: error name} of an executed notebook."""
    return {i: out["ename"] for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"
            for out in cell.get("outputs", []) if out.get("output_type") == "error"}


class UntrainedLesson:
    """One lesson run untrained. Each lesson gets its own class (below): ``pytest -n 2 --dist loadscope`` hands
    classes to workers separately, so these runs (minutes in all) spread over both workers instead of queueing on one."""
    notebook = ""

    def test_trained_model_checks_fail_when_nothing_trains(self, execute_lesson):
        assert_checks_fail_untrained(self.notebook, execute_lesson)


for _name in sorted(TRAINED_MODEL_CHECKS):
    _class = "TestUntrained_" + re.sub(r"\W", "_", Path(_name).stem)
    globals()[_class] = type(_class, (UntrainedLesson,), {"notebook": _name,
                                                          "pytestmark": [pytest.mark.runs_notebook(_name)]})


def assert_checks_fail_untrained(name: str, execute_lesson) -> None:
    # quick mode, an empty cache, optimizers frozen, past errors
    errors = error_cells(execute_lesson(name, allow_errors=True, LESSONS_UNTRAINED="1"))
    cells = nbformat.read(NOTEBOOKS / name, as_version=4).cells
    for snippet in TRAINED_MODEL_CHECKS[name]:
        holding = [i for i, cell in enumerate(cells) if cell.cell_type == "code" and snippet in cell.source]
        assert len(holding) == 1, f"{name}: {snippet!r} should name exactly one cell, found {holding}"
        index = holding[0]
        assert errors.get(index) == "AssertionError", (
            f"{name}: cell {index} ({snippet!r}) should fail on an untrained model, but "
            + (f"it raised {errors[index]}" if index in errors else "it passed") + f":\n{cells[index].source}")


FROZEN_STEP = """
import torch
from lessons_lib import start_lesson
from lessons_lib.keras_interop import import_keras
lesson = start_lesson()
layer = torch.nn.Linear(3, 2)
before = layer.weight.detach().clone()
for optimizer in (torch.optim.SGD(layer.parameters(), lr=0.1, momentum=0.9), torch.optim.AdamW(layer.parameters())):
    layer(torch.randn(4, 3)).sum().backward()
    optimizer.step()
assert torch.equal(before, layer.weight), "a PyTorch optimizer still stepped"
keras = import_keras()
import numpy as np
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
model.compile(optimizer="rmsprop", loss="mse")
weights = model.get_weights()[0].copy()
model.fit(np.random.rand(16, 3), np.random.rand(16, 2), epochs=2, verbose=0)
assert np.array_equal(weights, model.get_weights()[0]), "a Keras optimizer still stepped"
print("frozen")
"""


@pytest.mark.parametrize("flag", ["1", "0"])
def test_lessons_untrained_freezes_pytorch_and_keras_optimizers(flag):
    """In a fresh process (the freeze cannot be undone): with the flag nothing moves; without it, training works."""
    import subprocess
    import sys

    env = dict(os.environ, LESSONS_UNTRAINED=flag,
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    result = subprocess.run([sys.executable, "-c", FROZEN_STEP], env=env, capture_output=True, text=True, timeout=300)
    if flag == "1":
        assert result.returncode == 0 and "frozen" in result.stdout, result.stderr[-2000:]
        assert "LESSONS_UNTRAINED=1" in result.stdout
    else:
        assert result.returncode != 0 and "a PyTorch optimizer still stepped" in result.stderr


def test_the_empty_cache_of_a_lesson_run_gets_decoded_cifar10_and_nothing_else(tmp_path, shared_data,
                                                                                shared_decoded_datasets):
    cache = tmp_path / "cache"
    assert shared_decoded_datasets(cache, "06_gan.ipynb") == []     # MNIST has a sample: the browser's runs need it
    assert shared_decoded_datasets(cache, "04_inception_factorization.ipynb") == ["cifar10"]
    assert shared_decoded_datasets(cache, "04_inception_factorization.ipynb") == ["cifar10"]   # twice: no error
    assert [p.name for p in cache.iterdir()] == ["decoded"]          # no models folder: nothing trained is shared
    linked = sorted((cache / "decoded").iterdir())
    assert [p.suffix for p in linked] == [".json", ".npz"] and all(p.is_symlink() for p in linked)
