"""The shared opening and closing of every notebook: ``lesson = start_lesson()`` … ``lesson.finish()``.

``start_lesson`` seeds everything, picks the device and prints one line saying the mode and device; ``finish``
prints how long the notebook ran. Introduced in notebook 00 (start here); every lesson opens with it.
"""
from __future__ import annotations

import time

from .settings import get_device, is_quick, seed_everything


class Lesson:
    """What ``start_lesson`` returns: ``device``, ``seed``, ``mode`` and a clock started at the opening cell.

    Introduced in notebook 00 (start here).
    """

    def __init__(self, seed: int = 0):
        self.seed = seed_everything(seed)
        self.device = get_device()
        self.mode = "quick" if is_quick() else "full"
        self.started = time.perf_counter()

    def elapsed(self) -> float:
        """Seconds since the opening cell ran."""
        return time.perf_counter() - self.started

    def finish(self) -> float:
        """Print (and return) how long the notebook took, in its mode, on its device."""
        seconds = self.elapsed()
        print(f"notebook ran in {seconds:.0f} s ({self.mode} mode, {self.device})")
        return seconds

    def __repr__(self) -> str:
        return f"<Lesson: {self.mode} mode, device {self.device}, seed {self.seed}>"


def start_lesson(seed: int = 0) -> Lesson:
    """Open a notebook: seed Python, NumPy and PyTorch, choose the device, start the clock, print the mode and device.

    Introduced in notebook 00 (start here).
    """
    lesson = Lesson(seed)
    print(f"mode: {lesson.mode} | device: {lesson.device} | seed: {lesson.seed}")
    return lesson
