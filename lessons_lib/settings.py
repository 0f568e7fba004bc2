"""Course-wide settings, read from the environment once, in this module only.

| variable            | meaning                                                   | default |
|---------------------|-----------------------------------------------------------|---------|
| ``LESSONS_QUICK``    | ``1``: quick mode (smaller data, fewer epochs, same code) | ``0``   |
| ``LESSONS_DATA_DIR`` | a folder of ready-made dataset files (offline copies)     | unset   |
| ``LESSONS_CACHE_DIR``| where downloads and decoded datasets are kept             | ``~/.cache/layer_by_layer`` |
| ``LESSONS_OFFLINE``  | ``1``: never try the network                              | ``0``   |
| ``LESSONS_DEVICE``   | force ``cpu`` or ``cuda``                                 | CUDA when present |
| ``LESSONS_UNTRAINED``| ``1``: for tests only: every PyTorch and Keras optimizer step (and word2vec's hand-written update) does nothing, so every model stays as initialised and the lessons' trained-model checks must fail | ``0`` |
| ``LESSONS_SEED_OFFSET`` | for the spread benchmark only: every seed the lesson sets is shifted by this many (``quality.shift_every_seed``) | ``0`` |
| ``LESSONS_ENFORCE_SPREAD`` | for tests and CI: a quality bar beyond its measured spread, or a check never measured, fails (``quality.at_least``) | ``0`` |
| ``LESSONS_RECORD_CHECKS`` | for the spread benchmark only: a file that each quality check (``quality.at_least``) appends its value to, instead of raising | unset |

Introduced in notebook 00 (start here).
"""
from __future__ import annotations

import os
import random
from pathlib import Path
from typing import TypeVar

import numpy as np

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}


def _flag(name: str) -> bool:
    return os.environ.get(name, "0").strip().lower() in _TRUE


QUICK: bool = _flag("LESSONS_QUICK")
OFFLINE: bool = _flag("LESSONS_OFFLINE")
DATA_DIR: Path | None = Path(os.environ["LESSONS_DATA_DIR"]).expanduser() if os.environ.get("LESSONS_DATA_DIR") else None
CACHE_DIR: Path = Path(os.environ.get("LESSONS_CACHE_DIR", "~/.cache/layer_by_layer")).expanduser()
UNTRAINED: bool = _flag("LESSONS_UNTRAINED")
SEED_OFFSET: int = int(os.environ.get("LESSONS_SEED_OFFSET", "0") or 0)
ENFORCE_SPREAD: bool = _flag("LESSONS_ENFORCE_SPREAD")
RECORD_CHECKS: str | None = os.environ.get("LESSONS_RECORD_CHECKS") or None
_DEVICE_OVERRIDE: str | None = os.environ.get("LESSONS_DEVICE") or None


def is_quick() -> bool:
    """True in quick mode (``LESSONS_QUICK=1``), the mode CI runs the notebooks in.

    Introduced in notebook 00 (start here).
    """
    return QUICK


def full_or_quick(full: T, quick: T) -> T:
    """The one switch between full and quick mode: ``epochs = full_or_quick(10, 1)``.

    Quick mode only shrinks sizes (data, epochs); the code path stays the same.
    Introduced in notebook 00 (start here).
    """
    return quick if QUICK else full


def get_device():
    """``torch.device("cuda")`` when a GPU is present (or forced by ``LESSONS_DEVICE``), else CPU.

    Introduced in notebook 00 (start here).
    """
    import torch

    if _DEVICE_OVERRIDE:
        if _DEVICE_OVERRIDE.startswith("cuda") and not torch.cuda.is_available():
            raise RuntimeError(f"LESSONS_DEVICE={_DEVICE_OVERRIDE} but PyTorch sees no CUDA GPU; unset it to use the CPU")
        return torch.device(_DEVICE_OVERRIDE)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int = 0) -> int:
    """Seed Python's ``random``, NumPy and PyTorch (CPU and CUDA) in one call; returns the seed.

    Introduced in notebook 00 (start here).
    """
    import torch

    from .validation import positive_int

    seed = positive_int("seed", seed, allow_zero=True)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    return seed


def describe() -> dict:
    """What the course sees on this machine: mode, device, data folders. Introduced in notebook 00."""
    import torch

    return {
        "mode": "quick" if QUICK else "full",
        "device": str(get_device()),
        "torch": torch.__version__,
        "cpu threads": torch.get_num_threads(),
        "data dir (LESSONS_DATA_DIR)": str(DATA_DIR) if DATA_DIR else "(not set)",
        "cache dir": str(CACHE_DIR),
        "offline (LESSONS_OFFLINE)": OFFLINE,
    }
