"""Decoders: turn each source's files into the arrays ``load_dataset`` documents.

Introduced in notebook 00 (start here).
"""
from __future__ import annotations

import gzip
import io
import pickle
import re
import tarfile
import wave
import zipfile
from pathlib import Path

import numpy as np

DIGIT_WORDS = "zero one two three four five six seven eight nine".split()


# --- MNIST and Fashion-MNIST: the IDX format ------------------------------------------
def read_idx(path: Path, magic: int, ndim: int) -> np.ndarray:
    """One gzipped IDX file (LeCun's format) as a uint8 array."""
    raw = gzip.open(path, "rb").read()
    if int.from_bytes(raw[:4], "big") != magic:
        raise ValueError(f"{Path(path).name}: not an IDX file with magic number {magic}")
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    values = np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim)
    if values.size != int(np.prod(dims)):
        raise ValueError(f"{Path(path).name}: {values.size} values, header says {dims}")
    return values.reshape(dims)


def decode_idx_quartet(paths: dict[str, Path]) -> dict[str, np.ndarray]:
    """The four IDX files of MNIST or Fashion-MNIST as x_train, y_train, x_test, y_test."""
    return {
        "x_train": read_idx(paths["train-images-idx3-ubyte.gz"], 2051, 3),
        "y_train": read_idx(paths["train-labels-idx1-ubyte.gz"], 2049, 1),
        "x_test": read_idx(paths["t10k-images-idx3-ubyte.gz"], 2051, 3),
        "y_test": read_idx(paths["t10k-labels-idx1-ubyte.gz"], 2049, 1),
    }


# --- CIFAR-10 ---------------------------------------------------------------------------
def decode_cifar_python_tarball(paths: dict[str, Path]) -> dict[str, np.ndarray]:
    """The official ``cifar-10-python.tar.gz`` (pickled batches) as (N, 32, 32, 3) uint8 arrays."""
    batches = {}
    with tarfile.open(paths["cifar-10-python.tar.gz"], "r:gz") as archive:
        for member in archive.getmembers():
            name = Path(member.name).name
            if name.startswith(("data_batch_", "test_batch", "batches.meta")):
                batches[name] = pickle.load(archive.extractfile(member), encoding="bytes")

    def images(batch_names):
        x = np.concatenate([batches[n][b"data"] for n in batch_names]).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        y = np.concatenate([batches[n][b"labels"] for n in batch_names]).astype(np.uint8)
        return np.ascontiguousarray(x), y

    x_train, y_train = images([f"data_batch_{i}" for i in range(1, 6)])
    x_test, y_test = images(["test_batch"])
    class_names = np.array([n.decode() for n in batches["batches.meta"][b"label_names"]])
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test, "class_names": class_names}


def decode_jpeg_blobs(blobs: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """JPEG files stored end to end (image i is blobs[offsets[i]:offsets[i+1]]) as (N, H, W, 3) uint8."""
    from PIL import Image

    if len(offsets) < 2:
        raise ValueError(f"no images: offsets must hold at least 2 entries (start and end of image 0), "
                         f"got {len(offsets)}")
    data = blobs.tobytes()            # one copy of all the bytes, sliced per image (not one copy per image)
    images = None
    for i in range(len(offsets) - 1):
        image = Image.open(io.BytesIO(data[offsets[i]:offsets[i + 1]]))
        if image.mode != "RGB":
            image = image.convert("RGB")
        if images is None:            # every image has the first one's size (np.stack would say so otherwise)
            images = np.empty((len(offsets) - 1, image.height, image.width, 3), np.uint8)
        if image.size != (images.shape[2], images.shape[1]):
            raise ValueError(f"image {i} is {image.size[0]}x{image.size[1]}, the first was "
                             f"{images.shape[2]}x{images.shape[1]}: all must be the same size")
        images[i] = np.frombuffer(image.tobytes(), np.uint8).reshape(images.shape[1:])
    return images


def decode_cifar_jpeg_npz(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The offline copy (JPEG quality 75 bytes + offsets) decoded to (N, 32, 32, 3) uint8."""
    return {
        "x_train": decode_jpeg_blobs(arrays["train_jpeg"], arrays["train_offsets"]),
        "y_train": arrays["y_train"],
        "x_test": decode_jpeg_blobs(arrays["test_jpeg"], arrays["test_offsets"]),
        "y_test": arrays["y_test"],
        "class_names": arrays["class_names"],
    }


# --- Free Spoken Digit Dataset -----------------------------------------------------------
FSDD_NAME = re.compile(r"(\d)_([a-z]+)_(\d+)\.wav")


def decode_fsdd_zip(paths: dict[str, Path]) -> dict[str, np.ndarray]:
    """The GitHub archive of FSDD v1.0.10: every ``recordings/*.wav`` into one int16 array + offsets."""
    clips = {}
    with zipfile.ZipFile(paths["free-spoken-digit-dataset-1.0.10.zip"]) as archive:
        for member in archive.namelist():
            match = FSDD_NAME.fullmatch(Path(member).name)
            if "/recordings/" not in member or not match:
                continue
            with wave.open(io.BytesIO(archive.read(member))) as clip:
                if (clip.getnchannels(), clip.getsampwidth(), clip.getframerate()) != (1, 2, 8000):
                    raise ValueError(f"{member}: expected mono 16-bit 8 kHz audio")
                clips[Path(member).name] = np.frombuffer(clip.readframes(clip.getnframes()), dtype="<i2")
    return fsdd_arrays(clips)


def fsdd_arrays(clips: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Order clips by (digit, speaker, index), as ../shared/data/fsdd.npz does, and pack them."""
    def key(name):
        digit, speaker, index = FSDD_NAME.fullmatch(name).groups()
        return int(digit), speaker, int(index)

    names = sorted(clips, key=key)
    keys = [key(n) for n in names]
    lengths = np.array([len(clips[n]) for n in names], np.int64)
    return {
        "audio": np.concatenate([clips[n] for n in names]).astype(np.int16),
        "offsets": np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        "labels": np.array([k[0] for k in keys], np.uint8),
        "speakers": np.array([k[1] for k in keys]),
        "index": np.array([k[2] for k in keys], np.uint8),
        "filenames": np.array(names),
        "sample_rate": np.array(8000, np.int32),
    }


# --- text8-style corpora -----------------------------------------------------------------
def to_text8(text: str) -> str:
    """Normalise text the text8 way: lowercase a–z words, digits spelled out, one space between."""
    import unicodedata

    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)).lower()
    text = re.sub(r"[0-9]", lambda m: f" {DIGIT_WORDS[int(m.group())]} ", text)
    return " " + " ".join(re.sub(r"[^a-z]+", " ", text).split())


def decode_text8_zip(paths: dict[str, Path]) -> dict[str, str]:
    """text8.zip as {"text": str}, checked to be 100,000,000 bytes of a–z and spaces (no checksum is published)."""
    with zipfile.ZipFile(paths["text8.zip"]) as archive:
        raw = archive.read("text8")
    if len(raw) != 100_000_000 or raw.strip(b" abcdefghijklmnopqrstuvwxyz"):
        raise ValueError("text8.zip does not hold the expected 100,000,000 bytes of lowercase a–z and spaces")
    return {"text": raw.decode("ascii")}


def decode_text8_gz(path: Path) -> dict[str, str]:
    """A gzipped text8-style corpus (the offline Gutenberg one) as {"text": str}."""
    return {"text": gzip.open(path, "rb").read().decode("ascii")}
