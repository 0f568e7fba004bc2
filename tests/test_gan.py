"""lessons_lib.gan: the ring and its mode count, the nets, the moving average, the judge and its cache, the Fréchet
distance, measuring digits and the super-resolution plumbing."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from lessons_lib import gan
from lessons_lib.gan import (EMA, DCGANDiscriminator, DCGANGenerator, Judge, MLPDiscriminator, MLPGenerator,
                             SuperResolver, bicubic, downsample, frechet_distance, judge_name, judge_outputs,
                             load_or_train_judge, measure_digits, mlp, mode_counts, modes_covered, psnr, ring_centres,
                             sample_ring, to_signed, to_unit)


def test_gan_imports_only_the_kernel():
    tree = ast.parse(Path(gan.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level > 0}
    assert imported <= {"settings", "data", "training", "plots", "models", "conv", "measure", "lesson"}, imported


def test_ring_centres_lie_on_the_circle():
    centres = ring_centres(8, radius=2.0)
    assert centres.shape == (8, 2)
    assert np.allclose(np.linalg.norm(centres, axis=1), 2.0)
    with pytest.raises(ValueError, match="n_modes"):
        ring_centres(0)


def test_sample_ring_is_seeded_and_covers_every_mode():
    a, b = sample_ring(4000, seed=3), sample_ring(4000, seed=3)
    assert a.shape == (4000, 2) and a.dtype == torch.float32 and torch.equal(a, b)
    counts = mode_counts(a)
    assert counts.sum() >= 0.99 * 4000 and counts.min() > 350
    assert modes_covered(a) == 8
    with pytest.raises(ValueError, match="positive int"):
        sample_ring(0)


def test_a_collapsed_generator_covers_one_mode():
    centre = torch.as_tensor(ring_centres()[2], dtype=torch.float32)
    points = centre + 0.01 * torch.randn(500, 2)
    assert modes_covered(points) == 1
    assert mode_counts(points)[2] == 500
    assert modes_covered(torch.zeros(100, 2)) == 0          # the centre of the ring is no mode
    # the 1 % rule: 5 of 1,000 points on a mode do not cover it
    mixed = torch.cat([points[:5], torch.full((995, 2), 10.0)])
    assert modes_covered(mixed) == 0
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        mode_counts(np.zeros((5, 3)))


def test_mlp_layers():
    net = mlp([2, 8, 8, 1])
    assert [type(m).__name__ for m in net] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    with pytest.raises(ValueError, match="at least"):
        mlp([3])


@pytest.mark.parametrize("make_g, make_d", [(lambda c: DCGANGenerator(16, 8, c), lambda c, sn: DCGANDiscriminator(8, c, sn)),
                                            (lambda c: MLPGenerator(16, 32, c), lambda c, sn: MLPDiscriminator(32, c, sn))])
@pytest.mark.parametrize("n_classes", [0, 10])
@pytest.mark.parametrize("spectral", [False, True])
def test_generators_and_discriminators_shapes(make_g, make_d, n_classes, spectral):
    torch.manual_seed(0)
    G, D = make_g(n_classes), make_d(n_classes, spectral)
    labels = torch.arange(4) % 10 if n_classes else None
    images = G(torch.randn(4, 16), labels)
    assert images.shape == (4, 1, 28, 28) and images.min() >= -1 and images.max() <= 1
    assert D(images, labels).shape == (4,)
    assert any("parametrizations" in name for name, _ in D.named_parameters()) == spectral


def test_conditional_nets_need_labels_and_unconditional_refuse_them():
    G, D = DCGANGenerator(16, 8, n_classes=10), DCGANDiscriminator(8)
    with pytest.raises(ValueError, match="pass labels"):
        G(torch.randn(2, 16))
    with pytest.raises(ValueError, match="unconditional"):
        D(torch.zeros(2, 1, 28, 28), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match=r"z must have shape \(N, 16\)"):
        G(torch.randn(2, 5), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match=r"labels must have shape \(2,\)"):
        G(torch.randn(2, 16), torch.zeros(3, dtype=torch.long))


def test_projection_discriminator_scores_depend_on_the_label():
    torch.manual_seed(0)
    D = DCGANDiscriminator(8, n_classes=10)
    x = torch.rand(3, 1, 28, 28)
    with torch.no_grad():
        assert not torch.allclose(D(x, torch.tensor([0, 0, 0])), D(x, torch.tensor([1, 1, 1])))


def test_ema_moves_towards_the_live_weights():
    live = torch.nn.Linear(2, 1)
    ema = EMA(live, decay=0.75)
    before = ema.model.weight.detach().clone()
    with torch.no_grad():
        live.weight.add_(4.0)
    ema.update(live)
    assert torch.allclose(ema.model.weight, before + 1.0)     # 0.75·old + 0.25·(old + 4)
    assert not ema.model.weight.requires_grad and not ema.model.training
    with pytest.raises(ValueError, match="decay"):
        EMA(live, decay=1.0)


def test_to_unit_and_to_signed():
    digits = np.array([[[0, 255], [51, 102]]], dtype=np.uint8).repeat(14, 1).repeat(14, 2)
    unit = to_unit(digits)
    assert unit.shape == (1, 1, 28, 28) and unit.max() == 1 and unit.min() == 0
    assert torch.allclose(to_signed(digits), unit * 2 - 1)
    assert torch.allclose(to_unit(to_signed(digits)), unit)       # generator range [-1, 1] back to [0, 1]
    with pytest.raises(ValueError, match="28, 28"):
        to_unit(np.zeros((2, 14, 14), dtype=np.uint8))


def test_frechet_distance():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 3))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    shift = np.array([1.0, 2.0, 0.0])
    assert frechet_distance(a, a + shift) == pytest.approx(5.0, rel=1e-6)
    # diagonal covariances: the trace term is the sum of (σa − σb)²
    b = a * np.array([2.0, 1.0, 3.0])
    expected = sum((np.std(a[:, i], ddof=1) - np.std(b[:, i], ddof=1)) ** 2 for i in range(3))
    assert frechet_distance(a, b) == pytest.approx(expected, rel=0.02)
    with pytest.raises(ValueError, match="same d"):
        frechet_distance(a, a[:, :2])


def test_judge_outputs_and_measure_digits():
    torch.manual_seed(0)
    judge = Judge().eval()
    images = torch.rand(30, 1, 28, 28) * 2 - 1
    probabilities, features = judge_outputs(judge, images)
    assert probabilities.shape == (30, 10) and features.shape == (30, 128)
    assert np.allclose(probabilities.sum(1), 1, atol=1e-5)
    quality = measure_digits(judge, images, features, asked=torch.arange(30) % 10)
    assert quality.frechet == pytest.approx(0.0, abs=1e-3)
    assert quality.class_shares.sum() == pytest.approx(1.0) and quality.n == 30
    assert 0 <= quality.asked_class <= 1 and "recognisable" in str(quality)
    assert set(quality.row()) == {"recognisable %", "smallest class %", "Fréchet", "of the asked class %"}
    with pytest.raises(ValueError, match="one label per image"):
        measure_digits(judge, images, features, asked=np.zeros(3))


def test_judge_name_depends_on_source_and_recipe():
    assert judge_name("sample", 6000, 2) == "lesson06_judge_sample_6000_digits_2_epochs"
    assert judge_name("LESSONS_DATA_DIR", 60000, 2) == judge_name("cache", 60000, 2) != judge_name("cache", 60000, 1)


class _Digits(dict):
    source = "sample"


def test_the_judge_learns_and_is_cached(isolated_settings):
    from lessons_lib import load_dataset
    from lessons_lib.models import saved_model_path

    sample = load_dataset("mnist", verbose=False)     # isolated: the shipped sample
    assert sample.source == "sample"
    data = _Digits(x_train=sample["x_train"][:1500], y_train=sample["y_train"][:1500])
    state = torch.random.get_rng_state()
    estimate = gan.judge_training_time(data, epochs=1)
    assert estimate.steps == 12 and estimate.seconds > 0, "1,500 digits in batches of 128: 12 steps"
    assert torch.equal(torch.random.get_rng_state(), state), "measuring the time must not move the random generator"
    judge, cached = load_or_train_judge(data, epochs=1, progress=False)
    assert gan.judge_training_time(data, epochs=1) is None, "a cached judge is loaded, not trained"
    assert not cached and saved_model_path("lesson06_judge_sample_1500_digits_1_epochs").exists()
    accuracy = gan.judge_accuracy(judge, sample["x_test"][:500], sample["y_test"][:500])
    assert accuracy > 0.6, "1,500 digits and one epoch already beat chance by far"
    again, cached = load_or_train_judge(data, epochs=1, progress=False)
    assert cached
    x = to_unit(sample["x_test"][:8])
    with torch.no_grad():
        assert torch.allclose(again(x), judge(x), atol=1e-5)


def test_super_resolution_plumbing():
    x = torch.rand(3, 1, 28, 28)
    low = downsample(x)
    assert low.shape == (3, 1, 14, 14)
    assert torch.allclose(low[0, 0, 0, 0], x[0, 0, :2, :2].mean())
    assert bicubic(low).shape == x.shape and bicubic(low).min() >= 0
    assert SuperResolver(8)(low).shape == x.shape
    assert psnr(x, x) == float("inf")
    assert psnr(torch.full((1, 1, 4, 4), 0.1), torch.zeros(1, 1, 4, 4)) == pytest.approx(20.0)
    with pytest.raises(ValueError, match="same shape"):
        psnr(low, x)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        downsample(torch.rand(28, 28))


# --- notebook 06's recorded benchmark table stays in step with benchmarks/gan_quality.py -----------------

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "06_gan.ipynb"


def _load_benchmark():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gan_quality", ROOT / "benchmarks" / "gan_quality.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _recorded():
    import json

    cells = json.loads(NOTEBOOK.read_text())["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in text.splitlines() if line.startswith("| ") and not line.startswith("| recipe |")]
    header = next(line for line in text.splitlines() if line.startswith("| recipe |"))
    names = {name for name, _ in _load_benchmark().ROWS}
    return header, [row for row in rows if row[0] in names or row[0].startswith(("plain", "+ "))], text


def test_recorded_table_has_the_benchmark_rows_in_order_and_its_columns():
    benchmark = _load_benchmark()
    header, rows, _ = _recorded()
    assert header.startswith("| recipe | recognisable % | smallest class % (digit) | of the asked class % | Fréchet |")
    assert [row[0] for row in rows] == [name for name, _ in benchmark.ROWS]
    for (name, recipe), row in zip(benchmark.ROWS, rows):
        recognisable, smallest, asked, frechet, wall, cpu = row[1:7]
        assert 0 <= float(recognisable) <= 100 and float(frechet) > 0
        share, digit = re.fullmatch(r"([\d.]+) \((\d)\)", smallest).groups()
        assert 0 <= float(share) <= 10
        assert (asked != "") == (recipe["condition"] == "labels"), f"{name}: the asked-class share is for class-conditional rows only"
        assert float(wall) <= 180, f"{name}: each row trains in at most 3 minutes (wall time on 2 CPU cores)"


def test_recorded_verdicts_follow_from_the_table():
    _, rows, text = _recorded()
    unconditional = any(r[3] == "" and float(r[1]) >= 80 and float(r[2].split()[0]) >= 5 for r in rows)
    conditional = any(r[3] != "" and float(r[1]) >= 95 and float(r[3]) >= 95 for r in rows)
    said = dict(re.findall(r"(Unconditional|Conditional) target[^*]*\*\*(met|not met)(?: in this one run)?\*\*", text))
    assert said == {"Unconditional": "met" if unconditional else "not met",
                    "Conditional": "met" if conditional else "not met"}, said


def test_numbers_quoted_under_the_table_are_the_table_s():
    _, rows, text = _recorded()
    by_name = {row[0]: row for row in rows}
    quoted = re.findall(r'row, "([^"]+)", reached ([\d.]+) % recognisable', text)
    assert len(quoted) == 2
    for name, recognisable in quoted:
        assert by_name[name][1] == recognisable, f"{name}: the table says {by_name[name][1]}"
    for name, recognisable, asked in re.findall(r'row, "([^"]+)", reached ([\d.]+) % recognisable and ([\d.]+) % of the asked', text):
        assert by_name[name][3] == asked


# --- self-conditioning: k-means pseudo-labels ----------------------------------------------------------------

def test_kmeans_finds_three_separated_blobs_and_checks_its_arguments():
    from lessons_lib.gan import kmeans

    offsets = torch.tensor([[10.0, 0.0], [-10.0, 0.0], [0.0, 10.0]])
    points = torch.cat([torch.randn(40, 2, generator=torch.Generator().manual_seed(i)) + offsets[i] for i in range(3)])
    assignments, centres = kmeans(points, 3)
    assert [len(assignments[40 * i:40 * (i + 1)].unique()) for i in range(3)] == [1, 1, 1]
    assert len(assignments.unique()) == 3 and centres.shape == (3, 2)
    with pytest.raises(ValueError, match=r"\(N, D\)"):
        kmeans(torch.zeros(5), 2)
    with pytest.raises(ValueError, match="k must be an int between 1 and the number of points"):
        kmeans(points, 0)
    with pytest.raises(ValueError, match="k must be an int between 1 and the number of points"):
        kmeans(points, 500)


def test_cluster_digits_is_seeded_and_sample_clusters_follows_the_sizes():
    from lessons_lib.gan import cluster_digits, sample_clusters

    images = torch.rand(200, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    images[:100] += 2.0                                       # two obvious groups
    first, again = cluster_digits(images, k=2, pca_dims=5, seed=3), cluster_digits(images, k=2, pca_dims=5, seed=3)
    assert torch.equal(first, again)
    assert len(first[:100].unique()) == 1 and len(first[100:].unique()) == 1 and first[0] != first[-1]
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        cluster_digits(torch.rand(10, 8, 8), k=2)
    ids = torch.tensor([0] * 90 + [1] * 10)
    drawn = sample_clusters(ids, 5000, torch.Generator().manual_seed(0))
    assert abs((drawn == 1).float().mean().item() - 0.10) < 0.02


def test_precision_recall_and_spread_catch_a_lookup_table():
    rng = np.random.default_rng(0)
    real, other = rng.standard_normal((400, 8)), rng.standard_normal((400, 8))
    precision, recall = gan.precision_recall(real, other)
    assert precision > 0.6 and recall > 0.6, "two samples of one distribution cover each other"
    table = np.repeat(real[:10], 40, axis=0)                 # 10 real points, 40 times each
    precision, recall = gan.precision_recall(real, table)
    assert precision == 1.0 and recall == pytest.approx(10 / 400), "real points, but only 10 of them"
    assert gan.within_class_spread(table, np.repeat(np.arange(10), 40)) == 0.0
    assert gan.within_class_spread(real, np.arange(400) % 10) > 1.0
    with pytest.raises(ValueError, match="k must be"):
        gan.kth_neighbour_radii(real[:3], k=3)
    with pytest.raises(ValueError, match="no class has two"):
        gan.within_class_spread(real[:3], [0, 1, 2])


def test_nearest_distances_finds_copies_and_checks_shapes():
    references = torch.rand(300, 1, 28, 28)
    queries = torch.cat([references[:5], torch.rand(5, 1, 28, 28)])
    distances = gan.nearest_distances(queries, references, chunk=3)
    assert np.allclose(distances[:5], 0) and (distances[5:] > 1).all()
    with pytest.raises(ValueError, match="same size"):
        gan.nearest_distances(torch.rand(2, 10), references)


def test_beyond_the_judge_scores_copies_as_copies():
    from lessons_lib import load_dataset
    sample = load_dataset("mnist", verbose=False)
    judge = Judge().eval()                                    # untrained: the measures need features, not skill
    train, test = sample["x_train"][:600], sample["x_test"][:300]
    copied = gan.beyond_the_judge(judge, train[:300], train, test)
    assert copied.copying == 0.0 and copied.precision > 0.5
    fresh = gan.beyond_the_judge(judge, sample["x_test"][300:600], train, test)
    assert 0.7 < fresh.copying < 1.4 and 0.7 < fresh.sameness < 1.4
    assert "precision" in str(fresh)
