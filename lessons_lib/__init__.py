"""lessons_lib — the helpers every Layer by Layer notebook imports.

The few names a notebook needs are here; each helper's docstring names the lesson that
introduced it.
"""
from .data import load_dataset, stratified_subset
from .lesson import start_lesson
from .settings import full_or_quick, get_device, is_quick, seed_everything

__all__ = ["load_dataset", "stratified_subset", "full_or_quick", "get_device", "is_quick", "seed_everything", "start_lesson"]
