"""Course-wide settings, read from the environment once, in this module only.

| variable            | meaning                                                   | default |
|---------------------|-----------------------------------------------------------|---------|
| ``LESSONS_QUICK``    | ``1``: quick mode (smaller data, fewer epochs, same code) | ``0``   |
| ``LESSONS_DATA_DIR`` | a folder of ready-made dataset files (offline copies)     | unset   |
| ``LESSONS_CACHE_DIR``| where downloads and decoded datasets are kept             | ``~/.cache/layer_by_layer`` |
| ``LESSONS_OFFLINE``  | ``1``: never try the network                              | ``0``   |
| ``LESSONS_DEVICE``   | force ``cpu`` or ``cuda``                                 | CUDA when present |
| ``LESSONS_THREADS``  | PyTorch's CPU threads (``start_lesson`` sets them)        | the CPUs the kernel may use (``cpu_threads``) |
| ``OMP_NUM_THREADS``  | read, never changed: when set (and ``LESSONS_THREADS`` is not), it is the thread count | unset |
| ``LESSONS_UNTRAINED``| ``1``: for tests only: every PyTorch and Keras optimizer step (and word2vec's hand-written update) does nothing, so every model stays as initialised and the lessons' trained-model checks must fail | ``0`` |
| ``LESSONS_SEED_OFFSET`` | for the spread benchmark only: every seed the lesson sets is shifted by this many (``quality.shift_every_seed``) | ``0`` |
| ``LESSONS_ENFORCE_SPREAD`` | for tests and CI: a quality bar beyond its measured spread, or a check never measured, fails (``quality.at_least``) | ``0`` |
| ``LESSONS_HIDE_SOLUTIONS`` | ``1``: ``q.solution()`` prints that solutions are hidden for graded homework instead of the solution (a casual-click guard only: the students' copy of graded homework, ``python -m lessons_lib.homework students-copy``, holds no solution at all) | ``0`` |
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
HIDE_SOLUTIONS: bool = _flag("LESSONS_HIDE_SOLUTIONS")
RECORD_CHECKS: str | None = os.environ.get("LESSONS_RECORD_CHECKS") or None
_DEVICE_OVERRIDE: str | None = os.environ.get("LESSONS_DEVICE") or None
_THREADS_SETTING: str | None = os.environ.get("LESSONS_THREADS", "").strip() or None
_OMP_THREADS_SETTING: str | None = os.environ.get("OMP_NUM_THREADS", "").strip() or None


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


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _quota_v2(directory: Path) -> float | None:
    """CPUs allowed by a cgroup v2 ``cpu.max`` ("50000 100000" → 0.5; "max 100000" → None)."""
    text = _read(directory / "cpu.max")
    if not text:
        return None
    fields = text.split()
    try:
        period = float(fields[1]) if len(fields) > 1 else 100_000.0
        return None if fields[0] == "max" or period <= 0 else float(fields[0]) / period
    except ValueError:
        return None


def _quota_v1(directory: Path) -> float | None:
    """CPUs allowed by a cgroup v1 ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` (quota -1: None)."""
    quota, period = _read(directory / "cpu.cfs_quota_us"), _read(directory / "cpu.cfs_period_us")
    try:
        quota, period = float(quota), float(period)
    except (TypeError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None


def _cgroup_directories(mount: Path, path: str) -> list[Path]:
    """The process's cgroup folder under ``mount`` and every parent up to the mount (a parent's quota binds too);
    the mount alone when the path is not there (a container sees its own cgroup at the mount's root)."""
    here = mount / path.lstrip("/")
    if not here.is_dir():
        return [mount]
    folders = [here]
    while folders[-1] != mount and mount in folders[-1].parents:
        folders.append(folders[-1].parent)
    return folders


def cgroup_cpu_limit(root: Path | str = "/") -> float | None:
    """The CPUs this process's cgroup quota allows (0.5, 2.0, …), or None when there is no quota or no cgroup.

    Reads ``/proc/self/cgroup`` and, for each hierarchy with the cpu controller, cgroup v1's ``cpu.cfs_quota_us`` /
    ``cpu.cfs_period_us`` or v2's ``cpu.max`` in the process's cgroup and its parents; the smallest limit wins.
    ``root`` points at another tree (a test double of ``/proc`` and ``/sys/fs/cgroup``).
    Introduced in notebook 00 (start here).
    """
    root = Path(root)
    table = _read(root / "proc" / "self" / "cgroup")
    if not table:
        return None
    cgroup = root / "sys" / "fs" / "cgroup"
    limits = []
    for line in table.splitlines():
        fields = line.split(":", 2)
        if len(fields) != 3:
            continue
        _, controllers, path = fields
        if controllers == "":                                      # cgroup v2 (unified; "unified/" on hybrid hosts)
            mounts, quota = [cgroup, cgroup / "unified"], _quota_v2
        elif "cpu" in controllers.split(","):                      # cgroup v1: cpu,cpuacct (or cpu alone)
            mounts, quota = [cgroup / controllers, cgroup / "cpu", cgroup / "cpu,cpuacct"], _quota_v1
        else:
            continue
        for mount in dict.fromkeys(mounts):
            if mount.is_dir():
                limits += [q for q in map(quota, _cgroup_directories(mount, path)) if q is not None]
                break
    return min(limits) if limits else None


def usable_cpus(root: Path | str = "/") -> float:
    """The CPUs this process may really use: the cores in its affinity mask, capped by its cgroup's CPU quota.

    Introduced in notebook 00 (start here).
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:                                         # macOS, Windows: no affinity mask
        cores = os.cpu_count() or 1
    limit = cgroup_cpu_limit(root)
    return float(cores) if limit is None else min(float(cores), limit)


def _positive_threads(name: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{name}={text!r}: expected a whole number of threads ≥ 1, e.g. {name}=2")
    return value


def cpu_threads(root: Path | str = "/") -> tuple[int, str]:
    """How many CPU threads PyTorch should use here, and why: ``(1, "cgroup quota 0.5 CPU")``.

    ``LESSONS_THREADS`` wins, then an explicit ``OMP_NUM_THREADS``; otherwise the CPUs the process may really use
    (``usable_cpus``) rounded down, at least 1: under a 0.5-CPU quota two threads take 1.25× the time of one.
    Introduced in notebook 00 (start here).
    """
    if _THREADS_SETTING:
        return _positive_threads("LESSONS_THREADS", _THREADS_SETTING), "LESSONS_THREADS"
    if _OMP_THREADS_SETTING:
        return _positive_threads("OMP_NUM_THREADS", _OMP_THREADS_SETTING), "OMP_NUM_THREADS"
    limit = cgroup_cpu_limit(root)
    cpus = usable_cpus(root)
    threads = max(1, int(cpus + 1e-9))
    if limit is not None and limit <= cpus:
        return threads, f"cgroup CPU quota {limit:g}"
    return threads, f"{threads} usable core{'s' if threads > 1 else ''}"


def use_cpu_threads(root: Path | str = "/") -> tuple[int, str]:
    """Set PyTorch's CPU thread count from ``cpu_threads`` and return ``(threads, why)``.

    The course's data loaders load in the kernel's own process (``num_workers=0``), so this one figure is all
    there is to size. Introduced in notebook 00 (start here); ``start_lesson`` calls it.
    """
    import torch

    threads, reason = cpu_threads(root)
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads, reason


def describe() -> dict:
    """What the course sees on this machine: mode, device, data folders. Introduced in notebook 00."""
    import torch

    return {
        "mode": "quick" if QUICK else "full",
        "device": str(get_device()),
        "torch": torch.__version__,
        "cpu threads": "{} ({})".format(*cpu_threads()),
        "data dir (LESSONS_DATA_DIR)": str(DATA_DIR) if DATA_DIR else "(not set)",
        "cache dir": str(CACHE_DIR),
        "offline (LESSONS_OFFLINE)": OFFLINE,
    }
