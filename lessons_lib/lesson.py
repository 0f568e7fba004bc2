"""The shared opening and closing of every notebook: ``lesson = start_lesson()`` … ``lesson.finish()``.

``start_lesson`` seeds everything, picks the device and prints one line saying the mode and device; ``finish``
prints how long the notebook ran. Introduced in notebook 00 (start here); every lesson opens with it.
"""
from __future__ import annotations

import time

from . import settings
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
