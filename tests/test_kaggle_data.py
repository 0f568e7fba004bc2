"""Kaggle's digit-recognizer CSVs: a small folder written from real MNIST digits is read back exactly, and
files in the wrong format are refused with a message that says what was expected."""
from __future__ import annotations

import numpy as np
import pytest

from lessons_lib.data.kaggle import KaggleFormatError, load_kaggle_digits, write_kaggle_digits


@pytest.fixture(scope="module")
def real_digits():
    from lessons_lib import load_dataset

    data = load_dataset("mnist", verbose=False)
    return data["x_train"][:30], data["y_train"][:30], data["x_test"][:12]


@pytest.fixture
def folder(tmp_path, real_digits):
    return write_kaggle_digits(tmp_path / "digit-recognizer", *real_digits)


def test_a_kaggle_folder_made_from_real_digits_reads_back_exactly(folder, real_digits):
    x_train, y_train, x_test = real_digits
    header = (folder / "train.csv").read_text().splitlines()[0].split(",")
    assert header[:2] == ["label", "pixel0"] and header[-1] == "pixel783" and len(header) == 785
    assert (folder / "test.csv").read_text().splitlines()[0].startswith("pixel0,pixel1,")
    data = load_kaggle_digits(folder)
    assert set(data) == {"x_train", "y_train", "x_test"}
    assert data["x_train"].dtype == np.uint8 and data["x_train"].shape == (30, 28, 28)
    assert np.array_equal(data["x_train"], x_train) and np.array_equal(data["y_train"], y_train)
    assert np.array_equal(data["x_test"], x_test)


def test_missing_folder_or_file_says_what_to_download(tmp_path, folder):
    with pytest.raises(FileNotFoundError, match="not a folder"):
        load_kaggle_digits(tmp_path / "nowhere")
    (folder / "test.csv").unlink()
    with pytest.raises(FileNotFoundError, match="kaggle.com/c/digit-recognizer"):
        load_kaggle_digits(folder)


def test_swapped_files_are_recognised(folder):
    train, test = (folder / "train.csv").read_text(), (folder / "test.csv").read_text()
    (folder / "train.csv").write_text(test)
    with pytest.raises(KaggleFormatError, match="looks like test.csv"):
        load_kaggle_digits(folder)
    (folder / "train.csv").write_text(train)
    (folder / "test.csv").write_text(train)
    with pytest.raises(KaggleFormatError, match="looks like train.csv"):
        load_kaggle_digits(folder)


def test_bad_rows_are_reported_with_their_line(folder):
    lines = (folder / "train.csv").read_text().splitlines()
    (folder / "train.csv").write_text("\n".join(lines[:3] + [lines[3].rsplit(",", 1)[0] + ","] + lines[4:]) + "\n")
    with pytest.raises(KaggleFormatError, match="line 4: .*missing value"):
        load_kaggle_digits(folder)
    (folder / "train.csv").write_text("\n".join(lines[:2] + [lines[2] + ",0"]) + "\n")
    with pytest.raises(KaggleFormatError, match="line 3: expected 785 values, got 786"):
        load_kaggle_digits(folder)
    (folder / "train.csv").write_text("\n".join(lines[:1] + ["12" + lines[1][1:]]) + "\n")
    with pytest.raises(KaggleFormatError, match="digits 0-9"):
        load_kaggle_digits(folder)
    (folder / "train.csv").write_text(lines[0] + "\n")
    with pytest.raises(KaggleFormatError, match="no rows"):
        load_kaggle_digits(folder)
    (folder / "train.csv").write_text("label,a,b\n1,2,3\n")
    with pytest.raises(KaggleFormatError, match="expected 785 columns label,pixel0"):
        load_kaggle_digits(folder)
