"""``load_dataset(name)``: real datasets from a chain of honest sources.

In order: (1) the download cache (files verified again on every load); (2) the folder named by
``LESSONS_DATA_DIR`` (files in the format of ../shared/data, checked against their per-array sha256);
(3) a download from the public source, verified after fetching and written atomically; (4) a small
sample the project ships or makes itself. The first that works is used and named. If none works,
``DatasetNotAvailable`` says what was tried and what to do. Nothing is ever faked.

Introduced in notebook 00 (start here).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np

from .. import settings
from ..validation import positive_int
from .decoders import to_text8
from .download import ChecksumMismatch, DownloadError, array_sha256, download, verify_file
from .registry import REGISTRY, DatasetSpec, RemoteFile

SOURCES = ("cache", "LESSONS_DATA_DIR", "download", "sample")
"""The sources ``load_dataset`` tries, in this order; ``Dataset.source`` is one of them."""


class DatasetNotAvailable(RuntimeError):
    """No source could provide a dataset; the message names it and says what to do."""


class Dataset(dict):
    """A dataset's arrays by name, plus where they came from.

    ``source`` is one of ``SOURCES`` ('cache', 'LESSONS_DATA_DIR', 'download', 'sample'); ``origin`` is the file or
    URL; ``notes`` is what a lesson should tell the learner about this copy (may be empty).
    """

    def __init__(self, spec: DatasetSpec, arrays: dict, source: str, origin: str):
        super().__init__(arrays)
        self.name, self.title, self.licence = spec.name, spec.title, spec.licence
        self.source, self.origin = source, origin
        self.notes = spec.notes.get(source, "")

    def describe(self) -> str:
        parts = []
        for key, value in self.items():
            if isinstance(value, str):
                parts.append(f"{key}: {len(value.split()):,} words")
            else:
                parts.append(f"{key} {tuple(value.shape)} {value.dtype}")
        return f"{self.name}: from {self.source} ({self.origin}) — " + ", ".join(parts)

    def __repr__(self) -> str:
        return f"<Dataset {self.describe()}>"


def content_sha256(value) -> str:
    """sha256 of an array's bytes, or of a str's ASCII bytes."""
    if isinstance(value, str):
        return hashlib.sha256(value.encode("ascii")).hexdigest()
    return array_sha256(value)


def check_hashes(arrays: dict, expected: dict[str, str], what: str) -> None:
    """Raise ``ChecksumMismatch`` unless every expected key is present with its sha256."""
    for key, digest in expected.items():
        if key not in arrays:
            raise ChecksumMismatch(f"{what}: array {key!r} is missing (have {sorted(arrays)})")
        if content_sha256(arrays[key]) != digest:
            raise ChecksumMismatch(f"{what}: array {key!r} does not match its sha256 (corrupted or a different version)")


def cache_folder(name: str) -> Path:
    """The folder holding the verified downloads of one dataset."""
    return settings.CACHE_DIR / "downloads" / name


def _decode_remote(spec: DatasetSpec, paths: dict[str, Path], what: str) -> dict:
    try:
        arrays = spec.decode_remote(paths)
    except Exception as problem:  # a file that verifies but does not decode is as bad as a corrupted one
        raise ChecksumMismatch(f"{what}: could not be decoded ({problem})") from problem
    check_hashes(arrays, spec.remote_sha256, what)
    return arrays


def _from_cache(spec: DatasetSpec, report) -> tuple[dict, str]:
    folder = cache_folder(spec.name)
    paths = {f.filename: folder / f.filename for f in spec.remote}
    if not all(p.exists() for p in paths.values()):
        raise LookupError(f"no copy in {folder}")
    try:
        for remote in spec.remote:
            verify_file(paths[remote.filename], md5=remote.md5, size=remote.size)
        return _decode_remote(spec, paths, f"cached {spec.name}"), str(folder)
    except ChecksumMismatch as problem:
        report(f"Warning: {problem}; removing the cached copy and fetching it again.")
        shutil.rmtree(folder, ignore_errors=True)
        raise LookupError(f"the cached copy was corrupted ({problem}) and has been removed") from problem


def _from_data_dir(spec: DatasetSpec, report) -> tuple[dict, str]:
    if settings.DATA_DIR is None:
        raise LookupError("LESSONS_DATA_DIR is not set")
    path = settings.DATA_DIR / spec.data_dir_file
    if not path.exists():
        raise LookupError(f"{path} does not exist")
    stored = spec.read_data_dir(path)   # the file is read once; its arrays are checked, then decoded if need be
    try:
        check_hashes(stored, spec.data_dir_sha256, str(path))
    except ChecksumMismatch as problem:
        report(f"Warning: {problem}; not using it.")
        raise LookupError(str(problem)) from problem
    if spec.decode_stored is None:
        return stored, str(path)
    if spec.cache_decoded:
        return _decoded_copy(spec, stored, path, report), f"{path}, decoded once and kept in {settings.CACHE_DIR / 'decoded'}"
    return spec.decode_stored(stored), str(path)


def decoded_copy_path(spec: DatasetSpec) -> Path:
    """Where the decoded arrays of a ``cache_decoded`` dataset's offline file are kept (beside them, a ``.json`` of
    their hashes, checked on every load), named after that file's checksums."""
    key = hashlib.sha256("".join(sorted(spec.data_dir_sha256.values())).encode()).hexdigest()[:16]
    return settings.CACHE_DIR / "decoded" / f"{spec.name}-{key}.npz"


def _decoded_copy(spec: DatasetSpec, stored: dict, path: Path, report) -> dict:
    """Decode a slow-to-decode offline file once; later loads read the verified decoded arrays."""
    decoded = decoded_copy_path(spec)
    sidecar = decoded.with_suffix(".json")
    if decoded.exists() and sidecar.exists():
        arrays = dict(np.load(decoded))
        try:
            check_hashes(arrays, json.loads(sidecar.read_text()), str(decoded))
            return arrays
        except (ChecksumMismatch, ValueError) as problem:
            report(f"Warning: {problem}; decoding {path.name} again.")
    arrays = spec.decode_stored(stored)
    decoded.parent.mkdir(parents=True, exist_ok=True)
    partial = decoded.with_name(f"{decoded.stem}.part{os.getpid()}.npz")
    np.savez(partial, **arrays)
    sidecar.write_text(json.dumps({key: content_sha256(value) for key, value in arrays.items()}))
    os.replace(partial, decoded)
    return arrays


def _from_download(spec: DatasetSpec, report) -> tuple[dict, str]:
    if settings.OFFLINE:
        raise LookupError("LESSONS_OFFLINE=1 forbids downloads")
    folder = cache_folder(spec.name)
    paths = {}
    for remote in spec.remote:
        paths[remote.filename] = download(remote.url, folder / remote.filename, md5=remote.md5, size=remote.size, report=report)
    try:
        return _decode_remote(spec, paths, f"downloaded {spec.name}"), ", ".join(r.url for r in spec.remote)
    except ChecksumMismatch:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _from_sample(spec: DatasetSpec, report) -> tuple[dict, str]:
    if spec.sample is None:
        raise LookupError("the course ships no sample of this dataset")
    return spec.sample(), spec.sample_description


def _not_available(spec: DatasetSpec, tried: list[str]) -> DatasetNotAvailable:
    lines = [f"Dataset {spec.name!r} ({spec.title}) is not available on this machine. Tried, in order:"]
    lines += [f"  - {line}" for line in tried]
    lines += [
        "What to do (any one):",
        f"  - connect to the internet and run this cell again: it downloads {spec.remote[0].url} once, verifies it and caches it in {cache_folder(spec.name)};",
        f"  - or put {spec.data_dir_file} (the course's offline format, see README → Datasets) in a folder and set LESSONS_DATA_DIR to it before starting Jupyter.",
    ]
    return DatasetNotAvailable("\n".join(lines))


def load_dataset(name: str, verbose: bool = True) -> Dataset:
    """Load a course dataset by name and say where it came from.

    Names and what they hold:
      - ``mnist``, ``fashion_mnist``: x_train (60000, 28, 28) uint8, y_train (60000,) uint8, x_test (10000, 28, 28), y_test
      - ``cifar10``: x_train (50000, 32, 32, 3) uint8, y_train, x_test (10000, 32, 32, 3), y_test, class_names (10,)
      - ``fsdd``: audio (samples,) int16 of all clips end to end, offsets (3001,) int64 — clip i is
        ``audio[offsets[i]:offsets[i+1]]`` — labels, speakers, index (official test split: index < 5), filenames, sample_rate
      - ``text8``: text — one str of lowercase words separated by spaces (text8 format)

    Introduced in notebook 00 (start here).
    """
    if name not in REGISTRY:
        raise ValueError(f"unknown dataset {name!r}; the course has: {', '.join(sorted(REGISTRY))}")
    spec = REGISTRY[name]
    report = print if verbose else (lambda message: None)
    tried: list[str] = []
    attempts = dict(zip(SOURCES, (_from_cache, _from_data_dir, _from_download, _from_sample)))
    for source, attempt in attempts.items():
        try:
            found = attempt(spec, report)
        except (LookupError, DownloadError) as problem:   # every source says why it could not provide the data
            tried.append(f"{source}: {problem}")
            continue
        dataset = Dataset(spec, found[0], source, found[1])
        report(dataset.describe())
        if dataset.notes:
            report("Note: " + dataset.notes)
        return dataset
    raise _not_available(spec, tried)


def stratified_subset(labels, per_class: int, seed: int = 0) -> np.ndarray:
    """Sorted indices of ``per_class`` random examples of every class in ``labels`` (N,).

    Quick mode uses it to shrink a dataset without unbalancing it. Introduced in notebook 01.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D (N,), got shape {labels.shape}")
    per_class = positive_int("per_class", per_class)
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) < per_class:
            raise ValueError(f"class {label!r} has only {len(members)} examples, fewer than per_class={per_class}")
        chosen.append(rng.choice(members, size=per_class, replace=False))
    return np.sort(np.concatenate(chosen))


__all__ = ["load_dataset", "stratified_subset", "SOURCES", "Dataset", "DatasetNotAvailable", "REGISTRY", "DatasetSpec",
           "RemoteFile", "download", "DownloadError", "ChecksumMismatch", "to_text8"]
