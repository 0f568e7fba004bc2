"""The shared opening and closing of every notebook: ``lesson = start_lesson()`` … ``lesson.finish()``.

``start_lesson`` seeds everything, picks the device, sizes PyTorch's CPU threads to the CPUs the kernel may really use
(``settings.use_cpu_threads``: the cgroup quota and affinity mask of a shared Binder or JupyterHub CPU) and prints one
line saying the mode, device and threads; in a notebook
it also hands memory that the finished cell freed back to the operating system (``release_freed_memory``); ``finish``
prints how long the notebook ran. Introduced in notebook 00 (start here); every lesson opens with it.
"""
from __future__ import annotations

import ctypes
import functools
import gc
import sys
import time

from . import settings
from .quality import shift_every_seed
from .settings import get_device, is_quick, seed_everything, use_cpu_threads


class Lesson:
    """What ``start_lesson`` returns: ``device``, ``seed``, ``mode``, ``threads`` and a clock started at the opening cell.

    Introduced in notebook 00 (start here).
    """

    def __init__(self, seed: int = 0):
        self.seed = seed_everything(seed)
        self.device = get_device()
        self.mode = "quick" if is_quick() else "full"
        self.threads, self.threads_reason = use_cpu_threads()
        self.seconds: float | None = None
        self.started = time.perf_counter()

    def elapsed(self) -> float:
        """Seconds since the opening cell ran."""
        return time.perf_counter() - self.started

    def finish(self) -> None:
        """Print how long the notebook took, in its mode, on its device (kept in ``self.seconds``).

        Returns None, so the closing cell shows the sentence and no ``Out:`` with the raw float.
        """
        self.seconds = self.elapsed()
        print(f"notebook ran in {self.seconds:.0f} s ({self.mode} mode, {self.device})")

    def __repr__(self) -> str:
        return f"<Lesson: {self.mode} mode, device {self.device}, seed {self.seed}>"


def start_lesson(seed: int = 0) -> Lesson:
    """Open a notebook: seed Python, NumPy and PyTorch, choose the device, size the CPU threads, start the clock, and
    print the mode, device and thread count.

    Introduced in notebook 00 (start here).
    """
    shift_every_seed(settings.SEED_OFFSET)     # the spread benchmark's other random starts; 0 for learners
    lesson = Lesson(seed)
    threads = f"{lesson.threads} CPU thread{'s' if lesson.threads > 1 else ''} ({lesson.threads_reason})"
    print(f"mode: {lesson.mode} | device: {lesson.device} | seed: {lesson.seed} | {threads}")
    release_memory_after_every_cell()
    if settings.UNTRAINED:
        freeze_every_optimizer()
        print("LESSONS_UNTRAINED=1: every optimizer step is skipped, so the models stay untrained "
              "and the lesson's checks must fail (a test of the checks, not a way to learn)")
    return lesson


_FREEZE_HOOK = None


def freeze_every_optimizer() -> None:
    """Make every PyTorch optimizer's ``step()`` a no-op from now on, in this process (idempotent).

    A global pre-step hook drops each parameter's gradient just before the step, and PyTorch's optimizers skip a
    parameter without one, so weights (and the optimizer's moments) stay where they started. This is how the test
    suite shows that each lesson's trained-model checks fail on a broken, untrained model (``LESSONS_UNTRAINED=1``).
    Introduced in notebook 00 (start here).
    """
    global _FREEZE_HOOK
    if _FREEZE_HOOK is not None:
        return
    from torch.optim.optimizer import register_optimizer_step_pre_hook

    def drop_gradients(optimizer, args, kwargs):
        for group in optimizer.param_groups:
            for parameter in group["params"]:
                parameter.grad = None

    _FREEZE_HOOK = register_optimizer_step_pre_hook(drop_gradients)


@functools.lru_cache(maxsize=None)
def _libc_malloc_trim():
    """glibc's ``malloc_trim``, or None where there is none (macOS, Windows, musl); looked up once."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def release_freed_memory() -> None:
    """Collect recent garbage and hand freed memory back to the operating system (glibc only; elsewhere: collect).

    Only the young generations are collected: a full collection takes about 0.3 s with PyTorch and Keras loaded,
    too slow to run after every cell; ``malloc_trim`` itself takes well under a millisecond.

    PyTorch frees a batch's activations after each step, but glibc keeps the freed pages for reuse, so the kernel's
    resident memory stays at its high-water mark. On Binder (2 GB, the kernel killed above it) that is what breaks a
    later cell. Introduced in notebook 00 (start here); ``start_lesson`` runs it after every cell.
    """
    gc.collect(1)
    trim = _libc_malloc_trim()
    if trim is not None:
        trim(0)


_RELEASE_REGISTERED = False


def release_memory_after_every_cell() -> bool:
    """In IPython/Jupyter, run ``release_freed_memory`` after every cell (idempotent); False outside IPython.

    Introduced in notebook 00 (start here).
    """
    global _RELEASE_REGISTERED
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    if not _RELEASE_REGISTERED:
        shell.events.register("post_run_cell", lambda result: release_freed_memory())
        _RELEASE_REGISTERED = True
    return True
