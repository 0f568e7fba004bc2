"""TEMPORARY stub: reads LESSONS_DATA_DIR only. Being replaced by the full data layer."""
from __future__ import annotations
import numpy as np
from ..settings import DATA_DIR

def load_dataset(name):
    import gzip
    if name == "text8":
        return {"text": gzip.open(DATA_DIR / "text8_gutenberg.txt.gz", "rt").read()}
    f = {"mnist": "mnist.npz", "fashion_mnist": "fashion_mnist.npz", "fsdd": "fsdd.npz", "cifar10": "cifar10_jpeg_q75.npz"}[name]
    return dict(np.load(DATA_DIR / f))

def stratified_subset(labels, per_class, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    return np.sort(np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:per_class] for c in np.unique(labels)]))
