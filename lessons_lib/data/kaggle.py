"""Kaggle's digit-recognizer files: ``train.csv`` (``label,pixel0,…,pixel783``) and ``test.csv``
(``pixel0,…,pixel783``), one 28×28 digit per row, pixels 0–255 row by row.

Kaggle's terms do not allow the course to download them for you: sign in at
https://www.kaggle.com/c/digit-recognizer/data, download both files into one folder and pass that folder to
``load_kaggle_digits``. The columns are checked, and every problem is reported with what was expected.
Introduced in notebook 07 (MNIST end to end).
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

PIXELS = [f"pixel{i}" for i in range(784)]
TRAIN_COLUMNS = ["label", *PIXELS]
TEST_COLUMNS = PIXELS


class KaggleFormatError(ValueError):
    """A Kaggle digit-recognizer CSV that is not in the expected format (the message says what is wrong)."""


def _read_csv(path: Path, columns: list[str], with_labels: bool) -> tuple[np.ndarray, np.ndarray | None]:
    if not path.is_file():
        raise FileNotFoundError(f"no {path.name} in {path.parent}: download train.csv and test.csv from "
                                f"https://www.kaggle.com/c/digit-recognizer/data into that folder")
    with path.open(newline="") as file:
        reader = csv.reader(file)
        header = next(reader, None)
        if header is None:
            raise KaggleFormatError(f"{path} is empty; expected a header {columns[0]},{columns[1]},…,pixel783")
        header = [name.strip() for name in header]
        if header != columns:
            expected = "label,pixel0,…,pixel783" if with_labels else "pixel0,…,pixel783 (no label column)"
            found = ",".join(header[:3]) + (",…" if len(header) > 3 else "")
            hint = ""
            if with_labels and header == TEST_COLUMNS:
                hint = " — this looks like test.csv (no label column)"
            elif not with_labels and header == TRAIN_COLUMNS:
                hint = " — this looks like train.csv (it has a label column)"
            raise KaggleFormatError(f"{path.name}: expected {len(columns)} columns {expected}, got {len(header)} "
                                    f"columns {found}{hint}")
        rows = []
        for number, row in enumerate(reader, start=2):
            if len(row) != len(columns):
                raise KaggleFormatError(f"{path.name} line {number}: expected {len(columns)} values, got {len(row)}")
            try:
                rows.append([int(value) for value in row])
            except ValueError:
                raise KaggleFormatError(f"{path.name} line {number}: every value must be an integer "
                                        f"(a missing value is not allowed)") from None
    if not rows:
        raise KaggleFormatError(f"{path.name} has a header but no rows")
    table = np.array(rows, dtype=np.int64)
    labels = table[:, 0] if with_labels else None
    pixels = table[:, 1:] if with_labels else table
    if pixels.min() < 0 or pixels.max() > 255:
        raise KaggleFormatError(f"{path.name}: pixels must be 0-255, got values from {pixels.min()} to {pixels.max()}")
    if labels is not None and (labels.min() < 0 or labels.max() > 9):
        raise KaggleFormatError(f"{path.name}: labels must be digits 0-9, got {labels.min()} to {labels.max()}")
    return pixels.astype(np.uint8).reshape(-1, 28, 28), None if labels is None else labels.astype(np.uint8)


def load_kaggle_digits(folder) -> dict[str, np.ndarray]:
    """Read Kaggle's ``train.csv`` and ``test.csv`` from ``folder``.

    Returns ``{"x_train": (N, 28, 28) uint8, "y_train": (N,) uint8, "x_test": (M, 28, 28) uint8}`` — Kaggle keeps
    the test labels, so there is no ``y_test``: your score comes from submitting predictions.
    Raises ``FileNotFoundError`` (what to download, and where) or ``KaggleFormatError`` (what is wrong).
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder; put Kaggle's train.csv and test.csv in one folder")
    x_train, y_train = _read_csv(folder / "train.csv", TRAIN_COLUMNS, with_labels=True)
    x_test, _ = _read_csv(folder / "test.csv", TEST_COLUMNS, with_labels=False)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test}


def write_kaggle_digits(folder, x_train, y_train, x_test) -> Path:
    """Write digits in Kaggle's format (``train.csv`` with labels, ``test.csv`` without) into ``folder``.

    The tests make a small Kaggle-style folder from real MNIST digits with it. Returns the folder.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, images, labels, header in (("train.csv", x_train, y_train, TRAIN_COLUMNS),
                                         ("test.csv", x_test, None, TEST_COLUMNS)):
        images = np.asarray(images)
        if images.dtype != np.uint8 or images.shape[1:] != (28, 28):
            raise ValueError(f"expected (N, 28, 28) uint8 images for {name}, got {images.dtype} {images.shape}")
        with (folder / name).open("w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(header)
            flat = images.reshape(len(images), -1).astype(int)
            if labels is None:
                writer.writerows(flat.tolist())
            else:
                writer.writerows(np.column_stack([np.asarray(labels).astype(int), flat]).tolist())
    return folder
