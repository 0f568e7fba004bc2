"""The one place that checks helper arguments shared by every module: "a positive int", "a non-negative int".

Python ints and NumPy integers are accepted (``np.int64(3)`` from an array is as good as ``3``); bools are not.
Introduced in notebook 01 (filters have depth), whose conv arithmetic first needed it.
"""
from __future__ import annotations

import numbers


class NotAnInteger(TypeError, ValueError):
    """A value that should be an integer is not one (a float, bool or string): both a TypeError and a ValueError.

    Introduced in notebook 01 (filters have depth).
    """


def positive_int(name: str, value, allow_zero: bool = False) -> int:
    """``value`` as an ``int`` if it is an integer ≥ 1 (≥ 0 with ``allow_zero``), else a clear error naming ``name``.

    Raises ``NotAnInteger`` (a ``TypeError`` and a ``ValueError``) for a non-integer (a float, a bool, a string)
    and ``ValueError`` for one out of range.
    Introduced in notebook 01 (filters have depth).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise NotAnInteger(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '>= 1'}, got {value}")
    return int(value)
