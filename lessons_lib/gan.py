"""Plumbing for the GAN lesson: a ring of Gaussians and its mode count, small generator and discriminator
nets (MLP and DCGAN-style, optionally class-conditional, spectrally normalised or with a projection head),
a moving average of a generator's weights, k-means pseudo-labels for a self-conditioned generator, the digit-classifier "judge" that measures generated digits
(cached with ``lessons_lib.models.save_model``), the Fréchet distance between feature sets, and the
plumbing of the super-resolution section (downsampling, bicubic upsampling, PSNR).

The two-network training loop itself is written out in the notebook: it is the lesson.
Every helper here was introduced in notebook 06 (a small GAN, trained live).
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from .training import channels_last, estimate_time, training_step


# Lesson 06's ambitious targets (section 5): what a good run of its recipes should reach, in full mode. They are rows
# of the spread benchmark's report and a table in the lesson (quality.targets_against_spread), never a learner's bar.
QUALITY_TARGETS = {
    "self-conditioned GAN: recognisable share": 0.80,
    "self-conditioned GAN: smallest class share": 0.05,
    "conditional GAN: recognisable share": 0.95,
    "conditional GAN: share of the asked class": 0.95,
}


# --- 2-D: a ring of Gaussians --------------------------------------------------------------------------

RING_MODES = 8
RING_RADIUS = 2.0
RING_STD = 0.05


def ring_centres(n_modes: int = RING_MODES, radius: float = RING_RADIUS) -> np.ndarray:
    """The (n_modes, 2) centres of the ring's Gaussians, evenly spaced on a circle of ``radius``."""
    if not isinstance(n_modes, int) or n_modes < 1:
        raise ValueError(f"n_modes must be a positive int, got {n_modes!r}")
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def sample_ring(n: int, n_modes: int = RING_MODES, radius: float = RING_RADIUS, std: float = RING_STD,
                seed: int | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` points (n, 2) float32 from a mixture of ``n_modes`` equal Gaussians of ``std`` on a ring.

    Pass ``seed`` for a fixed set, or a ``torch.Generator`` to draw a fresh batch from one stream.
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int (number of points), got {n!r}")
    if generator is None:
        generator = torch.Generator().manual_seed(0 if seed is None else seed)
    centres = torch.as_tensor(ring_centres(n_modes, radius), dtype=torch.float32)
    which = torch.randint(n_modes, (n,), generator=generator)
    return centres[which] + std * torch.randn(n, 2, generator=generator)


def mode_counts(points, n_modes: int = RING_MODES, radius: float = RING_RADIUS, std: float = RING_STD,
                within: float = 3.0) -> np.ndarray:
    """How many of ``points`` (n, 2) lie within ``within``·σ of each of the ring's centres: (n_modes,) ints."""
    points = np.asarray(points.detach().cpu() if isinstance(points, torch.Tensor) else points, dtype=float)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must have shape (n, 2), got {points.shape}")
    distances = np.linalg.norm(points[:, None, :] - ring_centres(n_modes, radius)[None], axis=2)
    return (distances <= within * std).sum(axis=0)


def modes_covered(points, min_share: float = 0.01, **ring) -> int:
    """Number of the ring's modes that hold at least ``min_share`` of ``points`` within 3σ (the lesson's rule)."""
    points_n = len(points)
    if points_n == 0:
        raise ValueError("modes_covered needs at least one point")
    return int((mode_counts(points, **ring) >= min_share * points_n).sum())


def mlp(sizes, activation=nn.ReLU, last_activation=None) -> nn.Sequential:
    """A plain multi-layer perceptron: Linear layers of ``sizes`` with ``activation`` between them."""
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"mlp needs at least an input and an output size, got {sizes}")
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(activation())
    if last_activation is not None:
        layers.append(last_activation())
    return nn.Sequential(*layers)


# --- MNIST: generators and discriminators -------------------------------------------------------------

def _maybe_sn(layer: nn.Module, spectral: bool) -> nn.Module:
    return spectral_norm(layer) if spectral else layer


class DCGANGenerator(nn.Module):
    """z (N, z_dim) → image (N, 1, 28, 28) in [-1, 1]: Linear → (2w, 7, 7) → ConvTranspose 14×14 → 28×28, BatchNorm.

    ``n_classes > 0``: class-conditional; a learned embedding of the label is concatenated to z.
    """

    def __init__(self, z_dim: int = 64, width: int = 32, n_classes: int = 0):
        super().__init__()
        self.z_dim, self.n_classes, self.width = z_dim, n_classes, width
        self.embed = nn.Embedding(n_classes, z_dim) if n_classes else None
        in_dim = 2 * z_dim if n_classes else z_dim
        self.project = nn.Sequential(nn.Linear(in_dim, 2 * width * 7 * 7, bias=False),
                                     nn.BatchNorm1d(2 * width * 7 * 7), nn.ReLU())
        self.up = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1, bias=False),   # 7 → 14
            nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1),                        # 14 → 28
            nn.Tanh())

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        z = _with_labels(self, z, labels)
        return self.up(self.project(z).view(len(z), 2 * self.width, 7, 7))


class DCGANDiscriminator(nn.Module):
    """image (N, 1, 28, 28) → one score per image (a logit): strided convs 28 → 14 → 7, LeakyReLU(0.2).

    ``spectral=True`` wraps every layer in spectral normalisation. ``n_classes > 0``: a projection
    discriminator, score = ψ(h) + embed(y)·h (Miyato & Koyama 2018).
    """

    def __init__(self, width: int = 32, n_classes: int = 0, spectral: bool = False):
        super().__init__()
        self.n_classes = n_classes
        self.features = nn.Sequential(
            _maybe_sn(nn.Conv2d(1, width, 4, stride=2, padding=1), spectral), nn.LeakyReLU(0.2),
            _maybe_sn(nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), spectral), nn.LeakyReLU(0.2),
            nn.Flatten())
        self.head = _maybe_sn(nn.Linear(2 * width * 7 * 7, 1), spectral)
        self.embed = _maybe_sn(nn.Embedding(n_classes, 2 * width * 7 * 7), spectral) if n_classes else None

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.features(x)
        return _project(self, h, labels)


class MLPGenerator(nn.Module):
    """z (N, z_dim) → image (N, 1, 28, 28) in [-1, 1] through two hidden layers; optionally class-conditional."""

    def __init__(self, z_dim: int = 64, hidden: int = 256, n_classes: int = 0):
        super().__init__()
        self.z_dim, self.n_classes = z_dim, n_classes
        self.embed = nn.Embedding(n_classes, z_dim) if n_classes else None
        in_dim = 2 * z_dim if n_classes else z_dim
        self.net = nn.Sequential(nn.Linear(in_dim, hidden), nn.LeakyReLU(0.2),
                                 nn.Linear(hidden, 2 * hidden), nn.LeakyReLU(0.2),
                                 nn.Linear(2 * hidden, 28 * 28), nn.Tanh())

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(_with_labels(self, z, labels)).view(len(z), 1, 28, 28)


class MLPDiscriminator(nn.Module):
    """image (N, 1, 28, 28) → a logit per image; optionally spectrally normalised and/or a projection head."""

    def __init__(self, hidden: int = 256, n_classes: int = 0, spectral: bool = False):
        super().__init__()
        self.n_classes = n_classes
        self.features = nn.Sequential(nn.Flatten(), _maybe_sn(nn.Linear(28 * 28, 2 * hidden), spectral), nn.LeakyReLU(0.2),
                                      _maybe_sn(nn.Linear(2 * hidden, hidden), spectral), nn.LeakyReLU(0.2))
        self.head = _maybe_sn(nn.Linear(hidden, 1), spectral)
        self.embed = _maybe_sn(nn.Embedding(n_classes, hidden), spectral) if n_classes else None

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return _project(self, self.features(x), labels)


def _check_labels(module: nn.Module, n: int, labels) -> None:
    if module.n_classes and labels is None:
        raise ValueError(f"this {type(module).__name__} is class-conditional ({module.n_classes} classes): pass labels (N,)")
    if not module.n_classes and labels is not None:
        raise ValueError(f"this {type(module).__name__} is unconditional: build it with n_classes=10 to pass labels")
    if labels is not None and (labels.ndim != 1 or len(labels) != n):
        raise ValueError(f"labels must have shape ({n},), got {tuple(labels.shape)}")


def _with_labels(generator: nn.Module, z: torch.Tensor, labels) -> torch.Tensor:
    if z.ndim != 2 or z.shape[1] != generator.z_dim:
        raise ValueError(f"z must have shape (N, {generator.z_dim}), got {tuple(z.shape)}")
    _check_labels(generator, len(z), labels)
    return torch.cat([z, generator.embed(labels)], dim=1) if generator.n_classes else z


def _project(discriminator: nn.Module, h: torch.Tensor, labels) -> torch.Tensor:
    _check_labels(discriminator, len(h), labels)
    score = discriminator.head(h).squeeze(1)
    if discriminator.n_classes:
        score = score + (discriminator.embed(labels) * h).sum(dim=1)
    return score


class EMA:
    """An exponential moving average of a model's weights: ``ema.update(model)`` after each step; ``ema.model``
    is the averaged copy (eval mode; BatchNorm buffers copied from the live model)."""

    def __init__(self, model: nn.Module, decay: float = 0.999):
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"decay must be in [0, 1), got {decay}")
        self.decay = decay
        self.model = copy.deepcopy(model).eval()
        for parameter in self.model.parameters():
            parameter.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        for average, live in zip(self.model.parameters(), model.parameters()):
            average.lerp_(live.detach(), 1.0 - self.decay)
        for average, live in zip(self.model.buffers(), model.buffers()):
            average.copy_(live)


# --- no labels? make your own: clusters of the training digits (self-conditioning) ------------------------

def kmeans(features: torch.Tensor, k: int, iterations: int = 25, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Plain k-means (Lloyd's algorithm) on ``features`` (N, D): (assignments (N,) long, centres (k, D)).

    Starts from ``k`` distinct random points (seeded); a cluster that empties keeps its old centre.
    """
    features = torch.as_tensor(features, dtype=torch.float32)
    if features.ndim != 2:
        raise ValueError(f"features must have shape (N, D), got {tuple(features.shape)}")
    if not isinstance(k, int) or not 1 <= k <= len(features):
        raise ValueError(f"k must be an int between 1 and the number of points ({len(features)}), got {k!r}")
    generator = torch.Generator().manual_seed(seed)
    centres = features[torch.randperm(len(features), generator=generator)[:k]].clone()
    assignments = torch.zeros(len(features), dtype=torch.long)
    for _ in range(iterations):
        assignments = torch.cdist(features, centres).argmin(dim=1)
        sums = torch.zeros_like(centres).index_add_(0, assignments, features)
        counts = torch.bincount(assignments, minlength=k)
        filled = counts > 0
        centres[filled] = sums[filled] / counts[filled, None]
    return assignments, centres


def cluster_digits(images: torch.Tensor, k: int = 50, pca_dims: int = 50, seed: int = 0) -> torch.Tensor:
    """Unsupervised pseudo-labels for images (N, 1, H, W): k-means on their first ``pca_dims`` principal components.

    No class labels are used: a generator conditioned on these cluster ids (a *self-conditioned* GAN, Liu et al.
    2020) still models the digits without labels; sample it with ``sample_clusters``.
    """
    images = torch.as_tensor(images, dtype=torch.float32)
    if images.ndim != 4:
        raise ValueError(f"images must have shape (N, C, H, W), got {tuple(images.shape)}")
    flat = images.reshape(len(images), -1)
    pca_dims = min(pca_dims, *flat.shape)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)                      # pca_lowrank draws random projections from the global stream
        _, _, components = torch.pca_lowrank(flat, q=pca_dims, center=True)
    return kmeans((flat - flat.mean(dim=0)) @ components, k, seed=seed)[0]


def sample_clusters(assignments: torch.Tensor, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` cluster ids drawn in proportion to the clusters' sizes in ``assignments`` (what the data holds)."""
    counts = torch.bincount(torch.as_tensor(assignments).long())
    return torch.multinomial(counts.float(), n, replacement=True, generator=generator)


# --- the judge: a digit classifier that measures generated digits -------------------------------------

class Judge(nn.Module):
    """A small MNIST classifier: two conv blocks and a 128-unit layer whose output ``features(x)`` is used for
    the Fréchet distance. Input (N, 1, 28, 28) in [0, 1] → 10 logits."""

    def __init__(self, width: int = 16):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(2 * width * 49, 128), nn.ReLU())
        self.classify = nn.Linear(128, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classify(self.body(x))


def judge_net(width: int = 16) -> Judge:
    """The builder ``save_model`` records for the judge (``"lessons_lib.gan:judge_net"``)."""
    return Judge(width)


def to_unit(images) -> torch.Tensor:
    """Images as float (N, 1, 28, 28) in [0, 1]: accepts uint8 (N, 28, 28) digits or generator output in [-1, 1]."""
    x = torch.as_tensor(np.asarray(images) if not isinstance(images, torch.Tensor) else images)
    if x.dtype == torch.uint8:
        x = x.float() / 255.0
    elif x.min() < -1e-6:          # generator output in [-1, 1]
        x = (x.float() + 1.0) / 2.0
    x = x.float()
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4 or x.shape[1:] != (1, 28, 28):
        raise ValueError(f"expected digits (N, 28, 28) or (N, 1, 28, 28), got shape {tuple(x.shape)}")
    return x.clamp(0.0, 1.0)


def to_signed(images) -> torch.Tensor:
    """uint8 digits (N, 28, 28) → float (N, 1, 28, 28) in [-1, 1], the range a tanh generator produces."""
    return to_unit(images) * 2.0 - 1.0


def train_judge(x_train, y_train, epochs: int = 2, batch_size: int = 128, lr: float = 3e-3, seed: int = 0,
                progress: bool = True) -> Judge:
    """Train the judge with AdamW and a one-cycle learning rate on uint8 digits (N, 28, 28) and labels (N,)."""
    from tqdm.auto import tqdm

    x, y = to_unit(x_train), torch.as_tensor(np.asarray(y_train)).long()
    if len(x) != len(y):
        raise ValueError(f"{len(x)} images but {len(y)} labels")
    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        judge = judge_net()
    steps_per_epoch = math.ceil(len(x) / batch_size)
    optimizer = torch.optim.AdamW(judge.parameters(), lr=lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, lr, total_steps=epochs * steps_per_epoch)
    judge.train()
    with tqdm(total=epochs * steps_per_epoch, desc="training the judge", disable=not progress) as bar, \
            channels_last(judge):                   # the memory order fastest for CPU convolutions
        for _ in range(epochs):
            order = torch.randperm(len(x), generator=generator)
            for start in range(0, len(x), batch_size):
                batch = order[start:start + batch_size]
                loss = F.cross_entropy(judge(x[batch]), y[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                schedule.step()
                bar.update()
    return judge.eval()


@torch.no_grad()
def judge_outputs(judge: Judge, images, batch_size: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """The judge's class probabilities (N, 10) and penultimate features (N, 128) for ``images``."""
    judge.eval()
    x = to_unit(images)
    probabilities, features = [], []
    with channels_last(judge):
        for start in range(0, len(x), batch_size):
            h = judge.features(x[start:start + batch_size])
            features.append(h)
            probabilities.append(F.softmax(judge.classify(h), dim=1))
    return torch.cat(probabilities).numpy(), torch.cat(features).numpy()


def judge_accuracy(judge: Judge, x_test, y_test) -> float:
    """Share of ``x_test`` the judge classifies as ``y_test``."""
    probabilities, _ = judge_outputs(judge, x_test)
    return float((probabilities.argmax(1) == np.asarray(y_test)).mean())


def judge_name(source: str, n_digits: int, epochs: int) -> str:
    """The saved-model name of the judge trained on ``n_digits`` digits of one source for ``epochs`` epochs:
    each recipe has its own file, so a changed recipe never loads a stale judge."""
    kind = "sample" if source == "sample" else "full"
    return f"lesson06_judge_{kind}_{n_digits}_digits_{epochs}_epochs"


def judge_training_time(data, epochs: int = 2, train_size: int | None = None, batch_size: int = 128):
    """How long ``load_or_train_judge(data, epochs, train_size)`` will train here (a ``TimeEstimate`` measured on a
    throwaway judge, the random generators untouched), or None when the judge is cached and will only be loaded."""
    from .models import saved_model_path

    x, y = data["x_train"], data["y_train"]
    if train_size is not None:
        x, y = x[:train_size], y[:train_size]
    if saved_model_path(judge_name(getattr(data, "source", "unknown"), len(x), epochs)).exists():
        return None
    with torch.random.fork_rng(devices=[]):
        probe = judge_net()
    batch = to_unit(x[:batch_size]), torch.as_tensor(np.asarray(y[:batch_size])).long()
    return estimate_time(training_step(probe, *batch, lr=3e-3, device="cpu"),
                         steps=epochs * math.ceil(len(x) / batch_size))


def load_or_train_judge(data, epochs: int = 2, train_size: int | None = None, seed: int = 0,
                        progress: bool = True) -> tuple[Judge, bool]:
    """The cached judge for ``data``'s source and recipe, or a freshly trained and saved one.

    ``train_size``: train on the first so many training digits (quick mode). Returns (judge, was_cached).
    """
    from .models import load_saved_model, save_model, saved_model_path

    x, y = data["x_train"], data["y_train"]
    if train_size is not None:
        x, y = x[:train_size], y[:train_size]
    name = judge_name(getattr(data, "source", "unknown"), len(x), epochs)
    if saved_model_path(name).exists():
        try:
            return load_saved_model(name), True
        except (RuntimeError, KeyError, ValueError):
            pass   # a file from an older version of the judge: train again
    judge = train_judge(x, y, epochs=epochs, seed=seed, progress=progress)
    save_model(judge, name, "lessons_lib.gan:judge_net")
    return judge, False


# --- measuring generated digits -----------------------------------------------------------------------

def frechet_distance(features_a, features_b) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (N, d) and (M, d):
    |μa − μb|² + tr(Σa + Σb − 2 (Σa Σb)^½) — the FID formula, here on the judge's features."""
    a, b = np.asarray(features_a, dtype=np.float64), np.asarray(features_b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"need two (N, d) feature arrays with the same d, got {a.shape} and {b.shape}")
    if len(a) < 2 or len(b) < 2:
        raise ValueError("need at least two samples in each feature set")
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # tr((Σa Σb)^½) = sum of the square roots of the eigenvalues of Σa^½ Σb Σa^½ (symmetric, PSD)
    values, vectors = np.linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    middle = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_root = np.sqrt(np.clip(middle, 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_root)


@dataclass
class Quality:
    """What the judge says about a set of generated digits (see ``measure_digits``)."""

    recognisable: float                # share with max probability ≥ threshold
    class_shares: np.ndarray           # (10,) share of each predicted class
    frechet: float                     # Fréchet distance to real test digits' features
    asked_class: float | None = None   # conditional generators: share predicted as the class asked for
    n: int = 0

    def row(self) -> dict:
        out = {"recognisable %": 100 * self.recognisable, "smallest class %": 100 * self.class_shares.min(),
               "Fréchet": self.frechet}
        if self.asked_class is not None:
            out["of the asked class %"] = 100 * self.asked_class
        return out

    def __str__(self) -> str:
        shares = " ".join(f"{d}:{100 * s:.1f}" for d, s in enumerate(self.class_shares))
        asked = "" if self.asked_class is None else f", {100 * self.asked_class:.1f} % of the asked class"
        return (f"{self.n} digits: {100 * self.recognisable:.1f} % recognisable (p ≥ 0.9){asked}; "
                f"Fréchet {self.frechet:.1f}; classes % {shares}")


def measure_digits(judge: Judge, images, real_features, asked=None, threshold: float = 0.9) -> Quality:
    """Judge generated digits: recognisable share (p ≥ ``threshold``), share per class, Fréchet distance to
    ``real_features`` (the judge's features of real test digits), and with ``asked`` (N,) labels the share
    whose predicted class is the class asked for."""
    probabilities, features = judge_outputs(judge, images)
    predicted = probabilities.argmax(1)
    shares = np.bincount(predicted, minlength=10) / len(predicted)
    asked_share = None
    if asked is not None:
        asked = np.asarray(asked.cpu() if isinstance(asked, torch.Tensor) else asked)
        if asked.shape != predicted.shape:
            raise ValueError(f"asked must have one label per image {predicted.shape}, got {asked.shape}")
        asked_share = float((predicted == asked).mean())
    return Quality(float((probabilities.max(1) >= threshold).mean()), shares,
                   frechet_distance(features, real_features), asked_share, len(predicted))


# --- what the judge's numbers miss: copying and sameness ------------------------------------------------

# exact differences, not the faster |a|² + |b|² − 2a·b, whose rounding leaves identical points ~1e-3 apart
EXACT = "donot_use_mm_for_euclid_dist"


def nearest_distances(queries: torch.Tensor, references: torch.Tensor, chunk: int = 250) -> np.ndarray:
    """Euclidean distance from each row of ``queries`` (N, ...) to its nearest row of ``references`` (M, ...), both
    flattened to vectors; computed ``chunk`` queries at a time so that 60,000 references fit in memory."""
    q, r = queries.reshape(len(queries), -1).float(), references.reshape(len(references), -1).float()
    if q.shape[1] != r.shape[1]:
        raise ValueError(f"queries and references must have the same size per item, got {tuple(queries.shape[1:])} "
                         f"and {tuple(references.shape[1:])}")
    nearest = torch.cat([torch.cdist(q[i:i + chunk], r).argmin(1) for i in range(0, len(q), chunk)])
    return (q - r[nearest]).norm(dim=1).numpy()     # the fast search's rounding removed: a copy is at 0


def kth_neighbour_radii(features: np.ndarray, k: int = 3) -> np.ndarray:
    """For each row, the distance to its k-th nearest other row (the radius of its ball in Kynkäänniemi et al.'s
    precision and recall)."""
    f = torch.as_tensor(np.asarray(features, dtype=np.float32))
    if not 1 <= k < len(f):
        raise ValueError(f"k must be between 1 and {len(f) - 1} (one less than the number of rows), got {k}")
    distances = torch.cdist(f, f, compute_mode=EXACT)
    return distances.kthvalue(k + 1, dim=1).values.numpy()    # k + 1: each row's nearest is itself, at distance 0


def covered_share(points: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> float:
    """Share of ``points`` inside at least one ball (``centres`` (M, d), ``radii`` (M,))."""
    distances = torch.cdist(torch.as_tensor(np.asarray(points, dtype=np.float32)),
                            torch.as_tensor(np.asarray(centres, dtype=np.float32)), compute_mode=EXACT)
    return float((distances <= torch.as_tensor(radii)[None, :]).any(1).float().mean())


def precision_recall(real_features, fake_features, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al., 2019) in a feature space: precision is the share of fakes
    inside the real digits' manifold (the union of balls reaching each real digit's k-th nearest real neighbour),
    recall the share of real digits inside the fakes' manifold. A sampler of a few good digits has high precision and
    almost no recall; one that covers every kind of digit has both."""
    real, fake = np.asarray(real_features), np.asarray(fake_features)
    return (covered_share(fake, real, kth_neighbour_radii(real, k)),
            covered_share(real, fake, kth_neighbour_radii(fake, k)))


def within_class_spread(features, labels) -> float:
    """Mean distance between two different digits of the same class (``labels``: the judge's reading), averaged over
    the classes with at least two digits: 0 when every digit of a class is the same picture."""
    f = torch.as_tensor(np.asarray(features, dtype=np.float32))
    labels = np.asarray(labels)
    if len(labels) != len(f):
        raise ValueError(f"{len(f)} feature rows but {len(labels)} labels")
    means = []
    for label in np.unique(labels):
        members = f[torch.as_tensor(labels == label)]
        if len(members) >= 2:
            n = len(members)
            means.append(float(torch.cdist(members, members, compute_mode=EXACT).sum()) / (n * (n - 1)))
    if not means:
        raise ValueError("no class has two digits: the spread within a class is undefined")
    return float(np.mean(means))


@dataclass
class BeyondTheJudge:
    """What the judge's three numbers miss (see ``beyond_the_judge``)."""
    precision: float
    recall: float
    copying: float        # median distance to the nearest training digit, over real test digits' (1: like new digits)
    sameness: float       # within-class spread of the judge's features, over real test digits' (1: as varied)

    def __str__(self) -> str:
        return (f"precision {100 * self.precision:.1f} %, recall {100 * self.recall:.1f} %, distance to the nearest "
                f"training digit {self.copying:.2f}× a test digit's, spread within a class {self.sameness:.2f}× real")


def beyond_the_judge(judge: Judge, images, train_images, real_images, k: int = 3) -> BeyondTheJudge:
    """Precision and recall of ``images`` against ``real_images`` in the judge's feature space, how close they sit to
    ``train_images`` (pixels, relative to ``real_images``' own distance to the training digits) and how varied each
    class is (relative to ``real_images``). ``real_images`` should be test digits, never training digits."""
    x, real, train = to_unit(images), to_unit(real_images), to_unit(train_images)
    probabilities, features = judge_outputs(judge, x)
    real_probabilities, real_features = judge_outputs(judge, real)
    precision, recall = precision_recall(real_features, features, k)
    copying = np.median(nearest_distances(x, train)) / np.median(nearest_distances(real, train))
    sameness = (within_class_spread(features, probabilities.argmax(1))
                / within_class_spread(real_features, real_probabilities.argmax(1)))
    return BeyondTheJudge(precision, recall, float(copying), float(sameness))


# --- super-resolution plumbing ------------------------------------------------------------------------

def downsample(images: torch.Tensor, factor: int = 2) -> torch.Tensor:
    """Average-pool (N, C, H, W) images by ``factor``: 28×28 → 14×14 for factor 2."""
    if images.ndim != 4:
        raise ValueError(f"expected (N, C, H, W), got {tuple(images.shape)}")
    return F.avg_pool2d(images, factor)


def bicubic(images: torch.Tensor, factor: int = 2) -> torch.Tensor:
    """Bicubic upsampling by ``factor`` (the classical baseline), clamped to [0, 1]."""
    return F.interpolate(images, scale_factor=factor, mode="bicubic", align_corners=False).clamp(0, 1)


def psnr(estimate: torch.Tensor, target: torch.Tensor, peak: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB, 10·log10(peak² / MSE), over the whole batch (images in [0, peak])."""
    if estimate.shape != target.shape:
        raise ValueError(f"estimate {tuple(estimate.shape)} and target {tuple(target.shape)} must have the same shape")
    mse = F.mse_loss(estimate.float(), target.float()).item()
    return float("inf") if mse == 0 else 10 * math.log10(peak ** 2 / mse)


class SuperResolver(nn.Module):
    """14×14 → 28×28: bicubic upsampling plus a learned residual from three 3×3 convs (N, 1, 14, 14) → (N, 1, 28, 28)."""

    def __init__(self, width: int = 32):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, width, 3, padding=1), nn.ReLU(),
                                  nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),
                                  nn.Conv2d(width, 1, 3, padding=1))

    def forward(self, low: torch.Tensor) -> torch.Tensor:
        up = F.interpolate(low, scale_factor=2, mode="bicubic", align_corners=False)
        return (up + self.body(up)).clamp(0, 1)


class Stopwatch:
    """Wall-clock and this process's CPU seconds since it was made: ``watch.wall``, ``watch.cpu``."""

    def __init__(self):
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    @property
    def wall(self) -> float:
        return time.perf_counter() - self._wall

    @property
    def cpu(self) -> float:
        return time.process_time() - self._cpu
