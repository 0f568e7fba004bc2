"""Every public helper traces back to its lesson (d2l's habit): its docstring names the notebook."""
from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import lessons_lib


def public_helpers():
    for info in pkgutil.walk_packages(lessons_lib.__path__, "lessons_lib."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        if info.name.startswith("lessons_lib.exercises"):
            continue  # questions belong to their lesson module, which names the notebook
        for name, obj in vars(module).items():
            if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if getattr(obj, "__module__", None) != module.__name__:
                continue
            yield f"{module.__name__}.{name}", obj


HELPERS = sorted(public_helpers(), key=lambda item: item[0])


@pytest.mark.parametrize("qualified_name, helper", HELPERS, ids=[name for name, _ in HELPERS])
def test_helper_has_a_docstring_naming_its_lesson(qualified_name, helper):
    doc = inspect.getdoc(helper) or ""
    module_doc = inspect.getdoc(importlib.import_module(helper.__module__)) or ""
    assert doc, f"{qualified_name} has no docstring"
    assert "notebook" in doc.lower() or "notebook" in module_doc.lower(), (
        f"{qualified_name}: say which lesson introduced it ('Introduced in notebook NN (…)')"
    )
