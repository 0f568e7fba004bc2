"""Lesson 07's topic module: batched affine augmentation, the walkthrough's net, the timed recipe loop, the
walkthrough's error display and Kaggle's submission file."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from lessons_lib import mnist
from lessons_lib.conv import conv_parameter_count, count_parameters
from lessons_lib.models import fast_mnist_net, load_saved_model, save_model


@pytest.fixture(scope="module")
def digits():
    from lessons_lib import load_dataset

    data = load_dataset("mnist", verbose=False)
    x = torch.as_tensor(data["x_train"][:600, None] / 255.0, dtype=torch.float32)
    return x, torch.as_tensor(data["y_train"][:600]).long()


def centre_of_mass(images: torch.Tensor) -> torch.Tensor:
    images = images[:, 0]                                     # (N, H, W)
    h, w = images.shape[-2:]
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij")
    mass = images.sum((-2, -1))
    return torch.stack([(images * xs).sum((-2, -1)) / mass, (images * ys).sum((-2, -1)) / mass], -1)


def test_identity_matrices_leave_images_unchanged(digits):
    x, _ = digits
    identity = mnist.random_affine_matrices(len(x), 0, 0, 0)
    assert torch.allclose(identity, torch.eye(2, 3).expand(len(x), 2, 3))
    assert torch.allclose(mnist.warp(x, identity), x, atol=1e-5)


def test_a_shift_moves_the_digit_by_that_fraction_of_the_width(digits):
    x, _ = digits
    shift = torch.tensor([[1.0, 0.0, -2 * 0.1], [0.0, 1.0, 0.0]]).expand(len(x), 2, 3)   # read 0.1·W to the left
    moved = centre_of_mass(mnist.warp(x, shift)) - centre_of_mass(x)
    assert moved[:, 0].mean() == pytest.approx(0.1 * 28, abs=0.15)           # content moves right by 2.8 px
    assert moved[:, 1].abs().mean() < 0.05


def test_random_matrices_stay_within_the_walkthrough_ranges():
    theta = mnist.random_affine_matrices(4000, **mnist.WALKTHROUGH_AUGMENTATION, generator=torch.Generator().manual_seed(0))
    linear = theta[:, :, :2]
    # rows are R(-a) rows divided by the axis scales: row norms are 1/scale
    scales = 1 / linear.norm(dim=2)
    assert scales.min() >= 0.9 - 1e-5 and scales.max() <= 1.1 + 1e-5
    angles = torch.rad2deg(torch.atan2(linear[:, 0, 1], linear[:, 0, 0]))
    assert angles.abs().max() <= 12 + 1e-4 and angles.abs().max() > 11
    shifts = -torch.linalg.solve(linear, theta[:, :, 2]) / 2                   # back from the inverse map
    assert shifts.abs().max() <= 0.15 + 1e-5 and shifts.abs().max() > 0.14


def test_augment_is_batched_seeded_and_keeps_ink(digits):
    x, _ = digits
    a = mnist.augment(x, generator=torch.Generator().manual_seed(3))
    b = mnist.augment(x, generator=torch.Generator().manual_seed(3))
    assert a.shape == x.shape and torch.equal(a, b)
    assert not torch.allclose(a, x)
    ink = a.sum((1, 2, 3)) / x.sum((1, 2, 3))
    assert 0.7 < ink.median() < 1.3


def test_warp_and_matrices_reject_bad_input(digits):
    x, _ = digits
    with pytest.raises(ValueError, match="x\\[:, None\\]"):
        mnist.warp(x[:, 0], mnist.random_affine_matrices(len(x)))
    with pytest.raises(ValueError, match="affine matrices"):
        mnist.warp(x, torch.zeros(3, 2, 3))
    with pytest.raises(ValueError, match="zoom"):
        mnist.random_affine_matrices(4, zoom=1.5)


def test_walkthrough_net_parameters_follow_lesson_01s_formula():
    convs = [(1, 32), (32, 32), (32, 64), (64, 64), (64, 128), (128, 128)]
    expected = sum(conv_parameter_count(i, o, 3) for i, o in convs) + (1152 + 1) * 512 + (512 + 1) * 256 + (256 + 1) * 10
    assert count_parameters(mnist.walkthrough_net()) == expected == 1_010_666
    assert mnist.walkthrough_net()(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_fast_net_shapes_and_save_load(tmp_path, monkeypatch):
    from lessons_lib import settings

    monkeypatch.setattr(settings, "CACHE_DIR", tmp_path)
    model = fast_mnist_net().eval()
    x = torch.rand(3, 1, 28, 28)
    assert model(x).shape == (3, 10)
    save_model(model, "lesson07_fast_mnist", "lessons_lib.models:fast_mnist_net")
    assert torch.allclose(load_saved_model("lesson07_fast_mnist")(x), model(x))
    with pytest.raises(ValueError, match="three positive ints"):
        fast_mnist_net((16, 32))


def test_fast_net_with_two_convs_per_block_keeps_the_one_conv_names():
    one, two = fast_mnist_net(), fast_mnist_net((32, 64, 128), convs_per_block=2)
    assert [name for name, _ in one.named_children()][:4] == ["conv1", "bn1", "relu1", "pool1"]
    assert [name for name, _ in two.named_children()][:7] == ["conv1", "bn1", "relu1", "conv1b", "bn1b", "relu1b", "pool1"]
    assert two(torch.rand(2, 1, 28, 28)).shape == (2, 10)
    assert sum(p.numel() for p in one.parameters()) == 29_178
    with pytest.raises(ValueError, match="convs_per_block"):
        fast_mnist_net(convs_per_block=0)


def test_averaged_probabilities_is_the_mean_over_models_and_views():
    torch.manual_seed(0)
    a, b = fast_mnist_net().eval(), fast_mnist_net().eval()
    x = torch.rand(5, 1, 28, 28)
    with torch.no_grad():
        pa, pb = a(x).softmax(1).numpy(), b(x).softmax(1).numpy()
    assert np.allclose(mnist.averaged_probabilities(a, x), pa, atol=1e-6)
    assert np.allclose(mnist.averaged_probabilities([a, b], x), (pa + pb) / 2, atol=1e-6)
    augmentation = mnist.FAST_RECIPE.augmentation
    tta = mnist.averaged_probabilities(a, x, views=3, augmentation=augmentation, seed=1)
    assert np.allclose(tta.sum(1), 1, atol=1e-5) and not np.allclose(tta, pa, atol=1e-4)
    assert np.array_equal(tta, mnist.averaged_probabilities(a, x, views=3, augmentation=augmentation, seed=1))
    with pytest.raises(ValueError, match="augmentation"):
        mnist.averaged_probabilities(a, x, views=2)
    with pytest.raises(ValueError, match="non-empty"):
        mnist.averaged_probabilities([], x)


def test_train_recipe_without_a_validation_split(digits):
    x, y = digits
    recipe = mnist.FAST_RECIPE.with_changes(epochs=1, batch_size=100)
    history = mnist.train_recipe(fast_mnist_net(), recipe, x[:300], y[:300], None, None, x[500:], y[500:],
                                 progress=False)
    assert "val_accuracy" not in history.metrics and len(history.metrics["test_accuracy"]) == 1
    with pytest.raises(ValueError, match="plateau"):
        mnist.train_recipe(fast_mnist_net(), mnist.WALKTHROUGH_RECIPE.with_changes(batch_size=100), x[:300], y[:300],
                           None, None, progress=False)


def test_train_recipe_learns_and_times(digits):
    x, y = digits
    torch.manual_seed(0)
    recipe = mnist.FAST_RECIPE.with_changes(epochs=3, batch_size=50, lr=0.05)
    history = mnist.train_recipe(fast_mnist_net(), recipe, x[:500], y[:500], x[500:], y[500:], x[500:], y[500:],
                                 progress=False)
    assert history.epochs == 3
    assert history.metrics["test_accuracy"][-1] > 0.6                      # chance is 0.1
    seconds = history.metrics["seconds"]
    assert all(b > a for a, b in zip(seconds, seconds[1:])) and history.seconds == seconds[-1]
    assert history.metrics["lr"][-1] < recipe.lr / 100                     # one-cycle annealed
    assert mnist.seconds_to_reach(history, 0.0) == seconds[0]
    assert mnist.seconds_to_reach(history, 1.01) is None


def test_train_recipe_under_lessons_untrained_goes_forward_but_learns_nothing(digits, monkeypatch):
    from lessons_lib import settings

    monkeypatch.setattr(settings, "UNTRAINED", True)
    x, y = digits
    model = fast_mnist_net()
    before = [p.detach().clone() for p in model.parameters()]
    history = mnist.train_recipe(model, mnist.FAST_RECIPE.with_changes(epochs=2, batch_size=100), x[:300], y[:300],
                                 x[500:], y[500:], progress=False)
    assert history.epochs == 2 and all(p.grad is None for p in model.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert history.metrics["val_accuracy"][-1] < 0.3                       # an untrained net: about chance


def test_plateau_recipe_runs_with_rmsprop(digits):
    x, y = digits
    recipe = mnist.WALKTHROUGH_RECIPE.with_changes(epochs=1, batch_size=100)
    history = mnist.train_recipe(mnist.walkthrough_net(), recipe, x[:200], y[:200], x[500:], y[500:], progress=False)
    assert "test_accuracy" not in history.metrics and history.metrics["lr"] == [1e-3]
    optimizer = mnist.make_optimizer(mnist.walkthrough_net(), recipe)
    assert isinstance(optimizer, torch.optim.RMSprop)
    assert optimizer.defaults["alpha"] == 0.9 and optimizer.defaults["eps"] == 1e-8
    with pytest.raises(ValueError, match="larger than"):
        mnist.train_recipe(mnist.walkthrough_net(), recipe.with_changes(batch_size=1000), x[:10], y[:10], x, y)
    with pytest.raises(TypeError, match="255"):
        mnist.train_recipe(mnist.walkthrough_net(), recipe, (x * 255).to(torch.uint8), y, x, y)


def test_most_confident_mistakes_follow_the_walkthrough():
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.99, 0.01], [0.3, 0.7]])
    y_true = np.array([0, 0, 1, 1, 0])
    # mistakes: 1 (0.8 - 0.2), 2 (0.6 - 0.4), 3 (0.99 - 0.01), 4 (0.7 - 0.3)
    assert mnist.most_confident_mistakes(probabilities, y_true, k=3).tolist() == [3, 1, 4]
    with pytest.raises(ValueError, match="classes"):
        mnist.most_confident_mistakes(probabilities[:, 0], y_true)


def test_display_errors_titles():
    images = np.zeros((4, 784))
    fig = mnist.display_errors(images, [0, 2], predicted=[1, 2, 3, 4], true=[7, 8, 9, 0])
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["predicted 1\ntrue 7", "predicted 3\ntrue 9"]


def test_submission_round_trip_and_checks(tmp_path):
    predictions = np.array([3, 7, 8, 0])
    path = mnist.write_submission(tmp_path / "submission.csv", predictions)
    assert path.read_text().splitlines() == ["ImageId,Label", "1,3", "2,7", "3,8", "4,0"]
    assert mnist.read_submission(path, 4).tolist() == predictions.tolist()
    with pytest.raises(ValueError, match="expected 5 rows"):
        mnist.read_submission(path, 5)
    (tmp_path / "zero.csv").write_text("ImageId,Label\n0,3\n1,7\n")
    with pytest.raises(ValueError, match="1-based"):
        mnist.read_submission(tmp_path / "zero.csv", 2)
    (tmp_path / "header.csv").write_text("id,label\n1,3\n")
    with pytest.raises(ValueError, match="ImageId,Label"):
        mnist.read_submission(tmp_path / "header.csv", 1)
    with pytest.raises(ValueError, match="argmax"):
        mnist.write_submission(tmp_path / "p.csv", np.zeros((4, 10)))


def test_recipe_step_trains_a_throwaway_copy_with_the_recipes_optimizer(digits):
    x, y = digits
    made = []

    def make_model():
        made.append(fast_mnist_net())
        return made[-1]

    recipe = mnist.FAST_RECIPE.with_changes(batch_size=32)
    step = mnist.recipe_step(make_model, recipe, x, y)
    before = [p.detach().clone() for p in made[0].parameters()]
    torch.manual_seed(1)
    state = torch.get_rng_state()
    step()
    step()
    assert len(made) == 1                                  # one throwaway model, made once
    assert any(not torch.equal(a, b) for a, b in zip(before, made[0].parameters()))    # it steps
    assert torch.equal(torch.get_rng_state(), state)       # its augmentation draws from its own generator
    from lessons_lib.training import estimate_time

    estimate = estimate_time(step, steps=100)
    assert 0 < estimate.seconds_per_step < 5


NOTEBOOK_07 = Path(__file__).resolve().parents[1] / "notebooks" / "07_mnist_end_to_end.ipynb"


def test_the_lessons_written_out_loop_trains_exactly_as_train_recipe(digits):
    """Lesson 07 writes the walkthrough's training loop in the notebook (the answer to "what does Keras's fit do?");
    train_recipe runs the same loop for the benchmark. Same start, same seed: the same weights after two epochs."""
    import json
    import time

    import torch.nn.functional as F
    from tqdm.auto import tqdm

    from lessons_lib.training import History, channels_last

    cells = json.loads(NOTEBOOK_07.read_text())["cells"]
    sources = ["".join(c["source"]) for c in cells
               if "training-loop-by-hand" in c.get("metadata", {}).get("tags", [])]
    assert len(sources) == 1, "lesson 07 should tag the cell with its written-out training loop"
    namespace = {"torch": torch, "F": F, "time": time, "tqdm": tqdm, "mnist": mnist, "History": History,
                 "channels_last": channels_last, "device": torch.device("cpu")}
    exec(sources[0], namespace)
    x, y = digits
    torch.manual_seed(3)
    by_hand, by_library = mnist.walkthrough_net(), mnist.walkthrough_net()
    by_library.load_state_dict(by_hand.state_dict())
    torch.manual_seed(4)
    hand = namespace["fit_by_hand"](by_hand, x[:96], y[:96], x[500:], y[500:], x[500:], y[500:], epochs=2,
                                    batch_size=32, seed=5)
    torch.manual_seed(4)
    recipe = mnist.WALKTHROUGH_RECIPE.with_changes(epochs=2, batch_size=32)
    library = mnist.train_recipe(by_library, recipe, x[:96], y[:96], x[500:], y[500:], x[500:], y[500:], seed=5,
                                 progress=False)
    for (name, a), b in zip(by_hand.state_dict().items(), by_library.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6), name
    assert any(not torch.equal(a, b) for a, b in zip(by_hand.parameters(), mnist.walkthrough_net().parameters()))
    for metric in ("loss", "accuracy", "val_accuracy", "test_accuracy", "lr"):
        assert np.allclose(hand.metrics[metric], library.metrics[metric], atol=1e-6), metric


def test_the_benchmarks_keras_rmsprop_is_keras_rmsprop():
    """benchmarks/keras_pytorch_differences.py changes one difference at a time between lesson 07's Keras and PyTorch
    runs; its RMSpropEpsilonInside must take Keras 3's steps (ε inside the square root), which PyTorch's does not."""
    import importlib.util
    import sys

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "benchmarks"))
    try:
        spec = importlib.util.spec_from_file_location("keras_pytorch_differences",
                                                      root / "benchmarks" / "keras_pytorch_differences.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(root / "benchmarks"))
    from lessons_lib.keras_interop import import_keras

    keras = import_keras()
    start = np.array([0.5, -1.0, 2.0, 1e-6], dtype=np.float32)
    grads = [np.array([1e-5, -2.0, 0.3, 0.0], dtype=np.float32), np.array([3e-5, 1.0, -0.1, 1e-7], dtype=np.float32)]
    variable = keras.Variable(start.copy())
    keras_rmsprop = keras.optimizers.RMSprop(learning_rate=1e-3, rho=0.9, epsilon=1e-8)
    ours = torch.nn.Parameter(torch.tensor(start.copy()))
    our_rmsprop = module.RMSpropEpsilonInside([ours])
    torch_param = torch.nn.Parameter(torch.tensor(start.copy()))
    torch_rmsprop = torch.optim.RMSprop([torch_param], lr=1e-3, alpha=0.9, eps=1e-8)
    for grad in grads:
        keras_rmsprop.apply_gradients([(keras.ops.convert_to_tensor(grad), variable)])
        ours.grad, torch_param.grad = torch.tensor(grad), torch.tensor(grad)
        our_rmsprop.step()
        torch_rmsprop.step()
    keras_value = np.asarray(keras.ops.convert_to_numpy(variable))
    assert np.allclose(ours.detach().numpy(), keras_value, rtol=1e-5, atol=1e-9)
    assert not np.allclose(torch_param.detach().numpy(), keras_value, rtol=1e-5, atol=1e-9)   # the difference is real
