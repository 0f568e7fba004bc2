"""Verified, atomic downloads: stream to a temporary file, check size and checksum, then rename.

A truncated or corrupted file is detected, reported, deleted and fetched again; it is never used.
Introduced in notebook 00 (start here).
"""
from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """A download failed: no network, an HTTP error, or a file that never verified."""


class ChecksumMismatch(DownloadError):
    """A file's size or checksum is not the published one."""


def array_sha256(array) -> str:
    """sha256 of an array's bytes (C order), the identity ../shared/data/README.md lists per array."""
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def file_digest(path: Path, algorithm: str) -> str:
    """Hex digest (md5, sha256, …) of a file, read in chunks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(path: Path, md5: str | None = None, sha256: str | None = None, size: int | None = None) -> None:
    """Raise ``ChecksumMismatch`` unless ``path`` has the expected size and checksum(s)."""
    path = Path(path)
    actual_size = path.stat().st_size
    if size is not None and actual_size != size:
        raise ChecksumMismatch(f"{path.name}: {actual_size:,} bytes, expected {size:,} (truncated or wrong file)")
    for algorithm, expected in (("md5", md5), ("sha256", sha256)):
        if expected:
            actual = file_digest(path, algorithm)
            if actual != expected:
                raise ChecksumMismatch(f"{path.name}: {algorithm} {actual}, expected {expected} (corrupted or wrong file)")


def _fetch(url: str, partial: Path, timeout: float, progress: bool) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "layer-by-layer-course"})
    with urllib.request.urlopen(request, timeout=timeout) as response, open(partial, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc=partial.name.split(".part")[0], disable=not progress) as bar:
            for chunk in iter(lambda: response.read(CHUNK), b""):
                out.write(chunk)
                bar.update(len(chunk))
        out.flush()
        os.fsync(out.fileno())


def download(url: str, destination: Path, md5: str | None = None, sha256: str | None = None, size: int | None = None,
             timeout: float = 30.0, attempts: int = 2, progress: bool = True, report=print) -> Path:
    """Fetch ``url`` to ``destination`` atomically and verify it; retry a bad file ``attempts`` times.

    Introduced in notebook 00 (start here).
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f"{destination.name}.part{os.getpid()}")
    last_problem: Exception | None = None
    for attempt in range(1, attempts + 1):
        try:
            _fetch(url, partial, timeout, progress)
            verify_file(partial, md5=md5, sha256=sha256, size=size)
        except ChecksumMismatch as problem:
            partial.unlink(missing_ok=True)
            report(f"Warning: {url}: {problem}; discarded" + ("; fetching again" if attempt < attempts else ""))
            last_problem = problem
            continue
        except (urllib.error.URLError, OSError, TimeoutError) as problem:
            partial.unlink(missing_ok=True)
            raise DownloadError(f"could not download {url}: {problem}") from problem
        os.replace(partial, destination)
        return destination
    partial.unlink(missing_ok=True)
    raise ChecksumMismatch(f"{url} did not verify after {attempts} attempts: {last_problem}")
